"""The RKHS page through AppTest: defaults, changed controls, URL state, bad settings, the digits button.

tests/test_page_contract.py checks the conventions (header, explainers, URL binding, CSVs, compute notes).
"""
from pages_harness import chart_titles, metric, open_page, page_text

PAGE = "pages/rkhs.py"


def test_defaults_show_the_kernel_the_encoder_and_the_sweet_spot():
    at = open_page(PAGE)
    titles = chart_titles(at)
    for expected in ("The augmentation graph: 16 strings, 81 masked views", "The kernel the masking induces",
                     "a staircase", "the encoder's span converges", "Ky-Fan view",
                     "the sweet spot", "Against n", "Against d", "Augmentation complexity"):
        assert any(expected in t for t in titles), (expected, titles)
    assert abs(float(metric(at, "kappa^2 = max K_X(x, x)")) / 1.5 ** 4 - 1) < 1e-3    # (2 - alpha)^m, m = 4
    assert float(metric(at, "max |computed - staircase|")) < 1e-12
    assert float(metric(at, "max |K chi_S / 2^m - lambda_S chi_S|")) < 1e-12   # Walsh = eigenfunctions
    words = page_text(at)
    assert "every principal angle is below 5 degrees from step" in words and "Ky-Fan trace ends at" in words
    assert "A sweet spot strictly inside the range" in words and "lowest at **alpha = 0.9**" in words
    assert "not run here" in words                                               # the MLM experiment
    assert any("Run the digits view" in b.label for b in at.button)              # waits for a click
    assert not at.error and not at.exception


def test_changed_controls_recompute_and_a_bad_target_says_so():
    at = open_page(PAGE)
    at.slider(key="m").set_value(7).run()
    assert not at.exception
    assert any("drawn for m <= 4" in i.value for i in at.info)
    assert any("encoder trains at m = 6" in i.value for i in at.info)
    assert abs(float(metric(at, "kappa^2 = max K_X(x, x)")) / 1.5 ** 7 - 1) < 1e-3
    at.slider(key="n").set_value(400).run()
    assert not at.exception and "lowest at **alpha = 0.8**" in page_text(at)          # more labels: afford more kappa
    at.slider(key="w_high").set_value(0.0).run()                                # the target is part of the cache key
    assert not at.exception and "lowest at **alpha = 0.9**" in page_text(at)
    at.select_slider(key="m_task").set_value(6).run()                           # degree 10 > m = 6 below
    at.slider(key="k_high").set_value(8).run()
    assert any("cannot be built" in e.value and "degree" in e.value for e in at.error)
    assert not at.exception


def test_query_params_set_the_controls():
    at = open_page(PAGE, m="3", alpha="0.8", n_aug="10000", n="200", steps="1000")
    assert at.slider(key="m").value == 3 and at.slider(key="alpha").value == 0.8
    assert at.select_slider(key="steps").value == 1000 and "Spectral contrastive pretraining, m = 3" in " ".join(
        chart_titles(at))
    assert at.select_slider(key="n_aug").value == 10_000 and at.slider(key="n").value == 200
    assert any("8 strings, 27 masked views" in t for t in chart_titles(at))
    assert "At m = 3, alpha = 0.8" in page_text(at)


def test_bad_query_values_fall_back_with_a_note():
    at = open_page(PAGE, alpha="1.5", m="11")
    notes = " ".join(w.value for w in at.warning)
    assert "alpha=1.5" in notes and "m=11" in notes
    assert at.slider(key="alpha").value == 0.5 and not at.exception
    at = open_page(PAGE, w_lin="0", w_pair="0", w_high="0")
    assert any("nothing to learn" in w.value for w in at.warning) and not at.exception


def test_the_digits_view_runs_on_a_click():
    at = open_page(PAGE)
    next(b for b in at.button if "digits" in b.label).click().run()
    assert not at.exception
    assert any("Binarised digits" in t for t in chart_titles(at))
    assert "= N, no two digits share a view" in page_text(at)
