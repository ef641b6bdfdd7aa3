"""The Light Schrödinger Bridge page through AppTest (tests/test_page_contract.py checks the conventions)."""
import pytest

from pages_harness import chart_titles, open_page, page_text, upload

PAGE = "pages/lightsb.py"


def test_defaults_train_live_and_show_every_section():
    at = open_page(PAGE)
    titles = chart_titles(at)
    for expected in ("The learned plan", "The bridge in time", "Training objective", "The learned potential",
                     "Gaussian to Gaussian", "cBW2-UVP"):
        assert any(expected in t for t in titles), (expected, titles)
    assert "resampling floor" in page_text(at) and "After 500 steps" in page_text(at)
    assert "against S* =" in page_text(at)
    # the optional comparisons wait for a click (the first view stays quick: no POT, no scikit-learn)
    assert not any("a continuous plan vs a discrete one" in t or "Input digit" in t for t in titles)
    assert {"Run Sinkhorn", "Train this translation"} <= {b.label for b in at.button}   # first in this process
    next(b for b in at.button if b.label == "Run Sinkhorn").click().run()
    next(b for b in at.button if b.label == "Train this translation").click().run()
    titles = chart_titles(at)
    for expected in ("a continuous plan vs a discrete one", "Input digit"):   # both stay shown (the store has them)
        assert any(expected in t for t in titles), (expected, titles)
    assert "LightSB" in page_text(at) and "classified as 8" in page_text(at)
    assert any("Compare eps" in b.label for b in at.button)          # the eps sweep waits for a click
    assert not at.error and not at.exception


def test_changed_controls_recompute_and_a_long_setting_waits_for_a_button():
    at = open_page(PAGE, steps="250")
    at.radio(key="target").set_value("8 gaussians").run()
    at.select_slider(key="eps").set_value(0.01).run()
    assert not at.exception and any("The learned plan" in t for t in chart_titles(at))
    assert any(b.label == "Run Sinkhorn" for b in at.button)          # log-domain Sinkhorn waits for a click
    at.slider(key="t").set_value(0.9).run()
    assert not at.exception and any("t = 0.9" in t for t in chart_titles(at))
    at.select_slider(key="steps").set_value(20000).run()
    assert any("beyond the live budget" in i.value for i in at.info)
    assert any("Train this longer setting" in b.label for b in at.button)


def test_query_params_set_the_controls():
    at = open_page(PAGE, target="moons", eps="0.01", K="25", seed="3", steps="250")
    assert at.radio(key="target").value == "moons" and at.select_slider(key="eps").value == 0.01
    assert at.select_slider(key="K").value == 25 and at.slider(key="seed").value == 3


def test_bad_query_param_says_so():
    at = open_page(PAGE, eps="0", K="0")
    notes = " ".join(w.value for w in at.warning)
    assert "eps=0" in notes and "K=0" in notes and not at.exception


@pytest.mark.parametrize("content,message", [(b"1,2\n" * 15 + b"nan,1\n", "NaN"), (b"1,2,3\n" * 20, "2 columns"),
                                             (b"", "at least 10"), (b"\xff\xfe", "UTF-8")])
def test_bad_uploads_get_a_clear_error(content, message):
    at = open_page(PAGE, target="upload CSV")
    upload(at, content, "cloud.csv")
    assert any(message in e.value for e in at.error), [e.value for e in at.error]


def test_a_good_upload_becomes_the_target():
    at = open_page(PAGE, target="upload CSV", steps="250")
    rows = "\n".join(f"{0.1 * i:.2f},{(-1) ** i:.1f}" for i in range(40)).encode()
    upload(at, b"x,y\n" + rows, "cloud.csv")
    assert not at.error and any("The learned plan" in t for t in chart_titles(at))


@pytest.mark.slow  # two more digit bridges and a 1,500-step benchmark cell
def test_buttons_start_the_benchmark_cell_and_the_eps_sweep():
    at = open_page(PAGE, b_dim="2", b_eps="1")
    next(b for b in at.button if b.label.startswith("Run one cell live")).click().run()
    assert not at.exception and any("live: D=2, eps=1" in str(c.proto.spec) for c in at.get("plotly_chart"))
    for button in [b for b in at.button if b.label == "Train this translation"]:   # absent once a test trained it
        button.click().run()
    next(b for b in at.button if b.label.startswith("Compare eps")).click().run()
    assert not at.exception and any("trade-off" in t for t in chart_titles(at))
    assert "From eps = 0.01 to 1 the displacement goes" in page_text(at)
