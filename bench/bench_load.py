"""Load: N concurrent visitors (default 8), each a headless Chromium visiting every page and changing a control.

What a hosted instance must hold (issue 27's targets in brackets):

* per page, p50 / p95 of the **first render** (navigation -> a chart is visible and the script has stopped),
  as each visitor sees it, with everyone else browsing at the same time [p95 <= 20 s];
* per page, p50 / p95 of a **warm interaction**: the page's first sidebar slider moved one notch and back
  (the move back is a cache hit), timed from the browser's "running" to "notRunning" script state, which
  is the server's rerun as the visitor sees it [p95 <= 1 s];
* exceptions shown on a page (stException elements), failed requests (HTTP >= 400 or network failures),
  and the server's peak RSS (process tree, sampled every 50 ms) [<= 1.5 GB];
* every long job's computation (ui/jobs.py, logged by the bench's server wrapper): an identical job
  computed twice is listed [none].

The browsers run on the same 2 cores as the server, as they would in the issue's measurement. Visitors
take the pages in different orders (visitor i starts at page i), so several cold pages are computed at
once, and two visitors meet on the same page at the same time, which is when a long job must be computed
once (ui/jobs.py) instead of twice.

    python bench/bench_load.py                 # 8 visitors, every built page
    python bench/bench_load.py --visitors 4 --pages grokking,spe
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


def visitor(index: int, url: str, slugs: list[str], results: dict, lock: threading.Lock) -> None:
    order = slugs[index % len(slugs):] + slugs[:index % len(slugs)]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        failed = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        # Streamlit's client first probes /<page>/_stcore/health and host-config, gets 404 and falls back
        # to /_stcore/...: expected, not a failure.
        page.on("response", lambda r: r.status >= 400 and not (r.status == 404 and "/_stcore/" in r.url)
                and failed.append(f"{r.status} {r.url}"))
        try:
            for slug in order:
                record = {"slug": slug}
                start = time.perf_counter()
                try:
                    page.goto(f"{url}/{slug}", timeout=120 * MS)
                    page.locator(".js-plotly-plot").first.wait_for(state="visible", timeout=300 * MS)
                    idle(page, 300)
                    record["first"] = time.perf_counter() - start
                    record["exceptions"] = page.get_by_test_id("stException").count()
                    slider = page.get_by_test_id("stSidebar").get_by_role("slider").first
                    if slider.count():
                        page.evaluate(OBSERVE_STATE)
                        slider.focus(timeout=30 * MS)
                        record["cold_move"] = rerun_seconds(page, "ArrowRight")
                        record["warm_move"] = rerun_seconds(page, "ArrowLeft")
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


def pct(xs, q: float) -> float | None:
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=8)
    parser.add_argument("--pages", default="", help="comma-separated slugs (default: every built page)")
    args = parser.parse_args(argv)
    slugs = [s for s in args.pages.split(",") if s] or [p.slug for p in built()]
    print(f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.2f}; {args.visitors} visitors x "
          f"{len(slugs)} pages", flush=True)
    results, lock = defaultdict(list), threading.Lock()
    with tempfile.TemporaryDirectory() as logs:
        server = Server(logs, "load")
        try:
            print(f"server healthy after {server.wait_healthy():.1f} s", flush=True)
            start = time.perf_counter()
            threads = [threading.Thread(target=visitor, args=(i, server.url, slugs, results, lock))
                       for i in range(args.visitors)]
            for t in threads:
                t.start()
                time.sleep(0.5)  # arrivals a moment apart, as people are
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            time.sleep(0.2)
            peak = server.peak_rss
            jobs = server.job_log.read_text().splitlines()
        finally:
            server.stop()
    print(f"\nAll visits done in {wall:.0f} s. Per page (first render: navigation -> chart + idle; "
          "moves: browser-observed rerun):")
    print(f"{'page':18} {'first p50':>10} {'first p95':>10} {'cold move p95':>14} {'warm p50':>9} "
          f"{'warm p95':>9} {'exceptions':>10} {'errors':>7}")
    all_first, all_warm = [], []
    for slug in slugs:
        rows = results[slug]
        first = [r.get("first") for r in rows]
        warm = [r.get("warm_move") for r in rows]
        cold = [r.get("cold_move") for r in rows]
        all_first += first
        all_warm += warm
        f = lambda x: "n/a" if x is None else f"{x:.2f}"  # noqa: E731
        print(f"{slug:18} {f(pct(first, .5)):>10} {f(pct(first, .95)):>10} {f(pct(cold, .95)):>14} "
              f"{f(pct(warm, .5)):>9} {f(pct(warm, .95)):>9} {sum(r.get('exceptions', 0) for r in rows):>10} "
              f"{sum('error' in r for r in rows):>7}")
    print(f"\nall pages: first render p95 {pct(all_first, .95):.2f} s (target <= 20), warm interaction p95 "
          f"{(pct(all_warm, .95) or 0):.2f} s (target <= 1; unseen cache hits counted as 0 s: "
          f"{sum(w is None for w in all_warm)})")
    print(f"failed requests: {len(results['_failed'])}" + "".join(f"\n  {u}" for u in results["_failed"][:10]))
    print(f"server peak RSS (process tree): {peak / 2 ** 20:.0f} MB (target <= 1536)")
    twice = {job: n for job, n in Counter(jobs).items() if n > 1}
    print(f"long jobs (ui/jobs.py) computed: {len(jobs)}, distinct {len(set(jobs))}; computed more than once: "
          f"{len(twice)}" + "".join(f"\n  {n}x {job[:140]}" for job, n in twice.items()))
    print(f"median first render over everything: {statistics.median([x for x in all_first if x]):.2f} s")


if __name__ == "__main__":
    main()
