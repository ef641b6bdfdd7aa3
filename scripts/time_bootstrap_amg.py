"""Regenerate assets/bootstrap_amg/speed_100k.csv: the page's precomputed speed table at 100k nodes.

eigsh vs pyamg SA + LOBPCG vs the bootstrap smooth vectors (core.bootstrap_amg.speed.compare) on a
100,000-node SBM (mean degree 10, eps 0.1) and a 316 x 316 grid, one thread. Several CPU-minutes; the
columns ``load average`` and ``cpu seconds`` say how loaded the machine was (wall seconds on a shared
machine overstate the cost; ratios are more reliable than seconds).

Run: ``OMP_NUM_THREADS=1 python scripts/time_bootstrap_amg.py [--n 100000]`` from the repository root.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from threadpoolctl import threadpool_limits  # noqa: E402

import manifest  # noqa: E402
from core.bootstrap_amg.speed import compare  # noqa: E402

SEED = 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    with threadpool_limits(1):
        table = compare(args.n, seed=SEED, progress=lambda f: print(f"{100 * f:.0f}%", flush=True))
    table["load average"] = round(os.getloadavg()[0], 1)
    table["measured"] = datetime.date.today().isoformat()
    table["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, 1 thread"
    out = ROOT / "assets" / "bootstrap_amg" / f"speed_{args.n // 1000}k.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.round(4).to_csv(out, index=False)
    manifest.record([out], "scripts/time_bootstrap_amg.py", SEED)
    print(table.drop(columns=["machine"]).to_string())


if __name__ == "__main__":
    main()
