"""Timings and the NMI table of the Bootstrap AMG clustering page's core (core/bootstrap_amg), one thread.

(a) the issue's target: N = 2000 SBM (q 4, mean degree 10, eps 0.1, p 0.6), bootstrap smooth vectors (9)
    + k-means (scikit-learn, under threadpool_limits(1)), structure only and on the augmented graph with
    kmeansblock; median of 3 with CPU/wall. Target: <= 5 s. eigsh + k-means beside it.
(b) the NMI table (N 2000, q 4, c 10, seed 0) at the reference notes' settings: every method of the page.
(c) the speed table at 10k nodes (eigsh vs pyamg SA + LOBPCG vs the bootstrap, SBM and 2-D grid), with
    each AMG hierarchy's operator complexity; ``--big`` adds 100k nodes (several CPU-minutes; the page's
    shipped table comes from scripts/time_bootstrap_amg.py, the same code).

Run: ``python bench/bench_bootstrap_amg.py [--big]`` from the repository root. Prints figures only.
"cpu/wall" below 1 means other load slowed the figure down.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `import core` from any cwd

import pandas as pd  # noqa: E402
import pyamg  # noqa: E402
import sklearn  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from core.bootstrap_amg import attributed_sbm, cluster  # noqa: E402
from core.bootstrap_amg import speed, study  # noqa: E402
from core.bootstrap_amg.graphs import sbm_graph  # noqa: E402

pd.set_option("display.width", 200)
pd.set_option("display.max_columns", 20)
SETTINGS = ((0.1, 0.6), (0.2, 0.6), (0.3, 0.8), (0.5, 0.8), (0.1, 0.5))


def timed(fn, repeats: int = 3) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), sum(cpus) / sum(walls)


def target() -> None:
    A, labels, attrs = attributed_sbm(2000, 4, 10, 0.1, 0.6, seed=0)
    print("(a) N 2000 SBM, q 4, c 10, eps 0.1, p 0.6 (target: smooth vectors + k-means <= 5 s)")
    for name, fn in (("bootstrap (9 vectors) + k-means, structure only",
                      lambda: cluster(A, None, 4, "bootstrap", "rows")),
                     ("bootstrap (9 vectors) + kmeansblock, augmented", lambda: cluster(A, attrs, 4, "bootstrap")),
                     ("eigsh + k-means, structure only", lambda: cluster(A, None, 4, "eigsh", "rows"))):
        wall, share = timed(fn)
        print(f"    {name:52s} {wall:6.2f} s   cpu/wall {share:.2f}")


def nmi_table() -> None:
    print("\n(b) NMI against the planted blocks, N 2000, q 4, c 10, omega 1, 9 smooth vectors, seed 0")
    rows = []
    for eps, p in SETTINGS:
        table, _ = study.score_table(sbm_graph(2000, 4, 10, eps, p, 0), 4)
        rows.append(pd.Series(table.set_index("method")["NMI"], name=f"eps {eps:g}, p {p:g}"))
    print(pd.DataFrame(rows).round(3).T.to_string())


def speed_table(n: int) -> None:
    print(f"\n(c) speed at {n:,} nodes")
    print(speed.compare(n).round(3).to_string())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", action="store_true", help="also time 100k nodes (several CPU-minutes)")
    args = parser.parse_args()
    print(f"pyamg {pyamg.__version__}, scikit-learn {sklearn.__version__}, {os.cpu_count()} cores, 1 thread, "
          f"load average {os.getloadavg()[0]:.2f}")
    with threadpool_limits(1):
        target()
        nmi_table()
        speed_table(10_000)
        if args.big:
            speed_table(100_000)


if __name__ == "__main__":
    main()
