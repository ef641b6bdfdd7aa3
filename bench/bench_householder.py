"""Timings of the Householder page (core/householder/) on the CPU, one torch thread.

(a) one 5 x 7 traversal grid of the shipped base and Householder generators (``traverse``), median of 5:
    what a visitor waits for after moving a slider. Target: <= 0.5 s.
(b) the factor response of 10 directions at 32 latents (``factor_response``), as section 3 computes it.
(c) one GAN training step (D step + G step, batch 16, R1 amortised) of the plain and the projector
    generator: the cost of the base training and of the fine-tune per step.
(d) the Householder product: naive reflector loop (core.spectral) for k = 10 reflectors at n = 64.
(e) the page's fidelity checks of one generator: feature Frechet distance and re-render IoU on 500
    samples each (``fidelity``, ``shape_fidelity``), computed once per model and cached.

Run: ``python bench/bench_householder.py`` from the repository root (about a minute).
Prints figures only; "cpu/wall" below 1 means other load slowed the figure down.
"""
from __future__ import annotations

import copy
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core import householder as hp  # noqa: E402
from core.householder import shapes  # noqa: E402
from core.device import pin_threads  # noqa: E402
from core.spectral import householder_product  # noqa: E402
from core.householder.stylegan import (Discriminator, GConfig, TrainConfig, build_generator,  # noqa: E402
                           make_optimizers, train_step)

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "householder"


def timed(fn, repeat: int = 5) -> tuple[float, float]:
    """Median wall seconds and the CPU/wall ratio over ``repeat`` calls (after one warm-up)."""
    fn()
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), sum(cpus) / sum(walls)


def main() -> None:
    pin_threads(1)
    base = torch.load(ASSETS / "generator_base.pt", weights_only=True)
    tuned = torch.load(ASSETS / "generator_hp.pt", weights_only=True)
    cfg = GConfig.from_dict(base["g_cfg"])
    G = build_generator(cfg, base["g_ema"], device="cpu")
    G_hp = hp.build_projector_generator(cfg, tuned["g_ema"], tuned["k"], device="cpu")
    steps = np.linspace(-3, 3, 7)
    v = hp.sefa_layer(G, 1, 10)[0][0]
    s, r = timed(lambda: hp.traverse(G, v, 1, steps, rows=5))
    print(f"(a) 5x7 traversal grid, base (SeFa direction):        {s:.3f} s  cpu/wall {r:.2f}")
    u = hp.householder_directions(G_hp, 1)[0]
    s, r = timed(lambda: hp.traverse(G_hp, u, 1, steps, rows=5))
    print(f"    5x7 traversal grid, Householder generator:       {s:.3f} s  cpu/wall {r:.2f}")

    from scripts.finetune_householder import load_regressor
    net = load_regressor()
    dirs = hp.sefa_layer(G, 1, 10)[0]
    s, r = timed(lambda: hp.factor_response(G, net, dirs, 1, n=32), repeat=2)
    print(f"(b) factor response, 10 directions x 32 latents:     {s:.2f} s  cpu/wall {r:.2f}")

    for name, make in (("plain", lambda: build_generator(cfg, base["g_ema"], device="cpu")),
                       ("projector", lambda: hp.attach_projectors(build_generator(cfg, base["g_ema"], "cpu"), 10))):
        Gt, D = make(), Discriminator(cfg.size)
        Ge, tc = copy.deepcopy(Gt), TrainConfig()
        og, od = make_optimizers(Gt, D, tc)
        counter = iter(range(1, 10**6))
        step = lambda: train_step(Gt, D, Ge, og, od, shapes.sample(16, next(counter))[0] * 2 - 1,  # noqa: E731
                                  next(counter), tc)
        s, r = timed(step, repeat=16)
        print(f"(c) one training step, {name:9s} G, batch 16:         {s:.3f} s  cpu/wall {r:.2f}")

    V = torch.randn(64, 10)
    s, r = timed(lambda: householder_product(V), repeat=20)
    print(f"(d) householder_product, n 64, k 10:                 {1e3 * s:.2f} ms cpu/wall {r:.2f}")

    real = hp.real_features(net, 500)
    s, r = timed(lambda: hp.fidelity(G, net, real=real), repeat=3)
    print(f"(e) Frechet distance, 500 samples:                   {s:.2f} s  cpu/wall {r:.2f}")
    s, r = timed(lambda: hp.shape_fidelity(G, net), repeat=3)
    print(f"    re-render IoU, 500 samples:                      {s:.2f} s  cpu/wall {r:.2f}")
    s, r = timed(lambda: hp.shape_scores(G, net, 300, truncation=0.7), repeat=3)
    print(f"    shape mix + IoU at psi 0.7, 300 samples (page):  {s:.2f} s  cpu/wall {r:.2f}")


if __name__ == "__main__":
    main()
