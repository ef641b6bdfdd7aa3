"""The page contract, checked on every built page of the registry (a new page is covered with no new test).

Each page: the paper header with its links; the three explainers in order; every input widget keyed and
bound to the URL, or declared unbound with a reason (``ui.conventions.unbound``); every chart with its CSV;
a compute note naming the device the work ran on; a malformed URL value answered by a visible note; and the
module's shape (section functions under ~60 lines, under 350 lines, caching only through ui/cache.py and
ui/jobs.py, no device typed into the compute note).
"""
import ast
import re

import pytest

from core.device import pick_device
from core.registry import ROOT, Paper, built
from pages_harness import open_page, page_text
from ui.conventions import UNBOUND

PAGES = built()
IDS = [p.slug for p in PAGES]
EXPLAINERS = ["What the paper shows", "Try this", "What differs from the paper here"]
INPUT_WIDGETS = ("slider", "select_slider", "radio", "selectbox", "multiselect", "text_input", "number_input",
                 "checkbox", "toggle", "text_area", "color_picker", "date_input", "time_input")
URL_TESTABLE = ("slider", "select_slider", "radio", "selectbox")  # where a garbage value is surely invalid
MAX_PAGE_LINES, MAX_SECTION_LINES = 350, 60
_default_runs = {}


def default_run(paper: Paper):
    """The page with default widgets, run once per test session and shared by the checks below."""
    if paper.slug not in _default_runs:
        _default_runs[paper.slug] = open_page(paper.page)
    return _default_runs[paper.slug]


@pytest.mark.parametrize("paper", PAGES, ids=IDS)
def test_header_links_and_explainers_in_order(paper):
    at = default_run(paper)
    text = page_text(at)
    assert paper.title in text and paper.arxiv_url in text
    if paper.repo_url:
        assert paper.repo_url in text
    assert [e.label for e in at.expander][:3] == EXPLAINERS


@pytest.mark.parametrize("paper", PAGES, ids=IDS)
def test_every_input_widget_is_keyed_and_in_the_url(paper):
    at = default_run(paper)
    declared = at.session_state[UNBOUND] if UNBOUND in at.session_state else {}
    loose = []
    for kind in INPUT_WIDGETS:
        for widget in at.get(kind):
            if not widget.key:
                loose.append(f"{kind} '{widget.label}' has no key")
            elif not widget.proto.HasField("query_param_key") and widget.key not in declared:
                loose.append(f"{kind} '{widget.key}' is neither bound to the URL nor declared unbound")
    for uploader in at.get("file_uploader"):
        if uploader.key not in declared:
            loose.append(f"file_uploader '{uploader.key}' is not declared unbound (ui.conventions.unbound)")
    assert not loose, loose
    assert all(len(reason) > 10 for reason in declared.values()), declared  # a reason, not a placeholder


@pytest.mark.parametrize("paper", PAGES, ids=IDS)
def test_every_chart_offers_its_csv(paper):
    at = default_run(paper)
    charts = [c.proto.id.split("-", 2)[-1] for c in at.get("plotly_chart")]
    csvs = {b.key for b in at.get("download_button")}
    assert charts, "a paper page shows at least one chart"
    missing = [key for key in charts if not key.startswith("fig_") or "csv_" + key[4:] not in csvs]
    assert not missing, f"charts without ui.conventions.figure's CSV: {missing}"


@pytest.mark.parametrize("paper", PAGES, ids=IDS)
def test_compute_note_names_the_device_it_ran_on(paper):
    at = default_run(paper)
    notes = [c.value for c in at.caption if c.value.startswith("Computed live")]
    assert notes, "no compute note (ui.conventions.compute_note) on the default page"
    devices = {f"device `{pick_device()}`", "device `CPU (numpy/scipy)`"}
    assert all(any(d in note for d in devices) for note in notes), notes


@pytest.mark.parametrize("paper", PAGES, ids=IDS)
def test_malformed_url_values_show_a_note_each(paper):
    """Every URL-bound slider and choice at once, each given a value no control accepts."""
    at = default_run(paper)
    bound = [w.key for kind in URL_TESTABLE for w in at.get(kind) if w.proto.HasField("query_param_key")]
    assert bound, "no URL-bound slider or choice to test"
    bad = open_page(paper.page, **{key: "not-a-value~" for key in bound})
    notes = " ".join(w.value for w in bad.warning)
    silent = [key for key in bound if f"{key}=not-a-value~" not in notes]
    assert not silent, f"malformed URL values dropped without a note (use ui.conventions.controls): {silent}"


# ----------------------------------------------------------------------------- the module's shape (static)

def page_tree(paper: Paper) -> tuple[ast.Module, str]:
    source = (ROOT / paper.page).read_text()
    return ast.parse(source), source


@pytest.mark.parametrize("paper", PAGES, ids=IDS)
def test_page_is_a_list_of_small_sections(paper):
    tree, source = page_tree(paper)
    assert len(source.splitlines()) <= MAX_PAGE_LINES
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)" for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > MAX_SECTION_LINES]
    assert not long, f"section functions over {MAX_SECTION_LINES} lines: {long}"
    last_def = max(i for i, node in enumerate(tree.body) if isinstance(node, ast.FunctionDef))
    tail = tree.body[last_def + 1:]
    assert tail, "the page module ends with the section calls, in order"
    loose = [ast.unparse(node)[:60] for node in tail if not isinstance(node, (ast.Expr, ast.Assign, ast.If))
             or not any(isinstance(n, ast.Call) for n in ast.walk(node))]
    assert not loose, f"the module's tail should only call the sections: {loose}"


@pytest.mark.parametrize("paper", PAGES, ids=IDS)
def test_page_caches_only_through_the_policy(paper):
    _, source = page_tree(paper)
    assert not re.search(r"st\.cache_(data|resource)", source), "use ui.cache.resource / ui.cache.data / ui.jobs"


@pytest.mark.parametrize("paper", PAGES, ids=IDS)
def test_compute_note_device_is_not_typed(paper):
    tree, _ = page_tree(paper)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "compute_note":
            typed = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and n.value in ("cpu", "cuda")]
            assert not typed, f"compute_note's device must come from the computation: {ast.unparse(node)}"
