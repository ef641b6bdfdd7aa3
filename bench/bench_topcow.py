"""Timings of the TopCoW page's compute (core/topcow) on the CPU, as the page runs it.

What it measures, and why:

(a) phantom generation (labels + MRA-like image) on the page's default grid (iso 0.4 mm, 110x90x55)
    and on a 160^3 grid (0.275 mm, the bench size the issue names);
(b) the full Task-1 metric report (``evaluate_case``: Dice, clDice, Betti-0, HD95/HD, detection, graph,
    topology) for one prediction (a 1 mm gap in the L-Pcom) on both grids;
(c) marching-cubes meshes of all labels (the step the page's "auto" detail picks) and the size of the
    plotly figure JSON the browser receives;
(d) the first 3D view: phantom + meshes + figure JSON, end to end. Targets: <= 3 s CPU at 160^3,
    <= 3 MB of figure data;
(e) the error view of that prediction: the page's default (two projections, 2D heatmaps) against the
    3D scene of the "Errors in 3D" toggle; build + JSON. (A 3D scene costs the browser more than the
    server: without a GPU, each new WebGL scene is ~1 s of CPU in Chromium, whatever its size.)
(f) a simulated 20-case test set (the page's section 4 default), per case.

Run: ``python bench/bench_topcow.py`` from the repository root (about a minute). Prints figures only.
Each line gives CPU seconds (this process) and wall seconds: on a loaded machine wall >> CPU, and the
CPU figure is the one to compare with the targets.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")        # as the app: one math thread per process
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import topcow as tc  # noqa: E402
from core.topcow import cohort, degrade, mesh  # noqa: E402
from ui.topcow_figures import error_figure, error_projection_figure, mesh_figure  # noqa: E402

GRIDS = {"default iso 0.4 (110x90x55)": dict(spacing=(0.4, 0.4, 0.4), shape=None),
         "160^3 at 0.275 mm": dict(spacing=(0.275, 0.275, 0.275), shape=(160, 160, 160))}


def timed(fn, *args, repeat: int = 3, **kw):
    """Median CPU and wall seconds over ``repeat`` calls, and the last result."""
    cpus, walls = [], []
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        out = fn(*args, **kw)
        cpus.append(time.process_time() - c)
        walls.append(time.perf_counter() - w)
    return statistics.median(cpus), statistics.median(walls), out


def line(what, cpu, wall, extra=""):
    print(f"  {what:<44s} {cpu:6.2f} s CPU  {wall:6.2f} s wall  {extra}", flush=True)


def first_view(spacing, shape):
    ph = tc.make_phantom("complete", 0, spacing, shape=shape)
    fig, _ = mesh_figure(mesh.label_meshes(ph.labels, ph.spacing, mesh.auto_step(ph.labels.shape)), "CoW")
    return fig.to_json()


def error_views(pred, gt, spacing, step):
    """JSON of the default error projections and of the 3D error scene."""
    views = {view: mesh.error_projection(pred, gt, axis) for view, axis in (("axial", 2), ("coronal", 1))}
    flat = error_projection_figure(views, gt.shape, spacing, "errors")[0].to_json()
    scene = error_figure(mesh.label_meshes(gt, spacing, step), mesh.error_points(pred, gt, spacing), "errors")
    return flat, scene[0].to_json()


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, grid in GRIDS.items():
        print(name)
        cpu, wall, ph = timed(tc.make_phantom, "complete", 0, grid["spacing"], shape=grid["shape"])
        line("phantom (labels + MRA image)", cpu, wall)
        pred = degrade.break_vessel(ph.labels, 9, ph.spacing, 1.0)
        cpu, wall, report = timed(tc.evaluate_case, pred, ph.labels, ph.spacing)
        line("full metric report (evaluate_case)", cpu, wall,
             f"Dice {report['ClsAvgDice']:.3f}, posterior match {report['topology_match']['posterior']}")
        step = mesh.auto_step(ph.labels.shape)
        cpu, wall, meshes = timed(mesh.label_meshes, ph.labels, ph.spacing, step)
        tris = sum(len(f) for _, f in meshes.values())
        line(f"meshes, marching cubes step {step}", cpu, wall, f"{tris:,} triangles")
        cpu, wall, payload = timed(lambda: mesh_figure(meshes, "CoW")[0].to_json())
        line("plotly figure + to_json", cpu, wall, f"{len(payload) / 2**20:.2f} MB of figure data")
        cpu, wall, _ = timed(first_view, grid["spacing"], grid["shape"])
        line("first 3D view, end to end", cpu, wall, "(target <= 3 s CPU, <= 3 MB)")
        cpu, wall, (flat, scene) = timed(error_views, pred, ph.labels, ph.spacing, step, repeat=1)
        line("error view: projections + 3D scene", cpu, wall,
             f"{len(flat) / 2**20:.2f} MB (projections) vs {len(scene) / 2**20:.2f} MB (3D)")
    print("simulated test set (section 4 default: 20 phantoms at 0.6 mm)")
    cpu, wall, cases = timed(cohort.simulate_cohort, 20, repeat=1)
    line("20 cases: phantom + model + evaluate_case", cpu, wall, f"{cpu / 20:.2f} s CPU per case")
    cpu, wall, _ = timed(cohort.aggregate, cases)
    line("aggregation", cpu, wall)


if __name__ == "__main__":
    main()
