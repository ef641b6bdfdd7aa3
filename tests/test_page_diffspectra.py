"""The DiffSpectra page through AppTest: defaults, changed controls, URL state, bad input."""
import re

from pages_harness import chart_titles, metric, open_page

PAGE = "pages/diffspectra.py"


def test_defaults_render_every_section():
    at = open_page(PAGE)
    titles = chart_titles(at)
    assert any("IR spectrum (MMFF94" in t for t in titles)
    assert any("atoms settle, then bonds" in t for t in titles)
    assert any("Acc@K against K" in t for t in titles)
    assert any("by heavy-atom count" in t for t in titles)
    assert any("adds" in m.value and "over the null control" in m.value for m in at.markdown)
    assert any("Top candidate in 3D" in t for t in titles)
    assert metric(at, "valid as sampled").endswith("%")
    # difluoroacetic acid, held out: the shipped generator finds it at #1 with seed 0, but that depends on
    # the weights and torch's sampler, so only the format is pinned here (accuracy is measured in scripts/)
    assert re.fullmatch(r"#\d+|not found", metric(at, "rank of the truth"))
    assert [e.label for e in at.expander] == ["What the paper shows", "Try this", "What differs from the paper here"]
    assert not at.error


def test_typed_smiles_outside_the_universe_and_without_formula():
    at = open_page(PAGE, source="type a SMILES", formula="no", samples="10", guidance="2.0")
    assert at.text_input(key="smiles").value == "OCC(F)C#N"
    assert any("No formula: sampled for" in c.value for c in at.caption)
    assert any("Not in the universe" in c.value for c in at.caption)
    assert metric(at, "valid as sampled").endswith("%")
    at.slider(key="noise").set_value(0.04).run()
    assert not at.exception and not at.error


def test_bad_smiles_and_unsupported_elements_get_a_message():
    at = open_page(PAGE, source="type a SMILES")
    at.text_input(key="smiles").set_value("C1CC(").run()
    assert any("Cannot use this SMILES" in e.value for e in at.error)
    at.text_input(key="smiles").set_value("CCCl").run()
    assert any("unsupported element" in e.value for e in at.error)
    assert not at.exception
    assert any("Acc@K against K" in t for t in chart_titles(at))   # the benchmark still shows


def test_upload_mode_waits_for_a_file_and_bad_url_values_warn():
    at = open_page(PAGE, source="upload a spectrum", temperature="7")
    assert any("Upload a spectrum" in i.value for i in at.info)
    assert any("temperature=7" in w.value for w in at.warning)
    assert not at.exception
