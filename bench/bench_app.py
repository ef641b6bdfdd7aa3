"""End-to-end timings of the running app: a real `streamlit run app.py` server driven by headless Chromium.

What it measures, and why (what a visitor waits for, and what the host must hold):

* server start: process launch -> /_stcore/health answers "ok";
* first home render: navigation -> the "Eigen Atlas" title and every card image are visible (and loaded);
* grokking page first render (cold): navigation -> a plotly chart is on the page and the script has
  stopped (``[data-testid="stApp"]`` has ``data-test-script-state="notRunning"``); this includes the
  first ``import torch`` of the process and the default 5k-step simulation;
* a warm control change: the sidebar's alpha select_slider is moved one notch (a new simulation: cold)
  and back (a cache hit: warm), several times. Three figures per change: "server" = the script run as
  the server itself times it (the server is `streamlit run app.py` launched through ``python -c`` with
  a timer wrapped around Streamlit's ``ScriptRunner._run_script``, logging each run's start and end),
  "browser" = script state running -> notRunning as a MutationObserver in the page sees it, and
  "wall" = keypress -> notRunning (adds the widget's debounce and the round trip). On this box the
  browser shares the 2 cores with the server, so even "server" includes that contention;
* peak RSS of the server process tree (psutil, sampled every 50 ms, children included) after visiting
  home and grokking and moving the control, plus the kernel's high-water mark (VmHWM);
* whether the home page alone loads torch or sklearn: a second, fresh server is visited on the home page
  only, then its memory maps are searched for libtorch / sklearn shared objects (positive control: the
  same check on the first server after the grokking page).

Run: ``python bench/bench_app.py`` from the repository root (about 1 minute). Uses Debian's
/usr/bin/chromium through the playwright package (never ``playwright install``). Prints figures only.
``--no-post-script-gc`` starts the servers with ``--runner.postScriptGC false`` (Streamlit otherwise runs a
full ``gc.collect()`` after every script run, which a profile of the warm rerun showed at ~0.25 s).
"""
from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from core.registry import PAPERS  # noqa: E402  (plain dataclasses: imports neither torch nor streamlit)
from scripts.local_app import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
ALPHA_LABEL = "alpha: output scale (laziness)"
N_THUMBNAILS = sum(p.thumbnail.exists() for p in PAPERS)
EXTRA_ARGS = ["--runner.postScriptGC", "false"] if "--no-post-script-gc" in sys.argv else []
WARM_MOVES = 6                       # warm changes timed after the first (cold) move
MS = 1000

# In the page: record every change of the script state with its time (performance.now(), ms).
OBSERVE_STATE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__states = [[performance.now(), app.getAttribute('data-test-script-state')]];
  new MutationObserver(() => window.__states.push(
      [performance.now(), app.getAttribute('data-test-script-state')])
  ).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
IMAGES_LOADED = """(n) => {
  const imgs = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stImage"] img')];
  return imgs.length >= n && imgs.every(i => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().height > 0);
}"""


# ----------------------------------------------------------------------------- the server

# `streamlit run ...` with every script execution timed: its start and end wall time, the CPU time its
# thread used and the time it sat runnable waiting for a core (Linux /proc schedstat; the rest of its wall
# time it was blocked: on the GIL, a lock, another visitor's job), its session id,
# whether a rerun request stopped it, and the query string it ran with go to $BENCH_RUN_LOG (one line each;
# Server.runs() reads them). Timed per execution, not per ScriptRunner._run_script call: that call loops,
# running every rerun requested meanwhile, so one call can hold several executions. If Streamlit's private
# name moves, the server runs untimed (and says so in its log).
SERVE = """
import os, sys, threading, time
def _queued():  # seconds this thread has waited on a run queue, from the kernel's schedstat (0 if none)
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0
try:
    from streamlit.runtime.scriptrunner import script_runner as _sr
    _exec = _sr.exec_func_with_error_handling
    def _timed(func, ctx):
        start, cpu, queued, stopped = time.time(), time.thread_time(), _queued(), "?"
        try:
            result = _exec(func, ctx)
            stopped = "rerun" if result[2] is not None else "done"
            return result
        finally:
            with open(os.environ["BENCH_RUN_LOG"], "a") as log:
                log.write(f"{start:.6f} {time.time():.6f} {time.thread_time() - cpu:.6f} {_queued() - queued:.6f} "
                          f"{ctx.session_id} {stopped} "
                          f"{ctx.query_string or '-'}\\n")
    _sr.exec_func_with_error_handling = _timed
except Exception as exc:
    print("bench: script runs are not timed:", exc, flush=True)
if os.environ.get("BENCH_JOB_LOG"):   # every long job's computation (ui/jobs.py), to count duplicates
    from ui import jobs as _jobs
    _goc = _jobs.ResultStore.get_or_compute
    def _logged(self, key, compute, on_wait=None):
        def _compute():
            with open(os.environ["BENCH_JOB_LOG"], "a") as log:
                log.write(f"{id(self)} {key!r}\\n")
            return compute()
        return _goc(self, key, _compute, on_wait)
    _jobs.ResultStore.get_or_compute = _logged
from streamlit.web.cli import main
sys.argv[0] = "streamlit"
main()
"""

