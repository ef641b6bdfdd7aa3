"""Load: N concurrent visitors (default 8), each a headless Chromium visiting every page and changing a control.

What a hosted instance must hold (issue 27's targets in brackets):

* per page, p50 / p95 of the **first render** (navigation -> a chart is visible and the script has stopped),
  as each visitor sees it, with everyone else browsing at the same time [p95 <= 20 s];
* per page, p50 / p95 of a **warm interaction**: the page's first sidebar slider moved one notch and back
  (the move back is a cache hit) [p95 <= 1 s server time];
* exceptions shown on a page (stException elements), failed requests (HTTP >= 400 or network failures),
  and the server's peak RSS (process tree, sampled every 50 ms) [<= 1.5 GB];
* every long job's computation (ui/jobs.py, logged by the bench's server wrapper): an identical job
  computed twice is listed [none].

Each figure is printed twice. *Browser*: what the visitor waits for, from the browser's "running" to
"notRunning" script state (moves) or from navigation to a painted chart (first render); it includes the
time the browsers themselves take from the same 2 cores. *Server*: what the server spends, from the bench
server's log of every script execution (start, end, session, query string; bench_app.SERVE): from the
start of the first execution after the visitor acted to the end of the last one before the browser
showed the result (a rerun requested meanwhile is a second execution). Visits are tagged with
``?bench_visitor=i`` on the first address so each session's runs map to its visitor.

After the first page, a visitor moves on by clicking the page's sidebar link, as people browse: the
session and the loaded front end stay. ``--navigate address`` loads each page's address instead (a new
session per page, what the issue's first measurement did).

The browsers run on the same 2 cores as the server, as they would in the issue's measurement. Visitors
take the pages in different orders (visitor i starts at page i), so several cold pages are computed at
once, and two visitors meet on the same page at the same time, which is when a long job must be computed
once (ui/jobs.py) instead of twice.

    python bench/bench_load.py                 # 8 visitors, every built page, sidebar navigation
    python bench/bench_load.py --visitors 4 --pages grokking,spe --navigate address
    python bench/bench_load.py --browsers-nice 19   # the server first, the browsers on what is left
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from bench_app import MS, OBSERVE_STATE, Server, idle  # noqa: E402
from core.registry import built  # noqa: E402
from scripts.local_app import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

RERUN_JS = """(t0) => {
  const s = window.__states.filter(x => x[0] > t0);
  const i = s.findIndex(x => x[1] === 'running');
  if (i < 0) return null;
  const j = s.slice(i).find(x => x[1] === 'notRunning');
  return j ? (j[0] - s[i][0]) / 1000 : null;
}"""


def rerun_seconds(page, key: str, quiet_after: float = 3.0) -> float | None:
    """Press ``key`` on the focused slider; seconds of the rerun as the browser sees it, or None when no
    "running" state was painted within ``quiet_after`` s and the app is idle (a cache hit answered at once)."""
    t0 = page.evaluate("() => performance.now()")
    pressed = time.monotonic()
    page.keyboard.press(key)
    while time.monotonic() - pressed < 120:
        seconds = page.evaluate(RERUN_JS, t0)
        if seconds is not None:
            return seconds
        if time.monotonic() - pressed > quiet_after and page.get_by_test_id("stApp").get_attribute(
                "data-test-script-state") == "notRunning":
            return None
        time.sleep(0.05)
    raise TimeoutError(f"no rerun seen after pressing {key}")


VISITOR_PARAM = "bench_visitor"  # tags a visitor's sessions in the server's run log (no page reads it)
# Navigation done: the script ran and stopped; or, for a run too quick for "running" ever to be painted
# (a cache hit), the new address is shown and the app has been idle for 3 s.
NAV_DONE_JS = """([t0, slug]) => {
  const s = window.__states.filter(x => x[0] > t0);
  const i = s.findIndex(x => x[1] === 'running');
  if (i >= 0 && s.slice(i).some(x => x[1] === 'notRunning')) return true;
  const app = document.querySelector('[data-testid="stApp"]');
  return location.pathname.endsWith('/' + slug) && performance.now() - t0 > 3000
    && app && app.getAttribute('data-test-script-state') === 'notRunning';
}"""


def open_page(page, url: str, slug: str, index: int, by_sidebar: bool) -> None:
    """Go to ``slug``: a click on its sidebar link (the session and the loaded app stay, as for a visitor
    browsing) or, for the first page and in --navigate address mode, a new page load of its address."""
    if not by_sidebar:
        page.goto(f"{url}/{slug}?{VISITOR_PARAM}={index}", timeout=120 * MS)
        page.evaluate(OBSERVE_STATE)
        return
    t0 = page.evaluate("() => performance.now()")
    nav = page.get_by_test_id("stSidebarNav")
    link = nav.locator(f'a[href$="/{slug}"]')
    if not link.is_visible():  # Streamlit folds long navigations behind "View more"
        nav.get_by_test_id("stSidebarNavViewButton").click(timeout=30 * MS)
    link.click(timeout=60 * MS)
    page.wait_for_function(NAV_DONE_JS, arg=[t0, slug], timeout=300 * MS, polling=100)


def lower_browsers(nice: int) -> None:
    """Give every Chromium this bench started the scheduling weight of ``nice``. Each Chromium runs in its
    own session, so Linux's autogroup scheduler shares the CPU between the browsers and the server as
    groups: a process's own nice value only counts within its group, the group's nice between groups."""
    for child in psutil.Process().children(recursive=True):
        try:
            if child.name().startswith("chrom"):
                Path(f"/proc/{child.pid}/autogroup").write_text(str(nice))
        except (psutil.Error, OSError):
            pass  # exited meanwhile, or no autogroups on this kernel


def visitor(index: int, url: str, slugs: list[str], by_sidebar: bool, browsers_nice: int, results: dict,
            lock: threading.Lock) -> None:
    order = slugs[index % len(slugs):] + slugs[:index % len(slugs)]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        if browsers_nice:
            lower_browsers(browsers_nice)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        failed = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        # Streamlit's client first probes /<page>/_stcore/health and host-config, gets 404 and falls back
        # to /_stcore/...: expected, not a failure.
        page.on("response", lambda r: r.status >= 400 and not (r.status == 404 and "/_stcore/" in r.url)
                and failed.append(f"{r.status} {r.url}"))
        try:
            for n, slug in enumerate(order):
                record = {"slug": slug, "visitor": index}
                start, record["t_open"] = time.perf_counter(), time.time()
                try:
                    open_page(page, url, slug, index, by_sidebar and n > 0)
                    page.locator(".js-plotly-plot").first.wait_for(state="visible", timeout=300 * MS)
                    idle(page, 300)
                    record["first"] = time.perf_counter() - start
                    record["t_rendered"] = time.time()
                    record["exceptions"] = page.get_by_test_id("stException").count()
                    slider = page.get_by_test_id("stSidebar").get_by_role("slider").first
                    if slider.count():
                        slider.focus(timeout=30 * MS)
                        record["t_right"] = time.time()
                        record["cold_move"] = rerun_seconds(page, "ArrowRight")
                        record["t_left"] = record["t_right_seen"] = time.time()
                        record["warm_move"] = rerun_seconds(page, "ArrowLeft")
                        record["t_left_seen"] = time.time()
                        idle(page, 300)
                        record["exceptions"] += page.get_by_test_id("stException").count()
                except Exception as exc:  # a timeout is a result too
                    record["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
                with lock:
                    results[slug].append(record)
                print(f"  visitor {index}: {slug} first {record.get('first', float('nan')):.1f} s"
                      + (f" ERROR {record['error']}" if "error" in record else ""), flush=True)
        finally:
            with lock:
                results["_failed"].extend(failed)
            browser.close()


def add_server_times(results: dict, runs: list[tuple[float, float, float, float, str, str, str]]) -> None:
    """Each visit's figures as the server timed its script executions (bench_app's run log): from the start
    of the first execution after the visitor acted (opened the page, pressed a key) to the end of the last
    one that finished before the browser showed the result: ``server_first``, ``server_cold``,
    ``server_warm``, with the CPU its executions used (``cpu_first`` ...) and the time they waited for a core
    (``queued_first`` ...); ``stopped`` counts the executions a rerun request cut short."""
    owner = {}  # session id -> visitor, from the tag in the query string of the session's executions
    for *_, session, _, query in runs:
        tag = dict(kv.split("=", 1) for kv in query.split("&") if "=" in kv).get(VISITOR_PARAM)
        if tag is not None:
            owner[session] = int(tag)
    by_visitor = defaultdict(list)
    for start, end, cpu, queued, session, stopped, _ in sorted(runs):
        if session in owner:
            by_visitor[owner[session]].append((start, end, stopped, cpu, queued))
    for slug, rows in results.items():
        if slug.startswith("_"):
            continue
        for r in rows:
            r["stopped"] = 0
            for acted, seen, name in (("t_open", "t_rendered", "server_first"),
                                      ("t_right", "t_right_seen", "server_cold"),
                                      ("t_left", "t_left_seen", "server_warm")):
                if seen not in r:
                    continue
                during = [x for x in by_visitor[r["visitor"]] if r[acted] <= x[0] and x[1] <= r[seen]]
                r[name] = during[-1][1] - during[0][0] if during else None
                r[name.replace("server", "cpu")] = sum(x[3] for x in during) if during else None
                r[name.replace("server", "queued")] = sum(x[4] for x in during) if during else None
                r["stopped"] += sum(x[2] == "rerun" for x in during)


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores, everything but idle and I/O wait)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def pct(xs, q: float) -> float | None:
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def table(slugs: list[str], results: dict, columns: dict) -> None:
    """One row per page: p50 / p95 of each (column title -> record key, quantile)."""
    f = lambda x: "n/a" if x is None else f"{x:.2f}"  # noqa: E731
    print(f"{'page':18}" + "".join(f"{title:>14}" for title in columns) + f"{'exceptions':>11}{'errors':>7}")
    for slug in slugs:
        rows = results[slug]
        cells = [f(pct([r.get(key) for r in rows], q)) for key, q in columns.values()]
        print(f"{slug:18}" + "".join(f"{c:>14}" for c in cells)
              + f"{sum(r.get('exceptions', 0) for r in rows):>11}{sum('error' in r for r in rows):>7}")


def every(results: dict, slugs: list[str], key: str) -> list:
    return [r.get(key) for slug in slugs for r in results[slug]]


def report(slugs: list[str], results: dict, wall: float, peak: int, jobs: list[str], runs: list) -> None:
    stopped = sum(r.get("stopped", 0) for slug in slugs for r in results[slug])
    print(f"\nAll visits done in {wall:.0f} s; {len(runs)} script executions timed by the server, {stopped} "
          "of them within a visit cut short by a rerun request.")
    print("As each visitor's browser saw it (first: navigation -> chart + idle; moves: running -> notRunning):")
    table(slugs, results, {"first p50": ("first", .5), "first p95": ("first", .95),
                           "cold move p95": ("cold_move", .95), "warm p50": ("warm_move", .5),
                           "warm p95": ("warm_move", .95)})
    print("As the server timed its script executions (from the first one after the visitor acted to the end of "
          "the last one before the browser showed the result):")
    table(slugs, results, {"first p50": ("server_first", .5), "first p95": ("server_first", .95),
                           "cold move p95": ("server_cold", .95), "warm p50": ("server_warm", .5),
                           "warm p95": ("server_warm", .95)})
    for kind, what in (("cpu", "CPU time of the script thread"),
                       ("queued", "time it was runnable but waiting for a core (the rest of the wall time it was "
                                  "blocked: the GIL, a lock, another visitor's job)")):
        print(f"Of which {what}:")
        table(slugs, results, {"first p50": (f"{kind}_first", .5), "first p95": (f"{kind}_first", .95),
                               "cold move p95": (f"{kind}_cold", .95), "warm p50": (f"{kind}_warm", .5),
                               "warm p95": (f"{kind}_warm", .95)})
    first, warm = every(results, slugs, "first"), every(results, slugs, "warm_move")
    s_first, s_warm = every(results, slugs, "server_first"), every(results, slugs, "server_warm")
    c_warm, q_warm = every(results, slugs, "cpu_warm"), every(results, slugs, "queued_warm")
    g = lambda x: "n/a" if x is None else f"{x:.2f} s"  # noqa: E731
    print(f"\nall pages, browser: first render p95 {g(pct(first, .95))} (target <= 20 s), warm interaction "
          f"p95 {g(pct(warm, .95))} (unseen cache hits: {sum(w is None for w in warm)})")
    print(f"all pages, server:  first render p95 {g(pct(s_first, .95))}, warm interaction p95 "
          f"{g(pct(s_warm, .95))} (target <= 1 s server time), warm p50 {g(pct(s_warm, .5))}; CPU of a warm "
          f"interaction p50 {g(pct(c_warm, .5))}, p95 {g(pct(c_warm, .95))}; waiting for a core p50 "
          f"{g(pct(q_warm, .5))}, p95 {g(pct(q_warm, .95))}")
    print(f"failed requests: {len(results['_failed'])}" + "".join(f"\n  {u}" for u in results["_failed"][:10]))
    print(f"server peak RSS (process tree): {peak / 2 ** 20:.0f} MB (target <= 1536)")
    twice = {job: n for job, n in Counter(jobs).items() if n > 1}
    print(f"long jobs (ui/jobs.py) computed: {len(jobs)}, distinct {len(set(jobs))}; computed more than once: "
          f"{len(twice)}" + "".join(f"\n  {n}x {job[:140]}" for job, n in twice.items()))
    seen = [x for x in first if x]
    if seen:
        print(f"median first render over everything: {statistics.median(seen):.2f} s")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=8)
    parser.add_argument("--pages", default="", help="comma-separated slugs (default: every built page)")
    parser.add_argument("--navigate", choices=["sidebar", "address"], default="sidebar",
                        help="after the first page: click the sidebar link (default) or load the page's address")
    parser.add_argument("--browsers-nice", type=int, default=0,
                        help="run the browsers' scheduling groups at this nice level (the server's stays at 0): "
                             "19 shows what the server does when it gets the CPU first, as with visitors on "
                             "their own machines")
    args = parser.parse_args(argv)
    slugs = [s for s in args.pages.split(",") if s] or [p.slug for p in built()]
    by_sidebar = args.navigate == "sidebar"
    print(f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.2f}; {args.visitors} visitors x "
          f"{len(slugs)} pages, navigating by {args.navigate}, browsers at nice {args.browsers_nice}", flush=True)
    results, lock = defaultdict(list), threading.Lock()
    with tempfile.TemporaryDirectory() as logs:
        server = Server(logs, "load")
        try:
            print(f"server healthy after {server.wait_healthy():.1f} s", flush=True)
            start, machine_busy, server_cpu = time.perf_counter(), busy_seconds(), server.cpu_seconds()
            threads = [threading.Thread(target=visitor,
                                        args=(i, server.url, slugs, by_sidebar, args.browsers_nice, results, lock))
                       for i in range(args.visitors)]
            for t in threads:
                t.start()
                time.sleep(0.5)  # arrivals a moment apart, as people are
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            time.sleep(0.5)  # the last run's line reaches the log
            peak, runs = server.peak_rss, server.runs()
            cpu = {"machine": busy_seconds() - machine_busy, "server": server.cpu_seconds() - server_cpu}
            jobs = server.job_log.read_text().splitlines()
        finally:
            server.stop()
    add_server_times(results, runs)
    report(slugs, results, wall, peak, jobs, runs)
    print(f"CPU seconds used during the visits: {cpu['machine']:.0f} by the whole machine (of "
          f"{wall * os.cpu_count():.0f} available), {cpu['server']:.0f} by the server, the rest by the browsers "
          "and the bench")


if __name__ == "__main__":
    main()
