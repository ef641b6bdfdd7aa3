"""Timings of the SPE core (core/spe) as the page uses it, on the CPU, one torch thread.

(a) the epsilon sweep: 30 perturbations x all six encodings on a 40-node graph, one batched computation
    (``stability.sweep``), warm, median of 5. Target: <= 0.5 s. Against the same 30 points computed one
    perturbed graph at a time (``stability.pair`` per epsilon, which also builds the heat-map kernels).
(b) the other live computations of the page on the same graph: the d-profile (every d at once), one
    pair (heat-maps and node colours), the basis-rotation table.
(c) with ``--train``: the page's live retrain (core.spe.counting.LIVE: data + 3 models).

Run: ``python bench/bench_spe.py [--train]`` from the repository root. Prints figures only. "cpu/wall"
is this process's CPU time over wall time: clearly below 1 means other load slowed the figure down.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `import core` from any cwd

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.device import pin_threads  # noqa: E402
from core.spe import counting, graphs, stability  # noqa: E402


def timed(fn, *args, repeats: int = 5, **kw) -> tuple[float, str]:
    fn(*args, **kw)                                     # warm-up: allocator, first einsum paths
    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        fn(*args, **kw)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), (f"cpu {statistics.median(cpus) * 1e3:.0f} ms, "
                                      f"cpu/wall {sum(cpus) / sum(walls):.2f}")


def main() -> None:
    pin_threads(1)
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    G, _ = graphs.prepare(graphs.random_graph(graphs.RANDOM_MODELS[0], 40, 0))
    n = G.number_of_nodes()
    print(f"graph: Erdős–Rényi, {n} nodes, {G.number_of_edges()} edges")
    for kind in ("reweight", "add edge"):
        t, share = timed(stability.sweep, G, kind)
        print(f"(a) sweep, 30 eps x 6 methods, batched ({kind}): {t * 1e3:.0f} ms  [target <= 500 ms; {share}]")
    t_loop, share = timed(lambda: [stability.pair(G, e, "reweight") for e in stability.EPSILONS], repeats=2)
    print(f"(a) same 30 points one pair at a time: {t_loop * 1e3:.0f} ms  [{share}; includes heat-map kernels]")
    for name, fn in (("d-profile, d = 1..n at once", lambda: stability.d_profile(G, 1e-3)),
                     ("one pair (heat-maps, node colours)", lambda: stability.pair(G, 1e-3)),
                     ("basis-rotation table", lambda: stability.rotation_change(G))):
        t, share = timed(fn)
        print(f"(b) {name}: {t * 1e3:.0f} ms  [{share}]")
    big, _ = graphs.prepare(graphs.random_graph(graphs.RANDOM_MODELS[0], graphs.MAX_NODES, 0))
    t, share = timed(stability.sweep, big, "reweight", repeats=3)
    print(f"(a') sweep at the page's limit ({big.number_of_nodes()} nodes): {t * 1e3:.0f} ms  [{share}]")
    if "--train" in sys.argv:
        start, cpu = time.perf_counter(), time.process_time()
        results = counting.compare(counting.LIVE)
        wall = time.perf_counter() - start
        print(f"(c) live retrain {counting.LIVE}: {wall:.1f} s  [cpu/wall {(time.process_time() - cpu) / wall:.2f}]")
        for row in counting.summary(results):
            print(f"    {row['PE']:8s} ID {row['id MAE']:.3f}  OOD {row['ood MAE']:.3f}")


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
