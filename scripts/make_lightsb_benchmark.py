"""Precompute the LightSB benchmark table shipped with the page: assets/lightsb/benchmark.json.

For every (D, eps) in D = 2, 16, 64 and eps = 0.1, 1, 10 (the paper's Table 1 grid without D = 128): a
ground-truth sum-exp-quadratic potential (core.lightsb.benchmark.make_benchmark, seed 0), LightSB with
K = 50, batch 128, S_init 1, the official notebook's lr per eps, trained STEPS steps with cBW2-UVP
recorded every EVERY steps; and POT's Sinkhorn on N_SINKHORN samples of each marginal scored on the same
1000 test points. Times are process CPU seconds (one thread). Resumable: cells already in the file are kept. One thread:

    OMP_NUM_THREADS=1 python scripts/make_lightsb_benchmark.py
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.device import pin_threads  # noqa: E402
from core.lightsb import benchmark, sinkhorn  # noqa: E402
from scripts import manifest  # noqa: E402

OUT = ROOT / "assets" / "lightsb" / "benchmark.json"
DIMS, EPSILONS = (2, 16, 64), (0.1, 1.0, 10.0)
K, STEPS, EVERY, N_SINKHORN, SEED = 50, 3000, 250, 1000, 0


def cell(dim: int, eps: float) -> dict:
    bench = benchmark.make_benchmark(dim, eps, seed=SEED)
    start = time.process_time()
    _, curve = benchmark.training_curve(bench, n_potentials=K, steps=STEPS, every=EVERY, seed=SEED, device="cpu")
    lightsb_cpu = time.process_time() - start      # includes the cBW2-UVP evaluations along the way
    return dict(dim=dim, epsilon=eps, steps=[s for s, _ in curve], cbw2_uvp=[u for _, u in curve],
                lightsb_cpu_s=lightsb_cpu, **baseline(bench))


def baseline(bench) -> dict:
    """POT's Sinkhorn on N_SINKHORN samples per marginal (seeded), scored on the benchmark's test points."""
    rng = np.random.default_rng(SEED)
    plan = sinkhorn.solve(bench.sample_p0(N_SINKHORN, rng), bench.sample_p1(N_SINKHORN, rng), bench.epsilon,
                          max_iter=3000)
    return dict(sinkhorn_cbw2_uvp=bench.cbw2_uvp(plan), sinkhorn_s=plan.seconds, sinkhorn_cpu_s=plan.cpu_seconds,
                sinkhorn_iterations=plan.iterations, sinkhorn_converged=plan.converged, sinkhorn_method=plan.method)


def main() -> None:
    pin_threads(1)
    done = json.loads(OUT.read_text()) if OUT.exists() else {}
    cells = {(c["dim"], c["epsilon"]): c for c in done.get("cells", [])}
    for dim in DIMS:
        for eps in EPSILONS:
            if (dim, eps) in cells and "sinkhorn_cpu_s" in cells[(dim, eps)]:
                continue
            if (dim, eps) in cells:      # an older run timed Sinkhorn by the wall clock only: redo the baseline
                cells[(dim, eps)].update(baseline(benchmark.make_benchmark(dim, eps, seed=SEED)))
            else:
                cells[(dim, eps)] = cell(dim, eps)
            c = cells[(dim, eps)]
            print(f"D={dim} eps={eps}: LightSB {c['cbw2_uvp'][-1]:.3f}% ({c['lightsb_cpu_s']:.0f} s), "
                  f"Sinkhorn {c['sinkhorn_cbw2_uvp']:.3f}% ({c['sinkhorn_cpu_s']:.1f} s CPU)", flush=True)
            OUT.write_text(json.dumps(dict(settings=dict(K=K, steps=STEPS, every=EVERY, batch=128, S_init=1.0,
                                                         n_sinkhorn=N_SINKHORN, seed=SEED,
                                                         truth_components=benchmark.TRUTH_COMPONENTS),
                                           cells=list(cells.values())), indent=1))
    manifest.record([OUT], "scripts/make_lightsb_benchmark.py", SEED)


if __name__ == "__main__":
    main()
