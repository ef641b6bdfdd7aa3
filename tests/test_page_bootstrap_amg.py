"""The Bootstrap AMG clustering page through AppTest (tests/test_page_contract.py checks the conventions)."""
import pytest

from pages_harness import chart_titles, open_page, page_text

PAGE = "pages/bootstrap_amg.py"
SMALL = dict(n="500", degree="12", vectors="5")   # a 500-vertex SBM keeps each run a few seconds


def test_defaults_show_every_section_and_the_two_verdicts():
    at = open_page(PAGE)
    titles = chart_titles(at)
    for expected in ("The augmented graph", "each new hierarchy is fitted", "Share of the lowest Laplacian eigenspace",
                     "Where the low modes live", "Every method on this graph: NMI", "Planted blocks against",
                     "Precomputed at 100k nodes"):
        assert any(expected in t for t in titles), (expected, titles)
    text = page_text(at)
    assert "The attributes help here" in text                      # eps 0.2, p 0.6: rows beat both
    assert "kmeansblock distance collapses onto the attribute partition" in text
    assert any(b.label == "Run the eps sweep" for b in at.button)
    assert any("10k nodes" in b.label for b in at.button)
    assert len(at.dataframe) == 1 and not at.error and not at.exception


def test_changed_controls_recompute():
    at = open_page(PAGE, **SMALL)
    at.radio(key="embedding").set_value("rows only").run()
    assert any("rows only" in t for t in chart_titles(at)) and not at.exception
    at.select_slider(key="eps").set_value(0.05).run()
    assert "The attributes do not help here" in page_text(at)         # clear structure: nothing to add


@pytest.mark.slow  # six SBMs x four methods
def test_a_sweep_runs_on_its_button():
    at = open_page(PAGE, **SMALL)
    at.radio(key="sweep").set_value("omega").run()
    at.radio(key="score").set_value("ARI").run()
    next(b for b in at.button if b.label == "Run the omega sweep").click().run()
    assert not at.exception
    assert any("ARI against the planted blocks as omega varies" in t for t in chart_titles(at))
    assert "Rows-only fusion beats" in page_text(at)


def test_query_params_set_the_controls():
    at = open_page(PAGE, n="600", eps="0.05", p="0.8", omega="0.3", vectors="5", restarts="modularity")
    assert at.slider(key="n").value == 600 and at.select_slider(key="eps").value == 0.05
    assert at.select_slider(key="omega").value == 0.3 and at.slider(key="vectors").value == 5
    assert "With 5 smooth vectors" in page_text(at) and at.radio(key="restarts").value == "modularity"


def test_karate_club_loads_and_says_it_is_two_clubs():
    at = open_page(PAGE, source="karate club")
    assert not at.exception and next(m.value for m in at.metric if m.label == "vertices") == "34"
    assert "Planted blocks against" in " ".join(chart_titles(at))


def test_a_bad_link_value_gets_a_note():
    at = open_page(PAGE, eps="2", **SMALL)
    assert any("eps=2" in w.value for w in at.warning) and not at.exception


def upload(at, edges: bytes, attrs: bytes | None = None):
    at.file_uploader(key="edges").set_value(("edges.txt", edges, "text/plain")).run()
    if attrs is not None:
        at.file_uploader(key="attrs").set_value(("attrs.csv", attrs, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_upload_with_attributes_is_clustered():
    ring = "\n".join(f"{i} {(i + 1) % 40}" for i in range(40)) + "\n0 20\n"
    attrs = "node,half\n" + "\n".join(f"{i},{'a' if i < 20 else 'b'}" for i in range(40))
    at = upload(open_page(PAGE, source="upload", k="2"), ring.encode(), attrs.encode())
    assert next(m.value for m in at.metric if m.label == "attribute vertices") == "2"
    assert any("Every method on this graph: modularity" in t for t in chart_titles(at))


@pytest.mark.parametrize("edges,attrs,message", [(b"\x00\xff\xfe", None, "UTF-8"), (b"1\n2\n", None, "two node ids"),
                                                 (b"0 1\n1 2\n", None, "at least 12")])
def test_bad_uploads_get_a_clear_error(edges, attrs, message):
    at = upload(open_page(PAGE, source="upload"), edges, attrs)
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