class Server:
    """`streamlit run app.py` in its own process group; killed (group-wide) on exit."""

    def __init__(self, log_dir: str, name: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(log_dir) / f"{name}.log", "w")
        self.run_log = Path(log_dir) / f"{name}.runs"
        self.run_log.touch()
        self.job_log = Path(log_dir) / f"{name}.jobs"
        self.job_log.touch()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(self.port),
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", *EXTRA_ARGS],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "BENCH_RUN_LOG": str(self.run_log), "BENCH_JOB_LOG": str(self.job_log)})
        self.ps = psutil.Process(self.proc.pid)
        self.peak_rss = 0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def wait_healthy(self, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"no /_stcore/health within {timeout} s")

    def tree_rss(self) -> int:
        total = 0
        for p in [self.ps, *self.ps.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far."""
        t = self.ps.cpu_times()
        return t.user + t.system

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_rss = max(self.peak_rss, self.tree_rss())
            except psutil.Error:
                return
            time.sleep(0.05)

    def vm_hwm(self) -> int:
        """The kernel's peak RSS of the server process itself (bytes)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def loaded(self, *needles: str) -> list[str]:
        """Mapped files of the server tree whose path contains any needle (shared objects it has loaded)."""
        hits = set()
        for p in [self.ps, *self.ps.children(recursive=True)]:
            for m in p.memory_maps(grouped=True):
                if any(n in m.path for n in needles):
                    hits.add(m.path)
        return sorted(hits)

    def runs(self) -> list[tuple[float, float, float, float, str, str, str]]:
        """Every finished script execution so far: (start, end, CPU seconds of its thread, seconds it waited
        for a core, session id, "done" or "rerun" (a rerun request stopped it), query string); start and end
        are wall-clock."""
        rows = []
        for line in self.run_log.read_text().splitlines():
            try:
                start, end, cpu, queued, session, stopped, query = line.split(" ", 6)
                rows.append((float(start), float(end), float(cpu), float(queued), session, stopped, query))
            except ValueError:  # the line being written right now
                continue
        return rows

    def script_time(self, since: float, timeout: float = 10) -> float | None:
        """Seconds from the first script run starting after ``since`` (time.time()) to the last one's end."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = [r for r in self.runs() if r[0] >= since]
            if runs:
                return max(r[1] for r in runs) - min(r[0] for r in runs)
            time.sleep(0.05)
        return None

    def stop(self) -> None:
        self._stop.set()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log.close()


# ----------------------------------------------------------------------------- page helpers

def idle(page, timeout_s: float = 120) -> None:
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                           timeout=timeout_s * MS)


def render_home(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url + "/", timeout=60 * MS)
    expect(page.get_by_test_id("stMain").get_by_role("heading", name="Eigen Atlas", level=1)
           ).to_be_visible(timeout=60 * MS)
    page.wait_for_function(IMAGES_LOADED, arg=N_THUMBNAILS, timeout=60 * MS)
    seconds = time.perf_counter() - start
    idle(page)
    return seconds


def move(page, server: "Server", key: str) -> tuple[float | None, float | None, float]:
    """Press ``key`` on the focused control; (server, browser, wall) seconds of the rerun it triggers.

    A cache-hit rerun can finish before the browser ever paints the "running" state; then the server's
    own log says the run happened and the browser figure is n/a.
    """
    page.evaluate("() => { window.__states = window.__states.slice(-1); }")
    t0 = page.evaluate("() => performance.now()")
    since = time.time()
    page.keyboard.press(key)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        states = [s for s in page.evaluate("() => window.__states") if s[0] > t0]
        running = next((i for i, s in enumerate(states) if s[1] == "running"), None)
        done = running is not None and next((s[0] for s in states[running:] if s[1] == "notRunning"), None)
        if done:
            return server.script_time(since), (done - states[running][0]) / MS, (done - t0) / MS
        server_time = server.script_time(since, timeout=0.05)
        if server_time is not None and page.get_by_test_id("stApp").get_attribute(
                "data-test-script-state") == "notRunning":
            return server_time, None, (page.evaluate("() => performance.now()") - t0) / MS
    raise TimeoutError(f"no rerun seen within 180 s after pressing {key}")


def fmt(seconds: float | None, digits: int = 2) -> str:
    return "n/a" if seconds is None else f"{seconds:.{digits}f} s"


def median(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# ----------------------------------------------------------------------------- the runs

def main() -> None:
    figures: list[tuple[str, str]] = []

    def report(what: str, value: str) -> None:
        figures.append((what, value))
        print(f"  {what}: {value}", flush=True)

    mb = lambda b: f"{b / 2 ** 20:.0f} MB"
    print(f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.2f}; server: "
          f"{' '.join(['streamlit run app.py', *EXTRA_ARGS])}; browser: {CHROMIUM} (headless)", flush=True)
    with tempfile.TemporaryDirectory() as logs, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # --- server 1: home, grokking, control changes, memory
            server = Server(logs, "server1")
            try:
                report("server start -> /_stcore/health ok", f"{server.wait_healthy():.2f} s")
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                since = time.time()
                report(f"first home render (title + {N_THUMBNAILS} card images)",
                       f"{render_home(page, server.url):.2f} s (server script time "
                       f"{fmt(server.script_time(since))})")
                report("RSS after home (server tree)", mb(server.tree_rss()))

                start, since = time.perf_counter(), time.time()
                page.goto(server.url + "/grokking", timeout=60 * MS)
                page.locator(".js-plotly-plot").first.wait_for(state="visible", timeout=180 * MS)
                idle(page, 180)
                report("grokking first render, cold (chart + notRunning)",
                       f"{time.perf_counter() - start:.2f} s (server script time {fmt(server.script_time(since))})")
                report("RSS after home + grokking (server tree)", mb(server.tree_rss()))

                page.evaluate(OBSERVE_STATE)
                slider = page.get_by_test_id("stSidebar").get_by_role("slider", name=ALPHA_LABEL)
                slider.focus(timeout=30 * MS)
                value0 = slider.get_attribute("aria-valuetext")
                server_s, browser_s, wall_s = move(page, server, "ArrowRight")   # alpha 1 -> 2: a new run
                value1 = slider.get_attribute("aria-valuetext")
                report(f"control change, cold (alpha {value0} -> {value1}, new run)",
                       f"server {fmt(server_s)}, browser {fmt(browser_s)}, wall {fmt(wall_s)}")
                warm = [move(page, server, key) for key in ["ArrowLeft", "ArrowRight"] * (WARM_MOVES // 2)]
                srv, brw, wall = ([w[i] for w in warm] for i in range(3))
                report(f"control change, warm (cache hit), median of {len(warm)}",
                       f"server {fmt(median(srv), 3)}, browser {fmt(median(brw), 3)}, wall {fmt(median(wall), 3)}")
                print("    each (server/browser/wall, s): " + ", ".join(
                    "/".join("n/a" if x is None else f"{x:.3f}" for x in w) for w in warm))
                time.sleep(0.2)
                report("peak RSS, server tree (sampled every 50 ms)", mb(server.peak_rss))
                report("peak RSS, server process (VmHWM)", mb(server.vm_hwm()))
                torch_libs = server.loaded("libtorch")
                report("torch loaded after grokking (positive control)", "yes" if torch_libs else "no")
                page.context.close()
            finally:
                server.stop()

            # --- server 2: a fresh process that only ever serves the home page
            server = Server(logs, "server2")
            try:
                server.wait_healthy()
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                render_home(page, server.url)
                time.sleep(1.0)                                   # let any lazy import finish
                torch_libs = server.loaded("libtorch", "/torch/")
                sklearn_libs = server.loaded("sklearn", "scikit_learn")
                report("home only: torch imported", "yes" if torch_libs else "no")
                report("home only: sklearn imported", "yes" if sklearn_libs else "no")
                for path in (torch_libs + sklearn_libs)[:5]:
                    print(f"    mapped: {path}")
                report("home only: RSS (server tree)", mb(server.tree_rss()))
                page.context.close()
            finally:
                server.stop()
        finally:
            browser.close()

    width = max(len(w) for w, _ in figures)
    print(f"\nSummary (load average now {os.getloadavg()[0]:.2f})")
    for what, value in figures:
        print(f"{what.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
