"""The Eigen-CAM page through AppTest (tests/test_page_contract.py checks the conventions): the three maps and
the steps with default widgets, changed controls, URL state, MNIST, and bad uploads."""
import io

import numpy as np
import pytest

from pages_harness import chart_titles, open_page, page_text

PAGE = "pages/eigencam.py"


def png(array: np.ndarray) -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def test_defaults_show_the_three_maps_the_steps_and_the_attack():
    at = open_page(PAGE)
    titles = chart_titles(at)
    for expected in ("Three maps at conv block 4", "Step 1-3", "Step 4-8", "Class-specific",
                     "adversarial step", "Classifier probabilities"):
        assert any(expected in t for t in titles), (expected, titles)
    assert {"Eigen-CAM", "Grad-CAM", "Grad-CAM++"} <= set(titles)
    live = at.dataframe[0].value
    assert list(live["method"]) == ["Eigen-CAM", "Grad-CAM", "Grad-CAM++"]
    assert live["IoU"].between(0, 1).all() and live["energy in mask"].between(0, 1).all()
    assert "Precomputed" in page_text(at) and len(at.dataframe) == 2          # live scores, held-out table
    assert "The classifier says" in page_text(at) and not at.error and not at.exception


def test_changed_controls_recompute():
    at = open_page(PAGE)
    at.select_slider(key="layer").set_value(2).run()
    assert any("conv block 2" in t for t in chart_titles(at))
    assert "X is 256 x 32" in page_text(at)                                   # 16 x 16 positions, 32 channels
    at.toggle(key="fix_sign").set_value(False).run()
    assert "sign rule is off" in page_text(at)
    at.select_slider(key="target").set_value("circle").run()
    assert "explain the class **circle**" in page_text(at)
    at.select_slider(key="eps").set_value(0.05).run()
    assert "FGSM eps 0.05" in " ".join(chart_titles(at)) and not at.exception


def test_query_params_pick_an_mnist_digit_and_its_layer():
    at = open_page(PAGE, source="MNIST digit", digit="7", digit_layer="2", centre="false")
    assert at.radio(key="source").value == "MNIST digit" and at.slider(key="digit").value == 7
    assert "X is 49 x 32" in page_text(at) and not at.warning and "are **not** centred" in page_text(at)
    assert "held-out digits" in page_text(at) and not at.exception


def test_bad_url_value_says_so():
    at = open_page(PAGE, eps="0.3")
    assert any("eps=0.3" in w.value for w in at.warning) and at.get("plotly_chart")


@pytest.mark.parametrize("content,kind,message", [
    (b"GIF89a not really", "error", "not a PNG or JPEG"),
    (png(np.zeros((1, 20000), np.uint8)), "error", "4096 pixels a side"),
    (png(np.zeros((40, 40, 4), np.uint8)), "warning", "4 channels"),
], ids=["not an image", "20000 px", "4 channels"])
def test_uploads_get_a_clear_message(content, kind, message):
    at = open_page(PAGE, source="your image")
    assert any("Upload a PNG or JPEG" in i.value for i in at.info)
    at.file_uploader(key="upload").set_value(("upload.png", content, "image/png")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(message in e.value for e in at.get(kind)), [e.value for e in at.get(kind)]
    if kind == "error":
        assert not at.get("plotly_chart")
    else:
        assert any("Three maps" in t for t in chart_titles(at)) and "(true class" not in page_text(at)
