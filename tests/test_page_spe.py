"""The SPE page through AppTest: defaults, changed controls, URL state, bad input and uploads."""
import pytest

from pages_harness import chart_titles, metric, open_page, upload

PAGE = "pages/spe.py"


def test_defaults_show_the_sweep_the_kernels_and_the_d_profile():
    at = open_page(PAGE)
    titles = chart_titles(at)
    for expected in ("Spectrum of the normalised Laplacian", "How far each encoding moves", "V diag(phi(lambda)) V^T",
                     "node colours before and after", "SPE jumps only where d cuts"):
        assert any(expected in t for t in titles), (expected, titles)
    assert metric(at, "repeated eigenvalues") == "10 in 5 groups"          # C12
    assert abs(float(metric(at, "SPE slope (log-log)")) - 1) < 0.05          # Lipschitz
    assert abs(float(metric(at, "LapPE (aligned) slope"))) < 0.2             # flat: an O(1) jump
    assert [e.label for e in at.expander] == ["What the paper shows", "Try this", "What differs from the paper here"]
    assert len(at.get("download_button")) >= 5
    assert not at.error and not at.exception
    assert any("Retrain a short run live" in b.label for b in at.button)    # training waits for a click
    assert len(at.dataframe) == 2                                            # rotation table, shipped results
    assert any("Cycle counting" in t for t in titles)


def test_cutting_a_repeated_pair_warns_and_a_molecule_loads():
    at = open_page(PAGE)
    at.slider(key="d").set_value(2).run()
    assert not at.exception
    assert any("cuts inside a repeated eigenvalue" in w.value for w in at.warning)
    assert float(metric(at, "eigengap gamma at d")) < 1e-6
    at.radio(key="source").set_value("molecule").run()
    at.radio(key="molecule").set_value("caffeine").run()
    assert not at.exception and metric(at, "nodes") == "14"


def test_query_params_set_the_controls():
    at = open_page(PAGE, graph="Petersen", kind="add edge", eps="1e-05", d="6")
    assert at.radio(key="graph").value == "Petersen" and at.radio(key="kind").value == "add edge"
    assert at.select_slider(key="eps").value == 1e-5 and at.slider(key="d").value == 6
    assert metric(at, "nodes") == "10" and not any("repeated eigenvalue" in w.value for w in at.warning)


def test_bad_query_param_and_bad_smiles_say_so():
    at = open_page(PAGE, eps="2")
    assert any("eps=2" in w.value for w in at.warning) and at.metric
    at = open_page(PAGE, source="molecule", molecule="custom SMILES", smiles="C1CC(")
    assert any("RDKit cannot parse" in e.value for e in at.error)


@pytest.mark.parametrize("content,message", [(b"", "no edges"), (b"0,1\n1,2,3,4\n", "should be"),
                                             (b"0 1 -1\n", "positive"),
                                             ("\n".join(f"{i} {i + 1}" for i in range(99)).encode(), "limit")])
def test_bad_uploads_get_a_clear_error(content, message):
    at = open_page(PAGE, source="upload")
    assert any("Upload an edge list" in i.value for i in at.info)
    upload(at, content, "edges.csv")
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert not at.get("plotly_chart")


def test_a_disconnected_upload_uses_its_largest_component():
    at = upload(open_page(PAGE, source="upload"), b"a,b\nb,c\nc,d\nd,a\nx,y\n", "edges.csv")
    assert any("disconnected" in w.value for w in at.warning)
    assert metric(at, "nodes") == "4" and at.get("plotly_chart")


def test_counting_words_follow_the_shipped_table():
    at = open_page("pages/spe.py")
    text = " ".join(m.value for m in at.markdown)
    assert "ID -> OOD" in text and "degrades most" in text, "the no-PE model's larger OOD gap is stated"
    assert "our reconstruction" in text
