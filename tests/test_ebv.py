"""core/ebv against closed forms and the official generator's behaviour (Shen et al., CVPR 2023)."""
import re

import numpy as np
import pytest
import torch

from core import ebv
from core.ebv import classify, data
from core.ebv.generate import PARALLEL, TOLERANCE
from core.ebv.head import EBVHead

STALL_SEED = 0      # 6 lines in R^3, alpha 0.46, lr 1e-2: the official update collapses a pair for this seed


def test_welch_bound_closed_forms():
    assert ebv.welch_bound(6, 3) == pytest.approx(1 / np.sqrt(5))       # 6 equiangular lines in R^3
    assert ebv.welch_bound(10, 10) == 0.0 and ebv.welch_bound(3, 7) == 0.0
    assert ebv.welch_bound(1000, 100) == pytest.approx(0.0949, abs=1e-4)  # the notes' table


@pytest.mark.parametrize("n,d,alpha", [(12, 4, 0.7), (30, 8, 0.5), (5, 9, 0.3)])
def test_rows_are_unit_and_converged_runs_meet_alpha(n, d, alpha):
    E, info = ebv.generate(n, d, alpha, lr=1e-2, steps=3000, seed=1)
    assert E.shape == (n, d) and E.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(E, axis=1), 1, atol=1e-5)
    assert info.converged and info["converged"]
    C = ebv.pairwise_abs_cos(E)
    assert C.max() <= alpha + TOLERANCE + 1e-6
    assert info.max_cos == pytest.approx(C.max(), abs=1e-5)
    assert info.mean_cos == pytest.approx(C.sum() / (n * (n - 1)), abs=1e-5)
    assert len(info.history["max_cos"]) == info.steps + 1


@pytest.mark.parametrize("n,d", [(3, 3), (8, 16), (20, 20)])
def test_orthogonal_sets_reach_alpha_zero_when_n_le_d(n, d):
    E, info = ebv.generate(n, d, 0.0, seed=3, init="qr")
    assert info.converged and info.steps == 0
    np.testing.assert_allclose(E @ E.T, np.eye(n), atol=1e-5)


def test_official_random_start_oscillates_at_alpha_zero():
    # the hinge's step does not shrink near |cos| = 0: the max |cos| hovers at a few lr (the notes' pitfall 4)
    _, info = ebv.generate(6, 8, 0.0, lr=1e-2, steps=800, seed=0)
    assert not info.converged
    assert info.history["max_cos"][-200:].max() < 0.1


@pytest.mark.parametrize("seed", range(10))
def test_six_lines_in_r3_converge_with_the_remedy(seed):
    E, info = ebv.generate(6, 3, 0.46, lr=1e-2, steps=3000, seed=seed, unstall=True)
    assert info.converged and not info.stalled
    assert ebv.pairwise_abs_cos(E).max() <= 0.46 + TOLERANCE + 1e-6


def test_the_official_update_stalls_for_the_named_seed():
    _, info = ebv.generate(6, 3, 0.46, lr=1e-2, steps=1500, seed=STALL_SEED)
    assert not info.converged and info.stalled
    tail = info.history["max_cos"][-1000:]
    assert tail.min() > PARALLEL                                   # a collapsed pair, step after step
    loss = info.history["loss"][-1000:]                            # mostly that pair's hinge alone: 2 (1 - alpha)
    assert np.median(loss) == pytest.approx(2 * (1 - 0.46), abs=0.005) and loss.min() > 1.07


def test_some_seeds_converge_quickly_with_the_official_update():
    _, info = ebv.generate(6, 3, 0.46, lr=1e-2, steps=3000, seed=2)
    assert info.converged and info.steps < 100 and info.nudges == 0


def test_alpha_below_the_optimum_never_converges():
    _, info = ebv.generate(6, 3, 0.40, lr=1e-2, steps=800, seed=0, unstall=True)
    assert not info.converged and info.history["max_cos"].min() > 1 / np.sqrt(5)


def test_appended_rows_keep_the_old_ones():
    old, _ = ebv.generate(20, 8, 0.5, lr=1e-2, steps=3000, seed=0, unstall=True)
    E, info = ebv.generate(6, 8, 0.5, lr=1e-2, steps=3000, seed=1, fixed=old, unstall=True)
    assert E.shape == (26, 8) and info.converged
    np.testing.assert_allclose(E[:20], old, atol=1e-6)
    assert ebv.pairwise_abs_cos(E).max() <= 0.5 + TOLERANCE + 1e-6


