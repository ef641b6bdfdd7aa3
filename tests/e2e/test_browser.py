"""A real browser against the running app: Playwright drives Debian's /usr/bin/chromium.

home -> grokking (through the card's link) -> move the alpha slider with the keyboard -> the rerun
finishes -> no exception element, the charts are there, the URL carries the new value, screenshot.
"""
import os
import re
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402

from core.registry import built  # noqa: E402
from scripts.local_app import CHROMIUM, chromium, serve  # noqa: E402

NAV = ["Home"] + [paper.short for paper in built()]  # the registry's pages, nothing legacy

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: test.sh installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def app_url():
    with serve() as url:
        yield url


@pytest.fixture(scope="module")
def tab():
    with chromium() as browser:
        expect.set_options(timeout=90_000)  # the first plotly paint and the first training run are slow
        yield browser.new_page(viewport={"width": 1400, "height": 1000})


def wait_idle(tab):
    app = tab.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED")
    expect(app).to_have_attribute("data-test-script-state", "notRunning")


def nav_labels(tab) -> list[str]:
    links = tab.get_by_test_id("stSidebarNavLink")
    expect(links.first).to_be_visible()
    more = tab.get_by_test_id("stSidebarNavViewButton")  # Streamlit folds a long list behind "View more"
    if more.count() and "more" in more.inner_text().lower():
        more.click()
        expect(links).to_have_count(len(NAV))
    return [t.strip().split("\n")[-1] for t in links.all_inner_texts()]  # drop the icon glyph name


def test_deep_link_with_a_bad_value_shows_a_note(app_url, tab):
    # runs first, on a fresh server: a deep link must not fall into Streamlit's legacy pages/ mode
    tab.goto(f"{app_url}/grokking?alpha=abc&eps=0.02")  # not the default: a default leaves the URL
    expect(tab.get_by_test_id("stAlert").filter(has_text="alpha=abc")).to_be_visible()
    wait_idle(tab)
    expect(tab.get_by_test_id("stException")).to_have_count(0)
    eps = tab.get_by_role("slider", name="eps: kernel-target alignment")
    expect(eps).to_have_attribute("aria-valuetext", "0.02")
    assert nav_labels(tab) == NAV
    eps.focus()
    tab.keyboard.press("ArrowRight")  # the first interaction after a deep link must not be lost
    expect(tab).to_have_url(re.compile(r"[?&]eps=0\.05(&|$)"))
    expect(tab.get_by_test_id("stMetric").filter(has_text="grokking delay")).to_be_visible()
    wait_idle(tab)


def test_home_to_grokking_and_a_slider_move(app_url, tab, tmp_path):
    tab.goto(app_url)
    expect(tab.get_by_role("heading", name="Eigen Atlas")).to_be_visible()
    expect(tab.locator("[data-testid='stImage'] img")).to_have_count(12)
    assert nav_labels(tab) == NAV  # not the legacy pages/ listing

    tab.locator("a[href*='grokking']", has_text="Open the page").click()  # that card's link
    expect(tab).to_have_url(re.compile(r"/grokking"))
    expect(tab.locator(".js-plotly-plot .gtitle", has_text="linearisation never does")).to_be_visible()
    wait_idle(tab)

    slider = tab.get_by_role("slider", name="alpha: output scale (laziness)")
    before = float(slider.get_attribute("aria-valuetext"))
    slider.focus()
    tab.keyboard.press("ArrowRight")  # the next alpha (the options double): lazier, a new run
    expect(tab).to_have_url(re.compile(rf"[?&]alpha={2 * before:g}(&|$)"))
    wait_idle(tab)
    expect(tab.get_by_test_id("stException")).to_have_count(0)
    expect(tab.locator(".js-plotly-plot")).to_have_count(2)
    expect(tab.get_by_test_id("stMetric").filter(has_text="grokking delay")).to_be_visible()
    tab.screenshot(path=str(tmp_path / "grokking.png"), full_page=True)
    assert (tmp_path / "grokking.png").stat().st_size > 10_000


def test_a_sidebar_click_leaves_the_last_pages_controls_behind(app_url, tab):
    # ebv's N (2..500) and bootstrap_amg's N (500..5000) share the key `n`. Streamlit carries the URL and
    # the widgets' values across a sidebar click, and raised "value 2 is less than min_value 500" on
    # bootstrap_amg (ui/navigation.leave_links_behind). AppTest does not carry them: only a browser sees it.
    tab.goto(f"{app_url}/ebv")
    expect(tab.locator(".js-plotly-plot").first).to_be_visible()
    wait_idle(tab)
    n = tab.get_by_role("slider", name="N: number of vectors (classes)")
    n.focus()
    tab.keyboard.press("Home")  # N = 2
    expect(tab).to_have_url(re.compile(r"[?&]n=2(&|$)"))
    wait_idle(tab)
    nav_labels(tab)  # unfolds "View more"
    tab.get_by_test_id("stSidebarNav").locator('a[href$="/bootstrap_amg"]').click()
    expect(tab).to_have_url(re.compile(r"/bootstrap_amg$"))  # no ?n=2 carried over
    expect(tab.locator(".js-plotly-plot").first).to_be_visible()
    wait_idle(tab)
    expect(tab.get_by_test_id("stException")).to_have_count(0)
    expect(tab.get_by_role("slider", name="N: vertices (SBM)")).to_have_attribute("aria-valuetext", "2000")


