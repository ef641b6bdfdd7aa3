"""Timings of the DiffSpectra page's core (core/diffspectra) on the CPU, one torch thread.

(a) the forward simulator: one MMFF94 harmonic IR spectrum (embed + optimise + 6N gradients), median over
    a few molecules of different size;
(b) library search and the contrastive retriever: one query (after the one-off library build);
(c) the generator: 64 candidates x 50 denoising steps, then decoding and generate-and-verify
    re-ranking (re-simulating every unique valid candidate); target <= 5 s per query on one CPU thread
    (issue 20), with the formula and without it (formula proposals), at guidance 1 (one network call per
    step) and the page's default 2 (two calls), and with 25 steps;
(d) the split of (c) between sampling and verification.
Alongside: CPU seconds (process time), which a loaded machine inflates less than wall seconds.

Run: ``python bench/bench_diffspectra.py [n_queries]`` from the repository root (a few minutes). Prints figures only.
"cpu/wall" below 1 means other load on the machine slowed the run (the figure is then pessimistic).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `import core` from any cwd

import torch  # noqa: E402

from core.diffspectra import generator, library  # noqa: E402
from core.diffspectra.evaluate import heldout_rows, measured_query  # noqa: E402
from core.diffspectra.simulator import simulate_peaks  # noqa: E402
from core.diffspectra.chem import universe  # noqa: E402


def timed(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    torch.set_num_threads(1)
    print("(a) simulator: one MMFF94 IR spectrum")
    for smiles in ("O", "CC(C)=O", "c1ccccc1O", "CC(C)(C)OC(C)=O"):
        simulate_peaks.cache_clear()
        _, wall, cpu = timed(simulate_peaks, smiles, 7)
        print(f"    {smiles:18s} {1000 * wall:7.1f} ms wall  cpu/wall {cpu / wall:.2f}")

    _, wall, _ = timed(library.library_matrix)
    _, wall_r, _ = timed(library.load_retriever)
    print(f"(b) one-off: library matrix {wall:.2f} s, retriever + structure bank {wall_r:.2f} s")
    rows = heldout_rows(limit=8)
    queries = [measured_query(r) for r in rows]
    for name, fn in (("library search", library.library_ranked), ("retriever", library.retriever_ranked)):
        times = [timed(fn, q, 20)[1] for q in queries]
        print(f"    {name:15s} {1000 * statistics.median(times):6.1f} ms per query (median of {len(times)})")

    generator.load_generator("cpu")
    formulas = universe()["formula"].to_numpy()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    settings = (("+ formula, guidance 1", True, 1.0, 50), ("spectrum only, guidance 1", False, 1.0, 50),
                (f"+ formula, guidance {generator.GUIDANCE:g} (page default)", True, generator.GUIDANCE, 50),
                (f"spectrum only, guidance {generator.GUIDANCE:g} (page default)", False, generator.GUIDANCE, 50),
                ("+ formula, guidance 1, 25 steps", True, 1.0, 25))
    for label, with_formula, guidance, steps in settings:
        walls, cpus, sampling = [], [], []
        for row, query in list(zip(rows, queries))[:n]:
            marks = {}
            out, wall, cpu = timed(generator.generate, query, 64, formulas[row] if with_formula else None, int(row),
                                   guidance=guidance, steps=steps,
                                   progress=lambda f: marks.setdefault("sampled", time.perf_counter()) if f >= 1 else None)
            walls.append(wall), cpus.append(cpu), sampling.append(wall - (time.perf_counter() - marks["sampled"]))
        print(f"(c) generator, {label}: 64 candidates x {steps} steps + decode + verify: median "
              f"{statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU per query "
              f"(max {max(walls):.2f} s wall, {len(walls)} held-out queries), cpu/wall {sum(cpus) / sum(walls):.2f}")
        print(f"(d)    of which sampling {statistics.median(sampling):.2f} s, decode + verify "
              f"{statistics.median(w - s for w, s in zip(walls, sampling)):.2f} s (wall)")

if __name__ == "__main__":
    main()
