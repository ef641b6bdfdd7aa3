"""The numbers behind the grokking page's sentences: the lazy-then-rich story at the page's defaults, the
alignment against the ideal solution, the alpha overlay (Fig. 3a) and the phase diagram's blank cells."""
import numpy as np
import pytest

from core import grokking as g

PAGE_DEFAULTS = dict(alpha=2.0, eps=0.1, P=275, D=50, N=500, lr_scale=20.0, steps=5000, seed=0)


@pytest.fixture(scope="module")
def default_run():
    return g.simulate(**PAGE_DEFAULTS)


def test_page_default_lazy_model_fits_first_at_the_kernel_level(default_run):
    n = g.lazy_then_rich(default_run)
    assert n["lazy_fits_first"], "the linearised network fits the training set before the network generalises"
    assert n["lazy_fit"] < n["t_test"] and n["t_train"] < n["t_test"]
    assert n["lazy_train_end"] < 0.01, "the lazy train curve reaches ~0"
    assert n["lazy_test_end"] == pytest.approx(n["kernel_loss"], rel=0.05), "lazy test sits at the kernel level"
    assert default_run.test_loss[-1] < 0.1 * n["kernel_loss"]


def test_small_eps_lazy_model_does_not_fit_in_the_run():
    n = g.lazy_then_rich(g.simulate(**{**PAGE_DEFAULTS, "eps": 0.02, "alpha": 1.0}, n_align=2))
    assert np.isnan(n["lazy_fit"]) and not n["lazy_fits_first"], "Try this #3: no lazy fit within 5k steps"
    assert n["lazy_train_end"] > 0.1


def test_alignment_rises_towards_but_below_the_ideal(default_run):
    a = g.alignment_change(default_run)
    assert 0 < a["change"] and a["end"] < a["ideal"] * 1.02
    assert 0 < a["fraction"] <= 1.05


def test_alpha_sweep_matches_single_runs_and_lazier_waits_longer():
    kw = dict(eps=0.1, P=110, D=20, lr_scale=8.0, steps=1500, seed=1)
    sweep = g.alpha_sweep((0.5, 2.0), **kw)
    for i, a in enumerate(sweep.alphas):
        run = g.simulate(alpha=a, n_lazy=2, n_align=1, **kw)
        assert sweep.t_train[i] == run.t_train and sweep.t_test[i] == run.t_test
        np.testing.assert_allclose(sweep.test[i], run.test_loss[sweep.step], rtol=1e-3, atol=1e-6)  # float32, batched
    assert sweep.amount[1] > sweep.amount[0]


def test_blank_cells_partition_the_blank_set():
    pd = g.phase_diagram([0.5, 4.0, 40.0], [0.02, 0.2], P=110, D=20, lr_scale=8.0, steps=800, seed=1)
    kinds = g.blank_cells(pd)
    assert set(kinds) == set(g.BLANK_KINDS)
    stacked = np.stack(list(kinds.values()))
    assert (stacked.sum(0) <= 1).all(), "each blank cell has one reason"
    np.testing.assert_array_equal(stacked.any(0), ~np.isfinite(pd.amount))
    assert (pd.stop_step <= pd.steps).all()