# ----------------------------------------------------------------------------- one visit per page

def test_spe_page_and_the_d_slider(app_url, tab):
    tab.goto(f"{app_url}/spe")
    expect(tab.locator(".js-plotly-plot .gtitle", has_text="How far each encoding moves")).to_be_visible()
    wait_idle(tab)
    expect(tab.get_by_test_id("stException")).to_have_count(0)
    d = tab.get_by_role("slider", name="d: eigenpairs kept (d >= n keeps all)")
    d.focus()
    tab.keyboard.press("Home")
    tab.keyboard.press("ArrowRight")  # d = 2 on the 12-cycle: inside a repeated eigenvalue
    expect(tab).to_have_url(re.compile(r"[?&]d=2(&|$)"))
    expect(tab.get_by_test_id("stAlert").filter(has_text="cuts inside a repeated eigenvalue")).to_be_visible()
    wait_idle(tab)
    expect(tab.get_by_test_id("stException")).to_have_count(0)


def test_a_charts_csv_is_made_when_clicked(app_url, tab):
    """figure() passes a callable: the CSV exists only once asked for (no media file per rerun)."""
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Data (CSV)").first.click()
    text = Path(download.value.path()).read_text()
    assert download.value.suggested_filename.endswith(".csv") and len(text.splitlines()) >= 2 and "," in text
    wait_idle(tab)
    expect(tab.get_by_test_id("stException")).to_have_count(0)


def test_topcow_page_and_a_failure_mode(app_url, tab):
    tab.goto(f"{app_url}/topcow")
    expect(tab.locator(".js-plotly-plot .gtitle", has_text="one surface per label")).to_be_visible()
    wait_idle(tab)
    expect(tab.get_by_test_id("stMetric").filter(has_text="posterior topology")).to_contain_text("FAIL")
    tab.get_by_role("radio", name="left-right swap").check(force=True)  # Streamlit hides the radio input
    expect(tab).to_have_url(re.compile(r"[?&]failure=left-right"))
    wait_idle(tab)
    expect(tab.get_by_test_id("stMetric").filter(has_text="anterior topology")).to_contain_text("FAIL")
    expect(tab.get_by_test_id("stException")).to_have_count(0)


def test_eigentrajectory_page_and_the_k_slider(app_url, tab):
    tab.goto(f"{app_url}/eigentrajectory")
    expect(tab.locator(".js-plotly-plot .gtitle", has_text="predicted futures")).to_be_visible()
    wait_idle(tab)
    k = tab.get_by_role("slider", name="k: ET coefficients per trajectory")
    k.focus()
    tab.keyboard.press("ArrowRight")  # 6 -> 8 coefficients
    expect(tab).to_have_url(re.compile(r"[?&]k=8(&|$)"))
    expect(tab.locator(".js-plotly-plot .gtitle", has_text="u1..u8")).to_be_visible()
    wait_idle(tab)
    expect(tab.get_by_test_id("stException")).to_have_count(0)


def test_householder_page_and_the_direction_slider(app_url, tab):
    tab.goto(f"{app_url}/householder")
    expect(tab.get_by_text("Factor response per direction").first).to_be_visible(timeout=180_000)
    wait_idle(tab)
    expect(tab.get_by_test_id("stException")).to_have_count(0)
    direction = tab.get_by_role("slider", name="Direction index j")
    direction.focus()
    tab.keyboard.press("ArrowRight")
    expect(direction).to_have_attribute("aria-valuetext", "1")
    expect(tab).to_have_url(re.compile(r"[?&]direction=1(&|$)"))
    wait_idle(tab)
    expect(tab.get_by_test_id("stException")).to_have_count(0)


def test_diffspectra_page_and_the_noise_slider(app_url, tab):
    tab.goto(f"{app_url}/diffspectra")
    expect(tab.get_by_test_id("stMetric").filter(has_text="valid as sampled")).to_be_visible(timeout=180_000)
    wait_idle(tab)
    expect(tab.get_by_test_id("stException")).to_have_count(0)
    noise = tab.get_by_role("slider", name="noise (std, max band = 1)")
    noise.focus()
    tab.keyboard.press("ArrowRight")  # a noisier measurement: a new query, a new generation
    expect(tab).to_have_url(re.compile(r"[?&]noise="))
    wait_idle(tab)
    expect(tab.get_by_test_id("stMetric").filter(has_text="rank of the truth")).to_be_visible(timeout=180_000)
    expect(tab.get_by_text("Denoising trajectory: atoms settle, then bonds")).to_be_visible()
    expect(tab.get_by_test_id("stException")).to_have_count(0)


# ----------------------------------------------------------------------------- the other pages: they open

COVERED = {"grokking", "spe", "topcow", "eigentrajectory", "householder", "diffspectra"}  # tests above


@pytest.mark.parametrize("slug", [p.slug for p in built() if p.slug not in COVERED])
def test_page_opens_with_its_charts_and_no_exception(app_url, tab, slug):
    tab.goto(f"{app_url}/{slug}")
    expect(tab.locator(".js-plotly-plot").first).to_be_visible()
    wait_idle(tab)
    expect(tab.get_by_test_id("stException")).to_have_count(0)
    expect(tab.get_by_test_id("stExpander").first).to_be_visible()
