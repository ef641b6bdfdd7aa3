"""Timings of the EBV page's core on the CPU, one thread: `python bench/bench_ebv.py [--big-steps 20000]`.

(a) generation N 100, d 32 at alpha 1.1x / 1.2x / 1.4x the Welch bound, lr 1e-3 and 1e-2 (the issue's target:
    1.1x Welch in seconds on one thread);
(b) N 1000, d 100 (the official eq_100_1000 file reached max |cos| 0.135): time and the max |cos| reached at
    alpha 0.135, against the official figure;
(c) the step itself: the written-out gradient against autograd on the official loss (same step, see
    core/ebv/generate.py);
(d) with --live: the page's live rerun button (core.ebv.experiments.LIVE).
CPU-seconds (process time) are printed beside wall seconds: on a shared machine they are the steadier figure.
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from core import ebv  # noqa: E402
from core.device import pin_threads  # noqa: E402


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20_000, help="step cap for (a)")
    parser.add_argument("--big-steps", type=int, default=5_000, help="step cap for (b)")
    parser.add_argument("--live", action="store_true", help="also time the page's live rerun (d)")
    args = parser.parse_args()
    pin_threads(1)
    w = ebv.welch_bound(100, 32)
    print(f"(a) N 100, d 32, Welch bound {w:.4f}, cap {args.steps} steps")
    for ratio in (1.1, 1.2, 1.4):
        for lr in (1e-3, 1e-2):
            (E, info), wall, cpu = timed(lambda: ebv.generate(100, 32, ratio * w, lr=lr, steps=args.steps, seed=0))
            print(f"    alpha {ratio:.1f}x = {ratio * w:.4f}  lr {lr:g}: converged {info.converged!s:5}  steps "
                  f"{info.steps:6d}  max|cos| {info.max_cos:.4f} (lowest seen {info.history['max_cos'].min():.4f})  "
                  f"{wall:6.2f} s wall, {cpu:6.2f} s CPU")
    w = ebv.welch_bound(1000, 100)
    print(f"(b) N 1000, d 100, Welch bound {w:.4f}; official file: max |cos| 0.1350, mean 0.0844; cap {args.big_steps}")
    for lr in (1e-3, 1e-2):
        (E, info), wall, cpu = timed(lambda: ebv.generate(1000, 100, 0.135, lr=lr, steps=args.big_steps, seed=0))
        per = wall / max(info.steps, 1)
        print(f"    alpha 0.135 lr {lr:g}: converged {info.converged!s:5}  steps {info.steps:6d}  max|cos| "
              f"{info.max_cos:.4f}  mean|cos| {info.mean_cos:.4f}  {wall:7.1f} s wall, {cpu:7.1f} s CPU "
              f"({1000 * per:.1f} ms/step)")
    print("(c) one step, N 1000, d 100: written-out gradient vs autograd")
    W = F.normalize(torch.randn(1000, 100, generator=torch.Generator().manual_seed(0)), dim=1)
    eye = torch.eye(1000)

    def manual():
        G = W @ W.T
        S = torch.where(G.abs() - eye > 0.135, torch.sign(G), torch.zeros_like(G))
        return 2 * S @ W

    def autograd():
        P = W.clone().requires_grad_(True)
        F.relu((P @ P.T).abs() - eye - 0.135).sum().backward()
        return P.grad

    g1, t1, _ = timed(lambda: [manual() for _ in range(20)][-1])
    g2, t2, _ = timed(lambda: [autograd() for _ in range(20)][-1])
    print(f"    written out {1000 * t1 / 20:.1f} ms, autograd {1000 * t2 / 20:.1f} ms, max |difference| "
          f"{(g1 - g2).abs().max():.2e}")
    if args.live:
        from core.ebv import experiments
        runs, wall, cpu = timed(lambda: experiments.comparison(experiments.LIVE, device="cpu"))
        accs = ", ".join(f"{r.dataset.split()[0]} {r.head} {r.accuracy:.3f}" for r in runs)
        print(f"(d) live rerun: {wall:.1f} s wall, {cpu:.1f} s CPU ({accs})")


if __name__ == "__main__":
    main()
