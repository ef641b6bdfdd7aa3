"""Timings of the grokking core (core/grokking/) as the page uses it, on the CPU, one torch thread.

What it measures, and why:

(a) the page's default ``simulate()`` run (D=50, P=275, 5k steps), median of 3, float32 (the default)
    and float64: the time a visitor waits for the first figure (target: <= 3 s).
(b) the page's 8x8 alpha x eps phase diagram (``phase_diagram``, P=275, D=50, 10k steps), batched,
    against a per-run Python loop over the same 64 grid points. The per-run equivalent is
    ``phase_diagram`` on a 1x1 grid: the same loop with batch size 1, including the early exit once
    both losses cross the threshold (``train_statistics`` / ``simulate`` always run all 10k steps, which
    would flatter the batched version). The loop is timed on 8 grid points (one per alpha row, one per eps
    column) and extrapolated by steps actually run per cell; ``--full`` times all 64 instead.
    Target for the batched diagram: <= 60 s.
(c) per-step cost of the statistics recursion (``train_statistics``) against plain GD on the N x D
    weights (``simulate_weights``) at D=100, P=550, N=500 (the paper's setting), ~300 steps.
(d) the default run with torch threads = 1 vs 2, alone and as two concurrent processes (two sessions
    of the app on this 2-core box): why the app pins one thread per process.

Run: ``python bench/bench_grokking.py [--full]`` from the repository root (about 3-4 minutes on 2 cores).
Prints figures only; nothing is asserted. "cpu/wall" next to a figure is this process's CPU time over the
wall time: about 1.0 for a one-thread run that had a core to itself; clearly below 1 means other load on
the machine slowed it down (the figure is then pessimistic).
"""
from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `import core` from any cwd

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core import grokking as gk  # noqa: E402
from core.device import ENV_THREADS, pin_threads  # noqa: E402

PD_ALPHAS = np.round(np.linspace(0.4, 5.6, 8), 2)    # exactly the page's grid (pages/grokking.py)
PD_EPSILONS = np.round(np.linspace(0.02, 0.28, 8), 3)
PD_KW = dict(P=275, D=50, steps=10_000)

rows: list[tuple[str, str, str]] = []                 # (what, figure, note) for the final table


def report(what: str, figure: str, note: str = "") -> None:
    rows.append((what, figure, note))
    print(f"  {what}: {figure}" + (f"   [{note}]" if note else ""), flush=True)


_cpu_wall: list[tuple[float, float]] = []            # (cpu, wall) of every timed() call


def timed(fn, *args, **kw) -> tuple[float, object]:
    start, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kw)
    wall = time.perf_counter() - start
    _cpu_wall.append((time.process_time() - cpu, wall))
    return wall, out


def cpu_share(last: int) -> str:
    """CPU time / wall time over the last ``last`` timed() calls (see the module docstring)."""
    cpu, wall = map(sum, zip(*_cpu_wall[-last:]))
    return f"cpu/wall {cpu / wall:.2f}"


def median_time(fn, repeats: int = 3, **kw) -> float:
    return statistics.median(timed(fn, **kw)[0] for _ in range(repeats))


def with_threads(n: int):
    """simulate() calls pin_threads() itself, which reads $EIGEN_ATLAS_THREADS: set that, not torch."""
    os.environ[ENV_THREADS] = str(n)
    pin_threads(n)


# ----------------------------------------------------------------------------- (a)

def bench_default_run() -> None:
    print("(a) default simulate(): D=50, P=275, N=500, 5k steps, median of 3", flush=True)
    for dtype in (torch.float32, torch.float64):
        t = median_time(gk.simulate, dtype=dtype)
        report(f"default run, {str(dtype)[6:]}", f"{t:.2f} s",
               ("target <= 3 s; " if dtype == torch.float32 else "") + cpu_share(3))


# ----------------------------------------------------------------------------- (b)

def steps_run(t_train: float, t_test: float, steps: int) -> int:
    """GD steps a 1x1 phase_diagram takes: it stops at the step where both losses have crossed."""
    if np.isfinite(t_train) and np.isfinite(t_test):
        return int(max(t_train, t_test))
    return steps


