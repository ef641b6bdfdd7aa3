"""The EBV page through AppTest: defaults, changed controls, URL state, bad settings, the stall and its remedy."""
import pytest

from pages_harness import chart_titles, metric, open_page

PAGE = "pages/ebv.py"


def test_defaults_show_generation_the_sphere_and_the_shipped_comparison():
    at = open_page(PAGE)
    titles = chart_titles(at)
    for expected in ("largest and the mean |cos|", "Pairwise angles", "lines through the sphere",
                     "steps to meet the stopping test", "cosine between class means", "Accuracy against the EBV"):
        assert any(expected in t for t in titles), (expected, titles)
    assert metric(at, "converged") == "yes"
    assert float(metric(at, "max |cos|")) <= 0.2001
    assert metric(at, "Welch bound") == "0.1465"
    assert [e.label for e in at.expander][:3] == ["What the paper shows", "Try this",
                                                  "What differs from the paper here"]
    assert any("Rerun live" in b.label for b in at.button)                # training waits for a click
    assert any("FC + softmax" in str(df.value) for df in at.dataframe)     # the shipped table
    assert any("reference, not computed here" in h.value for h in at.header)
    assert not at.error and not at.exception


def test_the_named_seed_stalls_and_the_remedy_converges():
    at = open_page(PAGE, lines_seed="0")
    assert any("Stalled" in w.value for w in at.warning)
    at.toggle(key="remedy").set_value(True).run()
    assert not at.exception and not any("Stalled" in w.value for w in at.warning)
    assert any("yes," in m.value for m in at.metric if m.label == "converged")


def test_alpha_below_the_welch_bound_is_said_never_to_converge():
    at = open_page(PAGE, alpha="0.14", steps="100")
    assert metric(at, "converged") == "no"
    assert any("below the Welch bound" in w.value for w in at.warning)


def test_query_params_set_the_controls_and_a_changed_widget_recomputes():
    at = open_page(PAGE, n="10", d="10", alpha="0", init="qr", cos_data="shapes")
    assert at.slider(key="n").value == 10 and at.radio(key="init").value == "qr"
    assert metric(at, "converged") == "yes" and metric(at, "SGD steps") == "0"
    at.slider(key="d").set_value(6).run()                  # alpha 0 with N > d: a message, no traceback
    assert not at.exception and any("do not exist" in e.value for e in at.error)
    at.slider(key="alpha").set_value(0.5).run()            # QR needs N <= d
    assert not at.exception and any("QR start needs N <= d" in e.value for e in at.error)


def test_bad_settings_and_bad_links_give_messages():
    at = open_page(PAGE, n="50", d="8", alpha="0")
    assert any("do not exist" in e.value for e in at.error) and not at.exception
    at = open_page(PAGE, n="abc", lr="7")
    assert any("n=abc" in w.value for w in at.warning) and any("lr=7" in w.value for w in at.warning)


def test_alpha_zero_from_the_official_random_start_oscillates_and_says_so():
    at = open_page(PAGE, n="6", d="8", alpha="0", steps="100")
    assert metric(at, "converged") == "no"
    assert any("oscillates at about 4 lr = 0.04" in w.value for w in at.warning)


@pytest.mark.slow
def test_the_live_rerun_trains_on_a_click():
    at = open_page(PAGE)
    next(b for b in at.button if "Rerun live" in b.label).click().run()
    assert not at.exception
    assert any("live rerun" in c.value for c in at.caption)
