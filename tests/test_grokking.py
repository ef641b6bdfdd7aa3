"""core/grokking/ against closed forms, a direct simulation of the weights, and the paper's claims."""
import numpy as np
import pytest
import torch

from core import grokking as g
from core.device import pick_device

F64 = torch.float64


def small_task(P=30, D=8, N=40, seed=0):
    return g.make_task(P, D, N, seed, "cpu", F64, keep_weights=True)


def test_statistics_recursion_equals_gd_on_weights():
    task = small_task()
    alpha, eps, lr, steps = 1.3, 0.3, 2.0, 300
    (train, test), w_bar, M = g.train_statistics(task, alpha, eps, lr, steps)
    train_w, W = g.simulate_weights(task, alpha, eps, lr, steps)
    N = W.shape[0]
    np.testing.assert_allclose(train, train_w, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(w_bar, W.mean(0).numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(M, (W.T @ W / N).numpy(), rtol=1e-9, atol=1e-12)
    assert train[-1] < 0.1 * train[0]  # it did train, so the comparison is not vacuous


def test_simulate_single_run_path_equals_the_batched_recursion():
    """simulate's fused one-run step (SingleRun) and loss bookkeeping equal evaluate + gd_step (train_statistics,
    itself checked against GD on the weights) to float64 round-off, including the three test-loss terms."""
    P, D, N, seed, alpha, eps, lr, steps = 60, 12, 40, 2, 1.5, 0.2, 2.0, 400
    run = g.simulate(alpha=alpha, eps=eps, P=P, D=D, N=N, lr_scale=lr, steps=steps, seed=seed, dtype=F64,
                     n_lazy=2, n_align=2)
    assert not run.diverged and run.train_loss[-1] < 0.1 * run.train_loss[0]  # it trained: not vacuous
    task = g.make_task(P, D, N, seed, "cpu", F64)
    (train, test), w_bar, M = g.train_statistics(task, alpha, eps, lr, steps)
    np.testing.assert_allclose(run.train_loss, train, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(run.test_loss, test, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(run.w_bar, w_bar, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(run.M, M, rtol=1e-9, atol=1e-12)
    w0, M0 = task.w_bar0, task.M0
    for t in (0, steps // 3, steps):  # each term against population_loss_terms at the reconstructed statistics
        sims = g.train_statistics(task, alpha, eps, lr, t)
        lin, quad = alpha * (torch.as_tensor(sims[1]) - w0), 0.5 * alpha * eps * (torch.as_tensor(sims[2]) - M0)
        for name, value in zip(("linear", "trace", "misalignment"), g.population_loss_terms(lin, quad, task.beta)):
            assert run.loss_terms[name][t] == pytest.approx(float(value), rel=1e-8, abs=1e-14)
    assert run.weight_norm[-1] == pytest.approx(float(np.trace(M)), rel=1e-10)


def test_population_loss_matches_monte_carlo():
    gen = torch.Generator().manual_seed(1)
    D = 6
    b, beta = torch.randn(D, generator=gen, dtype=F64), torch.randn(D, generator=gen, dtype=F64)
    S = torch.randn(D, D, generator=gen, dtype=F64)
    S = (S + S.T) / 2
    terms = g.population_loss_terms(b, S, beta)
    x = torch.randn(400_000, D, generator=gen, dtype=F64) / D ** 0.5
    err = x @ b + ((x @ S) * x).sum(1) - 0.5 * (x @ beta) ** 2
    mc, se = (err ** 2).mean(), (err ** 2).std() / len(x) ** 0.5
    assert abs(float(sum(terms)) - float(mc)) < 4 * float(se)
    assert all(float(t) >= 0 for t in terms)


def test_initial_test_loss_is_mean_squared_target():
    task = small_task(D=10)
    expected = 3 * float(task.beta @ task.beta) ** 2 / (4 * 10 ** 2)  # E[y^2] for y = (beta.x)^2/2
    w_bar, C = g.initial_state(task)
    b, S = g.network_form(w_bar, C, task, torch.tensor([1.0], dtype=F64), torch.tensor([0.3], dtype=F64))
    assert float(sum(g.population_loss_terms(b, S, task.beta))[0]) == pytest.approx(expected, rel=1e-12)


def test_kernel_regression_loss_matches_explicit_predictor():
    task = small_task(P=25, D=8)  # below the kernel threshold D(D+3)/2 = 44: an imperfect fit
    eps = 0.4
    gram = g.ntk_gram(task.X, task.w_bar0, task.M0, eps)
    coef = torch.linalg.solve(gram, task.y)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(200_000, 8, generator=gen, dtype=F64) / 8 ** 0.5
    a, ax = task.X @ task.w_bar0, x @ task.w_bar0
    k = (x @ task.X.T) * (1 + eps * (ax[:, None] + a[None, :]) + eps ** 2 * (x @ task.M0 @ task.X.T))
    err = k @ coef - 0.5 * (x @ task.beta) ** 2
    mc, se = float((err ** 2).mean()), float((err ** 2).std()) / len(x) ** 0.5
    assert g.kernel_regression_loss(task, eps) == pytest.approx(mc, abs=4 * se)
    np.testing.assert_allclose((gram @ coef).numpy(), task.y.numpy(), atol=1e-8)  # it interpolates


def test_lazy_curves_equal_gd_on_linearised_weights():
    task = small_task(P=20, D=6, N=30)
    alpha, eps, lr, steps = 0.7, 0.5, 1.0, 200
    W0 = task.W0
    N, P = W0.shape[0], task.X.shape[0]
    H0 = task.X @ W0.T                                                   # (P, N)
    feat = lambda X, H: (alpha / N) * (1 + eps * H)                      # d f / d(w_i . x) at W0
    dW = torch.zeros_like(W0)
    train_direct = []
    for t in range(steps + 1):
        r = (feat(task.X, H0) * (task.X @ dW.T)).sum(1) - task.y
        train_direct.append(float((r ** 2).mean()))
        if t == steps:
            break
        dW = dW - lr * N / alpha ** 2 * (2 / P) * (feat(task.X, H0) * r[:, None]).T @ task.X
    train, test = g.lazy_curves(task, eps, lr, np.array([0, 50, steps]))
    np.testing.assert_allclose(train, np.array(train_direct)[[0, 50, steps]], rtol=1e-8)
    # exact test loss of the linearised net: f = alpha [dw_bar.x + eps x^T sym(B) x], B = W0^T dW / N
    B = W0.T @ dW / N
    lin = g.population_loss_terms(alpha * dW.mean(0), alpha * eps * (B + B.T) / 2, task.beta)
    assert test[-1] == pytest.approx(float(sum(lin)), rel=1e-8)


def test_default_run_groks_and_lazy_model_does_not():
    run = g.simulate(steps=3000)
    assert not run.diverged
    assert run.t_train < run.t_test < 3000, "train falls first, test much later"
    assert run.t_test > 2 * run.t_train
    assert run.test_loss[-1] < 0.1 * run.kernel_loss, "network beats the kernel regression level"
    assert run.lazy_test_loss.min() > 0.9 * run.kernel_loss, "lazy model never beats its kernel"
    np.testing.assert_allclose(sum(run.loss_terms.values()), run.test_loss, rtol=1e-6)
    assert run.alignment[-1] > run.alignment[0]


def test_larger_alpha_gives_longer_delay():
    delays = [g.simulate(alpha=a, steps=6000, n_lazy=2, n_align=1).grokking_delay for a in (0.5, 1.0, 2.0)]
    assert np.all(np.isfinite(delays)) and delays[0] < delays[1] < delays[2]


def test_same_seed_same_run_other_seed_other_run():
    kw = dict(D=20, P=110, lr_scale=5.0, steps=300, n_lazy=5, n_align=2)
    a, b, c = g.simulate(seed=3, **kw), g.simulate(seed=3, **kw), g.simulate(seed=4, **kw)
    np.testing.assert_array_equal(a.test_loss, b.test_loss)
    assert not np.allclose(a.test_loss, c.test_loss)


def test_device_argument_is_respected(monkeypatch):
    assert g.simulate(D=10, P=40, lr_scale=2, steps=5, device="cpu").params["device"] == "cpu"
    monkeypatch.setenv("EIGEN_ATLAS_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    assert pick_device("meta") == torch.device("meta")  # an explicit argument wins over the env
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError):
            pick_device("cuda")


def test_step_size_above_the_kernel_limit_diverges():
    task = g.make_task(110, 20, 500, 0)
    limit = g.stable_lr_scale(task, 0.02)
    kw = dict(D=20, P=110, steps=400, n_lazy=2, n_align=1)
    assert not g.simulate(lr_scale=0.8 * limit, **kw).diverged
    assert g.simulate(lr_scale=1.3 * limit, **kw).diverged


def test_phase_diagram_batch_equals_separate_runs():
    alphas, epsilons = [0.5, 2.0], [0.02, 0.1]
    kw = dict(P=110, D=20, lr_scale=8.0, steps=1500, seed=1)
    pd = g.phase_diagram(alphas, epsilons, **kw)
    for i, a in enumerate(alphas):
        for j, e in enumerate(epsilons):
            run = g.simulate(alpha=a, eps=e, n_lazy=2, n_align=1, **kw)
            assert pd.t_train[i, j] == run.t_train and pd.t_test[i, j] == run.t_test
    assert pd.amount[1, 0] > pd.amount[0, 0], "lazier (larger alpha) groks later"


def test_goldilocks_window():
    D = 12
    sweep = g.data_sweep([D, 5 * D, 200], D=D, steps=4000, lr_scale=5.0)
    never, window, kernel_regime = range(3)
    assert np.isnan(sweep.t_test[never]), "P ~ D never generalises"
    assert sweep.t_test[window] - sweep.t_train[window] > sweep.t_test[kernel_regime] - sweep.t_train[kernel_regime]
    assert sweep.kernel_loss[kernel_regime] < 1e-6 < sweep.kernel_loss[window], "above D(D+3)/2=90 kernels learn"
