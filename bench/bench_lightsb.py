"""Timings of the Light Schrödinger Bridge page's core on the CPU, one thread: `python bench/bench_lightsb.py`.

(a) one training step (K 100, D 2, batch 128): this package's matmul form against the official class's
    broadcast-and-sum + torch.distributions formulation (core/lightsb/official.py); process CPU time.
(b) the page's default 2-D training (Swiss roll, K 50, 1,000 steps, lr 1e-2, eps 0.1): CPU and wall time,
    W2^2 to the target and the resampling floor.
(c) POT Sinkhorn vs LightSB trained on the same n = 1k and 4k samples per marginal: time and error,
    cBW2-UVP on the benchmark (D 16, eps 1) and W2^2 to the target on the Swiss roll (eps 0.1).
`--quick` runs (a) and (b) only.
"""
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import lightsb  # noqa: E402
from core.device import pin_threads  # noqa: E402
from core.lightsb import benchmark, official, sinkhorn, toys  # noqa: E402
from core.lightsb.potential import LightSB  # noqa: E402

pin_threads(1)


def step_time(loss_fn, K=100, D=2, batch=128, steps=300, repeats=3) -> float:
    """Median CPU ms per Adam step of ``loss_fn(model, x0, x1)``."""
    model = LightSB(D, K, 0.1, device="cpu")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    x0, x1 = torch.randn(steps, batch, D, generator=gen), torch.randn(steps, batch, D, generator=gen)
    times = []
    for _ in range(repeats):
        start = time.process_time()
        for i in range(steps):
            loss = loss_fn(model, x0[i], x1[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        times.append((time.process_time() - start) / steps * 1e3)
    return float(np.median(times))


def part_a():
    print("(a) training step, K 100, D 2, batch 128, one thread (median of 3 x 300 steps, CPU ms)")
    for K, D in ((100, 2), (500, 2), (50, 16), (50, 128)):
        mine = step_time(lambda m, a, b: m.loss(a, b), K, D)
        theirs = step_time(official.loss, K, D)
        print(f"    K {K:3d}, D {D:3d}: matmul form {mine:.2f} ms, official formulation {theirs:.2f} ms, "
              f"ratio {theirs / mine:.1f}x")


def part_b():
    rng = np.random.default_rng(1)
    wall, cpu = time.perf_counter(), time.process_time()
    model = lightsb.fit(toys.gaussian, toys.swiss_roll, 0.1, 50, steps=1000, lr=1e-2, seed=0, device="cpu")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    y = model.sample(rng.standard_normal((2000, 2)), 1)[:, 0]
    w2 = sinkhorn.w2_squared(y, toys.swiss_roll(2000, rng))
    floor = sinkhorn.w2_squared(toys.swiss_roll(2000, rng), toys.swiss_roll(2000, rng))
    print(f"(b) page default (Swiss roll, K 50, 1000 steps): {cpu:.2f} s CPU, {wall:.2f} s wall; "
          f"W2^2 {w2:.4f} (floor {floor:.4f}, 2000 vs 2000 points)")


def part_c():
    print("(c) Sinkhorn vs LightSB on the same n samples per marginal")
    bench = benchmark.make_benchmark(16, 1.0, seed=0)
    for n in (1000, 4000):
        rng = np.random.default_rng(n)
        x0, x1 = bench.sample_p0(n, rng), bench.sample_p1(n, rng)
        plan = sinkhorn.solve(x0, x1, 1.0)
        start = time.process_time()
        model = lightsb.fit(x0, x1, 1.0, 50, steps=3000, lr=benchmark.official_lr(1.0), S_init=1.0, device="cpu")
        t_lsb = time.process_time() - start
        print(f"    benchmark D 16, eps 1, n {n}: Sinkhorn {plan.cpu_seconds:.2f} s CPU ({plan.method}, "
              f"{plan.iterations} it) cBW2-UVP {bench.cbw2_uvp(plan):.3f} %; LightSB (K 50, 3000 steps) "
              f"{t_lsb:.1f} s CPU cBW2-UVP {bench.cbw2_uvp(model):.3f} %")
    for n in (1000, 4000):
        rng = np.random.default_rng(n)
        x0, x1 = rng.standard_normal((n, 2)), toys.swiss_roll(n, rng)
        plan = sinkhorn.solve(x0, x1, 0.1)
        start = time.process_time()
        model = lightsb.fit(x0, x1, 0.1, 50, steps=1000, lr=1e-2, device="cpu")
        t_lsb = time.process_time() - start
        fresh, target = rng.standard_normal((2000, 2)), toys.swiss_roll(2000, rng)
        w_sk = sinkhorn.w2_squared(plan.sample(fresh, 1)[:, 0], target)
        w_lsb = sinkhorn.w2_squared(model.sample(fresh, 1)[:, 0], target)
        print(f"    Swiss roll, eps 0.1, n {n}: Sinkhorn {plan.cpu_seconds:.2f} s CPU ({plan.method}, "
              f"{plan.iterations} it) W2^2 {w_sk:.4f}; LightSB (K 50, 1000 steps) {t_lsb:.1f} s CPU W2^2 {w_lsb:.4f}")


if __name__ == "__main__":
    print(f"load average {os.getloadavg()[0]:.1f} (2 cores; CPU times are per process, wall times suffer from load)")
    part_a()
    part_b()
    if "--quick" not in sys.argv:
        part_c()