def test_the_callers_rng_is_untouched():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    ebv.generate(10, 4, 0.6, lr=1e-2, steps=50, seed=5)
    classify.build(data.shapes(1, 2, 1, per_class=3), "fc", seed=1)
    tiny = data.shapes(1, 3, 1, per_class=6)
    first = classify.grow(tiny, 2, "fc", epochs=1, new_epochs=1, seed=4)
    assert torch.equal(state, torch.get_rng_state())
    torch.manual_seed(999)                                   # another global state: the same result
    assert classify.grow(tiny, 2, "fc", epochs=1, new_epochs=1, seed=4) == first


@pytest.mark.parametrize("kwargs,message", [
    (dict(n=10, d=4, alpha=0.0), "do not exist"), (dict(n=10, d=4, alpha=-0.1), "[0, 1)"),
    (dict(n=1, d=4, alpha=0.5), "N must be"), (dict(n=10, d=99999, alpha=0.5), "d must be"),
    (dict(n=10, d=4, alpha=float("nan")), "alpha"), (dict(n=10, d=4, alpha=0.5, lr=0), "lr"),
    (dict(n=10, d=4, alpha=0.5, steps=-1), "steps"), (dict(n=5, d=4, alpha=0.5, init="qr"), "N <= d"),
])
def test_bad_settings_give_messages(kwargs, message):
    with pytest.raises(ebv.SettingsError, match=re.escape(message)):
        ebv.generate(**kwargs)


def test_ebv_head_has_no_trainable_parameters_and_scores_cosines():
    E, _ = ebv.generate(12, 5, 0.6, lr=1e-2, steps=2000, seed=0)
    head = EBVHead(E)
    assert sum(p.numel() for p in head.parameters() if p.requires_grad) == 0
    f = torch.randn(4, 5)
    cos = torch.nn.functional.normalize(f, dim=1) @ torch.as_tensor(E).T
    torch.testing.assert_close(head(f), cos / 0.07, atol=1e-4, rtol=1e-4)
    head.append(np.eye(5)[:2])
    assert head.n_classes == 14 and torch.allclose(head.E[:12], torch.as_tensor(E), atol=1e-6)


def test_fc_head_grows_with_n_and_ebv_head_does_not():
    small, big = data.shapes(1, 2, 2, per_class=2), data.shapes(3, 6, 2, per_class=2)
    E_small, _, _ = classify.make_ebvs(small.n_classes, 16, seed=0)
    E_big, _, _ = classify.make_ebvs(big.n_classes, 16, seed=0)
    fc = [classify.trainable(classify.build(s, "fc")) for s in (small, big)]
    eb = [classify.trainable(classify.build(s, "ebv", E)) for s, E in ((small, E_small), (big, E_big))]
    assert fc[1] - fc[0] == (big.n_classes - small.n_classes) * (classify.WIDTH + 1)
    assert eb[0] == eb[1]


def test_datasets_are_stratified_and_labelled():
    d = data.digits()
    assert d.n_classes == 10 and set(np.unique(d.y_train)) == set(range(10))
    if d.name.startswith("MNIST"):                                # 500 per class: an exactly balanced split
        assert np.bincount(d.y_test).min() == np.bincount(d.y_test).max() == 100
    s = data.shapes(per_class=6)
    assert s.n_classes == 144 and s.x_train.shape[1:] == (3, 20, 20)
    assert 0 <= s.x_train.min() and s.x_train.max() <= 1 and np.bincount(s.y_test).min() == 2


def test_a_short_run_learns_above_chance():
    s = data.shapes(1, 4, 2, per_class=20)
    run = classify.run(s, "ebv", d=4, epochs=6, keep_cosines=True)
    assert run.accuracy > 2 / s.n_classes and run.head_params == classify.WIDTH * 4 + 4
    assert run.cosines.shape == (8, 8)
    np.testing.assert_allclose(np.diag(run.cosines), 1, atol=1e-5)


def test_one_step_is_the_official_autograd_sgd_step():
    from core.device import seeded_generator
    n, d, alpha, lr = 40, 8, 0.3, 0.05
    W = torch.nn.Parameter(torch.nn.functional.normalize(torch.randn(n, d, generator=seeded_generator(7)), dim=1))
    opt = torch.optim.SGD([W], lr=lr)                  # the official loop, one step
    m = (W @ W.T).abs() - torch.eye(n)
    torch.nn.functional.relu(m - alpha).sum().backward()
    opt.step()
    E, info = ebv.generate(n, d, alpha, lr=lr, steps=1, seed=7)
    assert info.steps == 1
    np.testing.assert_allclose(E, torch.nn.functional.normalize(W.detach(), dim=1).numpy(), atol=1e-6)
