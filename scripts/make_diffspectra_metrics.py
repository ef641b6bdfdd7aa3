"""Held-out metrics of every solver, with and without the formula -> assets/diffspectra/*.csv.

  heldout_results.csv   one row per solver x formula: Acc@1/5/10/20, best Tanimoto, validity, uniqueness, s/query
  acc_vs_k.csv          Acc@K for K = 1..20 per solver
  temperature.csv       generator Acc@K against sampling temperature (with the formula)

Exact match = same constitution (first InChIKey block). Queries: conformer 1 + the default measurement
model, seeded per molecule. Retrieval runs on all held-out molecules; the generator (20 samples per
query, ~2 s each) on a fixed random subset (--gen-queries), the temperature sweep on a smaller one.

    nice -n 10 python scripts/make_diffspectra_metrics.py [--part retrieval|generator] --gen-queries 150 --temp-queries 60

The ablation (issue 20: does the spectrum do the work?) -> ablation.csv, one generator checkpoint per run:

    python scripts/make_diffspectra_metrics.py --part ablation --weights assets/diffspectra/generator.pt \
        --label before --random --queries 300 --samples 64 --workers 15 --device cuda --out /tmp/m

For every held-out query (a fixed random subset of --queries, rng 0), with and without the formula, the
candidates come from the generator conditioned on (a) the true query spectrum, (b) the null spectrum
(all zeros: the unconditional branch), (c) another held-out molecule's measured spectrum (a fixed
derangement), or (d) no model at all: random graphs with the formula's heavy atoms (valence-constrained
decoding of random bond probabilities; without the formula the heavy atoms of a formula drawn from the
training split's formula frequencies). Every candidate set is verified against the TRUE query spectrum by
the same simulator re-ranking, so (b)-(d) measure what the re-ranking finds without the spectrum's help
in sampling. Rows: overall and by heavy-atom count. Sampling is batched over queries on --device (one
seeded generator for the whole batch, so a query's samples differ from a page run with its own seed);
decoding and simulator verification run in --workers processes. --guidance sets the guidance scale of those
conditions (default 1), --top-formulas how many proposed formulas share the samples without the formula
(default core.diffspectra.generator.TOP_FORMULAS). --sweeps adds guidance-scale rows with and without the formula, and step-count and
temperature rows with it (--sweep-queries queries). Conditions not started before
--deadline seconds are skipped and named in the log; every finished condition is written at once.
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
from core.diffspectra import ablation  # noqa: E402
from core.diffspectra.generator import GUIDANCE, TOP_FORMULAS  # noqa: E402
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


def run_ablation(args) -> None:
    """The controls of core/diffspectra/ablation.py for one checkpoint -> <out>/ablation_<label>.csv."""
    import multiprocessing as mp

    from core.diffspectra.chem import universe
    from core.diffspectra.generator import bundle_from_state

    start = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    out_csv = args.out / f"ablation_{args.label}.csv"
    pool = mp.get_context("spawn").Pool(args.workers)       # before CUDA is touched in this process
    bundle = bundle_from_state(torch.load(args.weights, map_location="cpu", weights_only=True), args.device)
    formulas = universe()["formula"].to_numpy()
    rows = heldout_rows(limit=args.queries)
    queries = ablation.query_features(rows)
    print(f"[{args.label}] generator v{bundle.version}, {len(rows)} queries, {args.samples} samples, "
          f"{args.workers} workers, device {args.device}", flush=True)
    base = {**({} if args.guidance == 1.0 else dict(guidance=args.guidance)),
            **({} if args.top_formulas == TOP_FORMULAS else dict(top_formulas=args.top_formulas))}
    plan = [(c, f, len(rows), base) for f in (True, False) for c in ablation.CONDITIONS]
    if args.random:
        plan += [("random", f, len(rows), {}) for f in (True, False)]
    if args.sweeps:
        n = min(args.sweep_queries, len(rows))
        plan += [("true", f, n, dict(guidance=g)) for g in args.sweep_guidance for f in (True, False)]
        plan += [("true", True, n, dict(steps=k)) for k in args.sweep_steps]
        plan += [("true", True, n, dict(temperature=t)) for t in args.sweep_temperature]
    table, skipped = [], []
    for cond, with_formula, n, knobs in plan:
        name = f"{cond}/{'formula' if with_formula else 'no formula'}/{knobs or 'default'}"
        if args.only and f"{cond}/{'formula' if with_formula else 'no formula'}" not in args.only.split(","):
            continue
        if args.deadline and time.perf_counter() - start > args.deadline:
            skipped.append(name)
            continue
        t0 = time.perf_counter()
        forms = [formulas[r] if with_formula else None for r in rows[:n]]
        if cond == "random":
            sampled = [args.samples] * n
        else:
            conditions = ablation.condition_features(cond, queries)[:n]
            chunk = 8192 if args.device.startswith("cuda") else 1024
            sampled = ablation.sample_condition(bundle, conditions, forms, args.samples, chunk=chunk, **knobs)
        t1 = time.perf_counter()
        tasks = [(i, rows[i], queries[i], forms[i], sampled[i]) for i in range(n)]
        outputs = sorted(pool.imap_unordered(ablation.verify_task, tasks, chunksize=2), key=lambda o: o["key"])
        labels = dict(model=args.label, spectrum=cond, formula=with_formula, samples=args.samples,
                      guidance=knobs.get("guidance", 1.0), steps=knobs.get("steps", 50),
                      temperature=knobs.get("temperature", 1.0), top_formulas=knobs.get("top_formulas", TOP_FORMULAS))
        new = ablation.summary_rows(outputs, **labels)
        new[0]["sampling_seconds_batched"] = round(t1 - t0, 2)
        table += new
        pd.DataFrame(table).round(4).to_csv(out_csv, index=False)
        first = new[0]
        print(f"[{args.label}] {name}: acc@1 {first['acc@1']:.3f} acc@10 {first['acc@10']:.3f} "
              f"acc@20 {first['acc@20']:.3f} valid {first['validity']:.2f} (sampling {t1 - t0:.1f} s, "
              f"verify {time.perf_counter() - t1:.1f} s)", flush=True)
    pool.close()
    if skipped:
        print(f"[{args.label}] skipped by --deadline: {skipped}", flush=True)
    print(f"[{args.label}] done in {time.perf_counter() - start:.0f} s -> {out_csv}", flush=True)


SPECTRUM_NAMES = {"true": "query spectrum", "null": "null (zeros)", "shuffled": "another molecule's",
                  "random": "random graphs, no model"}
MODEL_NAMES = {"before": "v1 (3,000 CPU steps)", "v2mid": "v2 at 3,500 GPU steps", "after": "v2 at 7,000 GPU steps",
               "final": "v2 (10,500 GPU steps)"}
SHIPPED = "final"


def assemble(inputs) -> None:
    """ablation_<label>.csv files (or an earlier ablation.csv) -> assets/diffspectra/ablation.csv; the shipped
    generator's rows with the query spectrum at the page's defaults (guidance GUIDANCE, TOP_FORMULAS proposed
    formulas without the formula) replace the generator rows of heldout_results.csv and acc_vs_k.csv."""
    frames = [pd.read_csv(f, keep_default_na=False, dtype={"heavy_atoms": str, "spectrum": str}) for f in inputs]
    table = pd.concat(frames, ignore_index=True)
    table["model"] = table["model"].str.replace(r"\d+$", "", regex=True).str.replace("cpu", "")
    table.loc[table["spectrum"] == "random", "model"] = "none"
    table["top_formulas"] = pd.to_numeric(table.get("top_formulas", 4), errors="coerce").fillna(4).astype(int)
    table = table.drop_duplicates(["model", "spectrum", "formula", "guidance", "steps", "temperature", "top_formulas",
                                   "heavy_atoms"], keep="last")
    table["model"] = table["model"].map(lambda m: MODEL_NAMES.get(m, m)).replace("v2 (7,000 GPU steps)",
                                                                                MODEL_NAMES["after"])
    table["spectrum"] = table["spectrum"].map(lambda s: SPECTRUM_NAMES.get(s, s))
    table.to_csv(ASSETS / "ablation.csv", index=False)
    best = table[(table["model"] == MODEL_NAMES[SHIPPED]) & (table["spectrum"] == SPECTRUM_NAMES["true"])
                 & (table["heavy_atoms"] == "all") & (table["guidance"] == GUIDANCE) & (table["steps"] == 50)
                 & (table["temperature"] == 1.0)
                 & ((table["formula"].astype(str) == "True") | (table["top_formulas"] == TOP_FORMULAS))]
    held = pd.read_csv(ASSETS / "heldout_results.csv")
    keep = [c for c in held.columns if c not in ("solver", "formula")]
    rows = [dict(solver=GENERATOR, formula=r["formula"] in (True, "True"), **{c: r[c] for c in keep if c in r})
            for _, r in best.iterrows()]
    for row in rows:      # sampling was batched on a GPU: the per-query time is bench_diffspectra.py's to give
        row["seconds_per_query"] = float("nan")
    held = pd.concat([held[held["solver"] != GENERATOR], pd.DataFrame(rows)], ignore_index=True)
    held.round(4).to_csv(ASSETS / "heldout_results.csv", index=False)
    curves = pd.read_csv(ASSETS / "acc_vs_k.csv")
    points = [dict(solver=GENERATOR, formula=r["formula"] in (True, "True"), k=k, accuracy=float(r[f"acc@{k}"]))
              for _, r in best.iterrows() for k in (1, 5, 10, 20)]
    curves = pd.concat([curves[curves["solver"] != GENERATOR], pd.DataFrame(points)], ignore_index=True)
    curves.round(4).to_csv(ASSETS / "acc_vs_k.csv", index=False)
    manifest.record([ASSETS / f for f in ("ablation.csv", "heldout_results.csv", "acc_vs_k.csv")],
                    "scripts/make_diffspectra_metrics.py", 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("retrieval", "generator", "all", "ablation", "assemble"), default="all")
    parser.add_argument("--inputs", type=Path, nargs="*", default=(), help="assemble: ablation_<label>.csv files")
    parser.add_argument("--gen-queries", type=int, default=150)
    parser.add_argument("--temp-queries", type=int, default=60)
    parser.add_argument("--weights", type=Path, default=ASSETS / "generator.pt")
    parser.add_argument("--label", default="after")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=ASSETS)
    parser.add_argument("--random", action="store_true", help="also the random-graph rows (model-free)")
    parser.add_argument("--guidance", type=float, default=1.0, help="guidance scale of the main conditions")
    parser.add_argument("--top-formulas", type=int, default=TOP_FORMULAS, help="without the formula: proposed formulas")
    parser.add_argument("--sweeps", action="store_true", help="guidance (with and without the formula), steps, "
                        "temperature rows")
    parser.add_argument("--sweep-queries", type=int, default=150)
    parser.add_argument("--sweep-guidance", type=float, nargs="*", default=[0.0, 2.0, 3.0])
    parser.add_argument("--sweep-steps", type=int, nargs="*", default=[25])
    parser.add_argument("--sweep-temperature", type=float, nargs="*", default=[0.6])
    parser.add_argument("--deadline", type=float, default=0.0, help="seconds; later conditions are skipped")
    parser.add_argument("--only", default="", help="comma-separated conditions, e.g. 'null/no formula,random/formula'")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.part == "ablation":
        run_ablation(args)
        return
    if args.part == "assemble":
        assemble(args.inputs)
        return
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
