"""Held-out metrics of every solver, with and without the formula -> assets/diffspectra/*.csv.

  heldout_results.csv   one row per solver x formula: Acc@1/5/10/20, best Tanimoto, validity, uniqueness, s/query
  acc_vs_k.csv          Acc@K for K = 1..20 per solver
  temperature.csv       generator Acc@K against sampling temperature (with the formula)

Exact match = same constitution (first InChIKey block). Queries: conformer 1 + the default measurement
model, seeded per molecule. Retrieval runs on all held-out molecules; the generator (20 samples per
query, ~2 s each) on a fixed random subset (--gen-queries), the temperature sweep on a smaller one.

    nice -n 10 python scripts/make_diffspectra_metrics.py [--part retrieval|generator] --gen-queries 150 --temp-queries 60
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from core.diffspectra.chem import ASSETS  # noqa: E402
from core.diffspectra.evaluate import (heldout_rows, run_generator, run_retrieval,  # noqa: E402
                                       summarise)
from scripts import manifest  # noqa: E402

TEMPERATURES = (0.3, 0.6, 1.0, 1.5)
SOLVERS = {   # name -> (kind, library split); "library (train only)" lacks every held-out molecule
    "library search": ("library", None),
    "library search, train-split library": ("library", "train"),
    "contrastive retriever": ("retriever", None),
}
GENERATOR = "diffusion generator + verify"


def acc_curve(name, formula, results) -> list[dict]:
    ranks = [r.hit_rank() for r in results]
    return [dict(solver=name, formula=formula, k=k, accuracy=sum(r is not None and r <= k for r in ranks) / len(ranks))
            for k in range(1, 21)]


def merge(file: str, new: pd.DataFrame, solvers) -> pd.DataFrame:
    """Replace the rows of ``solvers`` in an existing results file (parts can be rerun separately)."""
    path = ASSETS / file
    if not path.exists() or "solver" not in new:
        return new
    old = pd.read_csv(path)
    return pd.concat([old[~old["solver"].isin(solvers)], new], ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("retrieval", "generator", "all"), default="all")
    parser.add_argument("--gen-queries", type=int, default=150)
    parser.add_argument("--temp-queries", type=int, default=60)
    args = parser.parse_args()
    torch.set_num_threads(1)
    table, curves, temps, solvers = [], [], None, []
    if args.part in ("retrieval", "all"):
        rows_all = heldout_rows()
        for name, (kind, split) in SOLVERS.items():
            solvers.append(name)
            for with_formula in (False, True):
                start = time.process_time()
                results = run_retrieval(rows_all, kind, with_formula, split)
                table.append(dict(solver=name, formula=with_formula, **summarise(results)))
                curves += acc_curve(name, with_formula, results)
                print(table[-1], f"{time.process_time() - start:.0f} s CPU", flush=True)
    if args.part in ("generator", "all"):
        gen_rows = heldout_rows(limit=args.gen_queries)
        solvers.append(GENERATOR)
        for with_formula in (True, False):
            start = time.process_time()
            results = run_generator(gen_rows, with_formula)
            table.append(dict(solver=GENERATOR, formula=with_formula, **summarise(results)))
            curves += acc_curve(GENERATOR, with_formula, results)
            print(table[-1], f"{time.process_time() - start:.0f} s CPU", flush=True)
        temps = []
        for temperature in TEMPERATURES:
            results = run_generator(heldout_rows(limit=args.temp_queries), True, temperature=temperature)
            temps.append(dict(temperature=temperature, **summarise(results)))
            print(temps[-1], flush=True)
    outputs = {"heldout_results.csv": merge("heldout_results.csv", pd.DataFrame(table), solvers),
               "acc_vs_k.csv": merge("acc_vs_k.csv", pd.DataFrame(curves), solvers)}
    if temps is not None:
        outputs["temperature.csv"] = pd.DataFrame(temps)
    order = {name: i for i, name in enumerate(list(SOLVERS) + [GENERATOR])}
    for file, frame in outputs.items():
        if "solver" in frame:
            frame = frame.sort_values("solver", key=lambda c: c.map(order), kind="stable")
        frame.round(4).to_csv(ASSETS / file, index=False)
    manifest.record([ASSETS / f for f in outputs], "scripts/make_diffspectra_metrics.py", 0)


if __name__ == "__main__":
    main()
