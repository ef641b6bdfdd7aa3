"""Render docs/screenshot.png (the README's picture): the grokking page, as a browser shows it.

Starts the app on a free loopback port, opens /grokking in Debian's chromium, waits for the training
run and the charts, and saves a 1400 x 1700 screenshot. Run: python scripts/make_screenshot.py
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect  # noqa: E402

from scripts.local_app import chromium, serve  # noqa: E402


def main() -> None:
    out = ROOT / "docs" / "screenshot.png"
    out.parent.mkdir(exist_ok=True)
    with serve() as url, chromium() as browser:
        tab = browser.new_page(viewport={"width": 1400, "height": 1700})
        tab.goto(f"{url}/grokking")
        expect(tab.locator(".js-plotly-plot")).to_have_count(2, timeout=120_000)
        expect(tab.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
        tab.wait_for_timeout(2000)  # let plotly finish its first paint
        tab.screenshot(path=str(out))
    print(out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
