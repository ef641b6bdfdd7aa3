"""Timings of the EigenTrajectory page (pages/eigentrajectory.py) and its core, on the CPU, one thread.

What it measures, and why:

(a) the core steps a cold page pays once per process: loading + windowing + normalising the shipped training
    crowd and its two SVDs, k-means for the default 20 anchors at k = 6, simulating one held-out scene,
    forecasting every window of it with every method, and the Bezier/B-spline descriptor study;
(b) the page's interaction latency through AppTest (one full script run, as the server runs it, without the
    browser's drawing): the cold first run, then warm reruns (target <= 0.3 s) for a click on another agent,
    switching the drawn futures, moving the time slider, and returning to an already-seen k. Each figure comes
    with the run's CPU time: on a loaded machine wall time exceeds it, and CPU time is what one free core
    would take.

Run: ``python bench/bench_eigentrajectory.py`` from the repository root (about a minute). Prints figures only.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core import eigentrajectory as et  # noqa: E402
from core.eigentrajectory import data, forecast as fc  # noqa: E402

rows: list[tuple[str, str]] = []


def report(what: str, figure: str) -> None:
    rows.append((what, figure))
    print(f"  {what}: {figure}", flush=True)


def timed(fn, *args, **kw):
    start, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kw)
    return time.perf_counter() - start, time.process_time() - cpu, out


def bench_core() -> None:
    print("(a) core steps (wall / CPU)", flush=True)
    wall, cpu, samples = timed(lambda: fc.prepare(data.scene_windows(data.load_train_tracks())))
    report(f"load + window + normalise {len(samples.obs):,} training samples", f"{wall:.2f} s / {cpu:.2f} s")
    wall, cpu, (obs, fut) = timed(lambda: (et.ETDescriptor(16).fit(samples.obs),
                                           et.ETDescriptor(24).fit(samples.future)))
    report("ET descriptors (two SVDs)", f"{wall * 1e3:.0f} ms / {cpu * 1e3:.0f} ms")
    coef = fut.truncated(6).encode(samples.future)
    wall, cpu, _ = timed(fc.fit_anchors, coef, 20)
    report("k-means, 20 anchors, k = 6, n_init 3", f"{wall:.2f} s / {cpu:.2f} s")
    wall, cpu, rows_ = timed(data.scene_tracks, [(data.HELDOUT_BASE, "medium")])
    report("simulate one 60 s scene (medium)", f"{wall:.2f} s / {cpu:.2f} s")
    wall, cpu, scene = timed(lambda: fc.prepare(et.make_windows(rows_[0])))
    weights = data.load_forecasters()
    U_obs, U_pred = weights["U_obs"].double().numpy(), weights["U_pred"].double().numpy()
    cell = weights["cells"]["k6_s20"]
    nets = {n: fc.ETForecaster.from_state(cell[n]) for n in ("et", "free")}
    anchors = cell["anchors"].double().numpy()
    wall, cpu, _ = timed(fc.all_forecasts, scene, nets, anchors, np.full(20, 0.05), U_obs, U_pred)
    report(f"forecast all {len(scene.obs):,} samples of the scene, 4 methods",
           f"{wall * 1e3:.0f} ms / {cpu * 1e3:.0f} ms")
    wall, cpu, _ = timed(et.descriptor_study, samples.future, scene.future)
    report("descriptor study, future, n = 1..12", f"{wall * 1e3:.0f} ms / {cpu * 1e3:.0f} ms")
    bench_scene_figure(rows_[0])


def bench_scene_figure(rows_) -> None:
    """What a click costs in the browser: section 1 is a fragment, so a click reruns only it, and with the
    window's forecast cached its cost is building the scene figure and serialising it (AppTest can't run a
    fragment alone, so part (b) times whole-page reruns)."""
    import plotly.io as pio
    from ui.eigentrajectory_figures import scene_figure
    windows = et.make_windows(rows_)
    index = np.flatnonzero(windows.window == windows.window[len(windows) // 2])
    pred, prob = np.zeros((20, 12, 2)), np.full(20, 0.05)
    build = lambda a: scene_figure(windows.traj[index, :8], windows.traj[index, 8:], windows.agent[index], a,
                                   pred, prob, "ET + anchors", (20.0, 8.0, (10.0, 4.0, 0.5)))[0]
    pio.to_json(build(int(windows.agent[index[0]])), validate=False)          # warm-up (first plotly use)
    times = [timed(lambda a=a: pio.to_json(build(int(a)), validate=False)) for a in windows.agent[index][:5]]
    report("click: build + serialise the scene figure (the fragment's work)",
           f"median {statistics.median(t[0] for t in times) * 1e3:.0f} ms / "
           f"{statistics.median(t[1] for t in times) * 1e3:.0f} ms")


def bench_page(repeats: int = 5) -> None:
    from pages_harness import open_page
    print("(b) page runs through AppTest (wall)", flush=True)
    start = time.perf_counter()
    at = open_page("pages/eigentrajectory.py")
    report("cold first visit (imports, training set, k-means, scene)", f"{time.perf_counter() - start:.2f} s")

    cpu_share = []

    def rerun(change) -> float:
        """Wall seconds of one script run; its CPU time over wall time is kept to show the machine's load."""
        change()
        t, c = time.perf_counter(), time.process_time()
        at.run()
        assert not at.exception, at.exception
        wall = time.perf_counter() - t
        cpu_share.append((time.process_time() - c, wall))
        return wall

    def summary(times) -> str:
        cpu = statistics.median(c for c, _ in cpu_share[-len(times):])
        return (f"median {statistics.median(times) * 1e3:.0f} ms wall, {cpu * 1e3:.0f} ms CPU "
                f"(max wall {max(times) * 1e3:.0f})")

    agents = [int(o.split()[-1]) for o in at.selectbox(key="agent").options]
    click = lambda a: at.session_state.__setitem__("scene_click", {"selection": {"points": [{"customdata": [a]}]}})
    times = [rerun(lambda a=a: click(a)) for a in (agents * repeats)[1:repeats + 1]]
    report("warm: click another agent (builds its scene figure)", summary(times))
    shows = ["anchors only", "no anchors", "constant velocity", "ET + anchors"] * 2
    times = [rerun(lambda s=s: at.radio(key="show").set_value(s)) for s in shows[:repeats]]
    report("warm: switch the drawn futures", summary(times))
    times = [rerun(lambda v=v: at.slider(key="window").set_value(v)) for v in (20, 30, 50, 60, 70)[:repeats]]
    report("move the time slider (a new window: forecast + figure)", summary(times))
    cold_k = rerun(lambda: at.select_slider(key="k").set_value(4))
    report("first visit of k = 4 (k-means + scene forecast)", f"{cold_k:.2f} s")
    times = [rerun(lambda v=v: at.select_slider(key="k").set_value(v)) for v in (6, 4, 6, 4, 6)[:repeats]]
    report("warm: return to a seen k", summary(times))


def main() -> None:
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {os.cpu_count()} CPU cores, 1 thread, load average {os.getloadavg()[0]:.2f}",
          flush=True)
    bench_core()
    bench_page()
    width = max(len(r[0]) for r in rows)
    print(f"\nSummary (load average now {os.getloadavg()[0]:.2f})")
    for what, figure in rows:
        print(f"{what.ljust(width)}  {figure}")


if __name__ == "__main__":
    main()
