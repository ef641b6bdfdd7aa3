"""The grokking page through AppTest: defaults, a changed control, URL state, bad input, on-request jobs."""
import pytest

from pages_harness import chart_titles, metric, open_page

GROK = "pages/grokking.py"


def test_grokking_defaults_show_the_delay():
    at = open_page(GROK)
    assert int(metric(at, "grokking delay")) > 300
    assert int(metric(at, "train < 0.1 at step")) < int(metric(at, "test < 0.1 at step"))
    titles = chart_titles(at)
    assert any("linearisation never does" in t for t in titles)
    assert any("alignment" in t.lower() for t in titles)
    assert [e.label for e in at.expander] == ["What the paper shows", "Try this", "What differs from the paper here"]
    assert len(at.get("download_button")) >= 2  # a CSV for every figure
    assert not at.warning


def test_grokking_smaller_alpha_shortens_the_delay():
    at = open_page(GROK)
    lazy_delay = int(metric(at, "grokking delay"))
    at.select_slider(key="alpha").set_value(0.25).run()
    assert not at.exception
    assert int(metric(at, "grokking delay")) < lazy_delay / 2


def test_grokking_query_params_set_the_controls():
    at = open_page(GROK, alpha="2", eps="0.05", lr="15", seed="3")
    assert at.select_slider(key="alpha").value == 2.0
    assert at.select_slider(key="eps").value == 0.05
    assert at.slider(key="lr").value == 15 and at.slider(key="seed").value == 3
    assert not at.warning


@pytest.mark.parametrize("key,value", [("alpha", "abc"), ("alpha", "3"), ("lr", "999"), ("seed", "1.5"),
                                       ("setting", "<script>")])
def test_grokking_bad_query_param_falls_back_with_a_note(key, value):
    at = open_page(GROK, **{key: value})
    assert any(f"{key}={value}" in w.value for w in at.warning)
    assert not at.exception and at.metric  # the page still ran, with the default


def test_grokking_paper_setting_waits_for_a_click():
    at = open_page(GROK, setting="Paper")
    assert any("Run the paper setting" in b.label for b in at.button)
    assert not at.metric  # nothing heavy ran by itself
    assert at.select_slider(key="D").disabled and at.slider(key="lr").disabled  # the preset owns them
    assert not at.select_slider(key="alpha").disabled


def test_grokking_divergent_step_size_says_so():
    at = open_page(GROK, D="30", lr="30")  # above the kernel's stability limit at D = 30
    assert any("diverged" in e.value for e in at.error)
    assert any("above the stability limit" in w.value for w in at.sidebar.warning)


@pytest.mark.slow
def test_grokking_sweep_and_phase_diagram_run_on_request():
    at = open_page(GROK)
    next(b for b in at.button if "P/D sweep" in b.label).click().run()
    assert not at.exception
    next(b for b in at.button if "phase diagram" in b.label).click().run()
    assert not at.exception
    titles = chart_titles(at)
    assert any("Final loss against P/D" in t for t in titles)
    assert any("Amount of grokking" in t for t in titles)


def test_grokking_long_setting_waits_for_a_click():
    at = open_page(GROK, D="80", p_ratio="30", steps="20000")  # estimated minutes: must not start by itself
    assert any(b.label.startswith("Run this setting") for b in at.button)
    assert not at.metric and any("starts on request" in i.value for i in at.info)


def test_grokking_default_words_follow_the_run():
    at = open_page(GROK)
    story = next(m.value for m in at.markdown if m.value.startswith("**What this run shows.**"))
    assert "fits the training set too" in story and "after the lazy fit" in story
    captions = " ".join(str(c.value) for c in at.caption)
    assert "absolute change" in captions and "ideal rich solution" in captions


def test_grokking_small_eps_says_the_lazy_model_does_not_fit():
    at = open_page(GROK, eps="0.02", alpha="1.0")
    story = next(m.value for m in at.markdown if m.value.startswith("**What this run shows.**"))
    assert "does not fit the training set" in story


def test_grokking_alpha_overlay_on_request():
    at = open_page(GROK)
    next(b for b in at.button if "Overlay several alpha" in b.label).click().run()
    assert not at.exception
    assert any("several alpha" in t for t in chart_titles(at))