def bench_phase_diagram(full: bool) -> None:
    print("(b) 8x8 phase diagram, P=275, D=50, 10k steps: batched vs a per-run loop", flush=True)
    t_batch, pd = timed(gk.phase_diagram, PD_ALPHAS, PD_EPSILONS, **PD_KW)
    blank = int(np.isnan(pd.t_test).sum())
    report("phase diagram, batched (64 runs)", f"{t_batch:.1f} s",
           f"target <= 60 s; {blank}/64 cells never cross 0.1 and run all 10k steps; {cpu_share(1)}")

    cells = [(i, j) for i in range(8) for j in range(8)] if full else [(i, (3 * i) % 8) for i in range(8)]
    loop_time, loop_steps = 0.0, 0
    for i, j in cells:
        dt, one = timed(gk.phase_diagram, [PD_ALPHAS[i]], [PD_EPSILONS[j]], **PD_KW)
        loop_time += dt
        loop_steps += steps_run(one.t_train[0, 0], one.t_test[0, 0], PD_KW["steps"])
    per_step = loop_time / max(loop_steps, 1)
    how = f"per-run = phase_diagram on a 1x1 grid (same early exit); {cpu_share(len(cells))}"
    if full:
        estimate = loop_time
        report("phase diagram, per-run loop (64 runs)", f"{estimate:.1f} s", how + "; all 64 timed")
    else:
        all_steps = sum(steps_run(pd.t_train[i, j], pd.t_test[i, j], PD_KW["steps"])
                        for i in range(8) for j in range(8))
        estimate = per_step * all_steps
        report("phase diagram, per-run loop (64 runs)", f"~{estimate:.0f} s",
               f"{how}; EXTRAPOLATED from 8 timed cells ({loop_time:.1f} s, {per_step * 1e3:.2f} ms/step) "
               f"x {all_steps} steps over the grid; naive 8->64 scaling gives {loop_time * 8:.0f} s")
    report("phase diagram, loop / batched", f"{estimate / t_batch:.1f}x")


# ----------------------------------------------------------------------------- (c)

def bench_per_step(steps: int = 300) -> None:
    print(f"(c) per GD step at D=100, P=550, N=500 ({steps} steps): statistics recursion vs GD on W",
          flush=True)
    for dtype in (torch.float32, torch.float64):
        task = gk.make_task(550, 100, 500, seed=0, dtype=dtype, keep_weights=True)
        gk.train_statistics(task, 1.0, 0.02, 1.0, 5)               # warm-up (allocator, kernels)
        gk.simulate_weights(task, 1.0, 0.02, 1.0, 5)
        t_stats = min(timed(gk.train_statistics, task, 1.0, 0.02, 1.0, steps)[0] for _ in range(2))
        t_w = min(timed(gk.simulate_weights, task, 1.0, 0.02, 1.0, steps)[0] for _ in range(2))
        name = str(dtype)[6:]
        report(f"statistics recursion, {name}", f"{t_stats / steps * 1e3:.2f} ms/step",
               "incl. exact population loss per step")
        report(f"plain GD on W (N=500), {name}", f"{t_w / steps * 1e3:.2f} ms/step",
               f"train loss only; statistics / W = {t_stats / t_w:.2f}")


# ----------------------------------------------------------------------------- (d)

def _concurrent_worker(threads: int, barrier, out) -> None:
    with_threads(threads)
    gk.simulate(steps=200)                                       # warm-up outside the timing
    barrier.wait(timeout=120)
    out.put(timed(gk.simulate)[0])


def concurrent_runs(threads: int, n: int = 2) -> list[float]:
    """n default runs at once in n spawned processes (as n sessions would be), each with ``threads``."""
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_concurrent_worker, args=(threads, barrier, out)) for _ in range(n)]
    for p in procs:
        p.start()
    try:
        times = [out.get(timeout=300) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    return times


def bench_threads() -> None:
    print(f"(d) default run (float32) with torch threads = 1 vs 2 ({os.cpu_count()} cores)", flush=True)
    for n in (1, 2):
        with_threads(n)
        report(f"default run, {n} thread(s), alone", f"{median_time(gk.simulate):.2f} s",
               f"median of 3; {cpu_share(3)}")
    with_threads(1)
    for n in (1, 2):
        times = concurrent_runs(n)
        report(f"2 concurrent runs, {n} thread(s) each", f"{max(times):.2f} s",
               "each: " + ", ".join(f"{t:.2f} s" for t in times))


def main() -> None:
    full = "--full" in sys.argv
    pin_threads()
    print(f"torch {torch.__version__}, {os.cpu_count()} CPU cores, threads pinned to {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    start = time.perf_counter()
    bench_default_run()
    bench_phase_diagram(full)
    bench_per_step()
    bench_threads()
    width = max(len(r[0]) for r in rows)
    print(f"\nSummary (total {time.perf_counter() - start:.0f} s, load average now {os.getloadavg()[0]:.2f})")
    print(f"{'measure'.ljust(width)}  figure")
    for what, figure, _ in rows:
        print(f"{what.ljust(width)}  {figure}")


if __name__ == "__main__":
    main()
