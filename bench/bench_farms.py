"""Timings and the weightwatcher comparison of the FARMS core (core/farms), CPU, one thread.

(a) the page's alpha-vs-Q sweep: 5 Q values (1..16), Gaussian and Student-t(3) entries, M = 256, FARMS
    windows 128 x 128 on a 10 x 10 grid (the notes' setup), the three curves of the page (full ESD median,
    full ESD Clauset, FARMS median). Target <= 3 s for both entry types. Prints the alphas: the closing
    note's sweep table.
(b) a ResNet-18-sized state dict (CIFAR ResNet-18 shapes, 11.2M weights, PyTorch default init) serialised,
    read back (``load_checkpoint``) and analysed with and without FARMS, median xmin: the page's upload path.
    Target <= 30 s on one thread.
(c) weightwatcher 0.7.7 (dev dependency) on the same layers: its default alpha (Clauset search, conv slices
    pooled with conv2d_norm) beside ours (``layer_alphas(farms=False, xmin="clauset")``), and the time ratio,
    on the shipped digits MLP and on the ResNet-18 conv stack.

Run: ``python bench/bench_farms.py [--no-ww]`` from the repository root. "cpu/wall" is this process's CPU
time over wall time: clearly below 1 means other load slowed the figure down.
"""
from __future__ import annotations

import io
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `import core` from any cwd

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from core import assets, farms  # noqa: E402
from core.device import keeps_global_rng, pin_threads  # noqa: E402
from core.farms import bias, digits  # noqa: E402

QS = (1, 2, 4, 8, 16)
SWEEP_METHODS = ("full_median", "full_clauset", "farms_median")


def clock(fn):
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    wall = time.perf_counter() - start
    return out, wall, f"cpu {time.process_time() - cpu:.2f} s, cpu/wall {(time.process_time() - cpu) / wall:.2f}"


@keeps_global_rng
def resnet18_like(seed: int = 0) -> nn.Module:
    """The conv/linear weights of a CIFAR ResNet-18 (3x3 stem, 4 stages, 1x1 shortcuts, 100-class head)."""
    torch.manual_seed(seed)
    mods, cin = {"conv1": nn.Conv2d(3, 64, 3, bias=False)}, 64
    for stage, cout in enumerate((64, 128, 256, 512), 1):
        for block in range(2):
            first = block == 0 and stage > 1
            mods[f"layer{stage}_{block}_conv1"] = nn.Conv2d(cin, cout, 3, bias=False)
            mods[f"layer{stage}_{block}_conv2"] = nn.Conv2d(cout, cout, 3, bias=False)
            if first:
                mods[f"layer{stage}_{block}_shortcut"] = nn.Conv2d(cin, cout, 1, bias=False)
            cin = cout
    mods["fc"] = nn.Linear(512, 100)
    return nn.Sequential(*mods.values())


def sweep_bench() -> None:
    total = 0.0
    for entries in bias.ENTRIES:
        out, wall, share = clock(lambda: bias.sweep(lambda q: bias.random_matrix(q * 256, 256, entries, 3.0, 0), QS,
                                                    128, 10, SWEEP_METHODS))
        total += wall
        label = entries if entries == "Gaussian" else "Student-t(3)"
        print(f"(a) {label}, M = 256, Q = {QS}: {wall:.2f} s  [{share}]")
        for m in SWEEP_METHODS:
            print(f"      {m:13s} " + "  ".join(f"{a:6.2f}" for a in out[m]) +
                  f"   change Q 1->16: {bias.relative_change(out[m]):+.0%}")
    print(f"(a) both entry types: {total:.2f} s  [target <= 3 s]")


def upload_bench(model: nn.Module) -> None:
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    raw = buf.getvalue()
    n = sum(p.numel() for p in model.parameters())
    ck, wall, share = clock(lambda: farms.load_checkpoint(raw, "resnet18.pt"))
    print(f"(b) ResNet-18-sized state dict ({n / 1e6:.1f}M weights, {len(raw) / 2**20:.0f} MB): read {wall:.2f} s")
    total = wall
    for pooled in (False, True):
        rows, wall, share = clock(lambda: farms.layer_alphas(ck, farms=pooled))
        total += wall
        alphas = [r["alpha"] for r in rows]
        print(f"(b)   {'FARMS' if pooled else 'full ESD'}, median xmin, {len(rows)} layers: {wall:.2f} s  [{share}]; "
              f"alpha {min(alphas):.2f}-{max(alphas):.2f}")
    print(f"(b) read + both analyses: {total:.2f} s  [target <= 30 s]")


def ww_bench(name: str, model: nn.Module) -> None:
    import weightwatcher as ww
    logging.getLogger("weightwatcher").setLevel(logging.ERROR)
    state = {k: v.detach() for k, v in model.state_dict().items()}
    cpu = time.process_time()
    ours = farms.layer_alphas(state, farms=False, xmin="clauset")
    t_ours, cpu = time.process_time() - cpu, time.process_time()
    details = ww.WeightWatcher(model=model).analyze()
    t_ww = time.process_time() - cpu
    theirs = details["alpha"].to_numpy()
    mine = np.array([r["alpha"] for r in ours])
    big = np.array([r["n_eigs"] >= 20 for r in ours])  # weightwatcher switches to a small-N fit below 20
    diff = np.abs(mine - theirs) / np.abs(theirs)
    print(f"(c) {name}: {len(mine)} layers (weightwatcher analysed {len(theirs)}); CPU time ours {t_ours:.2f} s, "
          f"weightwatcher {t_ww:.2f} s, ratio {t_ww / t_ours:.1f}x; max relative alpha difference on layers with "
          f">= 20 eigenvalues {diff[big].max():.1e}")
    for r, a in zip(ours, theirs):
        note = "" if r["n_eigs"] >= 20 else "   (< 20 eigenvalues: weightwatcher's small-N fit)"
        print(f"      {r['layer']:12s} {r['shape']:18s} ours {r['alpha']:7.3f}   weightwatcher {a:7.3f}{note}")


def main() -> None:
    pin_threads(1)
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    sweep_bench()
    net = resnet18_like()
    upload_bench(net)
    if "--no-ww" not in sys.argv:
        mlp = digits.mlp(0)
        mlp.load_state_dict(assets.weights("farms", "mlp_digits.pt"))
        ww_bench("digits MLP (shipped)", mlp)
        ww_bench("ResNet-18-sized conv stack", net)


if __name__ == "__main__":
    main()
