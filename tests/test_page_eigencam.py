"""The Eigen-CAM page through AppTest (tests/test_page_contract.py checks the conventions)."""
from pages_harness import chart_titles, open_page

PAGE = "pages/eigencam.py"


def test_defaults_show_the_key_figure():
    at = open_page(PAGE)
    assert any("TODO" in t or t for t in chart_titles(at))


def test_a_changed_control_recomputes():
    at = open_page(PAGE)
    at.slider(key="n").set_value(50).run()
    assert not at.exception
