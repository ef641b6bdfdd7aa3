"""core/lightsb against closed forms and the paper's identities (Korotin, Gushchin, Burnaev, ICLR 2024)."""
import numpy as np
import pytest
import torch

from core import lightsb
from core.lightsb import benchmark, digits, gaussian, official, sinkhorn, toys
from core.lightsb.potential import LightSB
from core.lightsb.train import Adam


def random_model(dim=3, K=4, eps=0.5, seed=0, dtype=torch.float64):
    rng = np.random.default_rng(seed)
    m = LightSB(dim, K, eps, device="cpu", dtype=dtype)
    with torch.no_grad():
        m.log_alpha_raw.copy_(torch.as_tensor(eps * rng.normal(size=K)))
        m.r.copy_(torch.as_tensor(rng.normal(size=(K, dim))))
        m.log_S.copy_(torch.as_tensor(np.log(rng.uniform(0.3, 2.0, (K, dim)))))
    return m.requires_grad_(False)


def test_matmul_form_matches_the_official_broadcast_form():
    m = random_model(dim=5, K=7)
    x = torch.randn(50, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(m.log_c(x), official.log_C(m, x))
    torch.testing.assert_close(m.log_v(x), official.log_potential(m, x))
    torch.testing.assert_close(m.loss(x, x.flip(0)), official.loss(m, x, x.flip(0)))


@pytest.mark.parametrize("t", [0.0, 0.3, 0.9])
def test_closed_form_drift_is_the_papers_autograd_drift(t):
    m = random_model()
    x = np.random.default_rng(2).normal(size=(20, 3))
    np.testing.assert_allclose(m.drift(x, t), official.drift(m, torch.as_tensor(x), t).numpy(), atol=1e-9)


def test_drift_at_zero_is_the_conditional_mean_minus_x_and_rejects_t_one():
    m = random_model()
    x = np.random.default_rng(3).normal(size=(10, 3))
    mean, _ = m.conditional_moments(x)
    np.testing.assert_allclose(m.drift(x, 0.0), mean - x, atol=1e-9)
    with pytest.raises(ValueError):
        m.drift(x, 1.0)


def test_plan_is_the_gaussian_mixture_and_integrates_to_one():
    m = random_model(dim=1, K=3, eps=0.3)
    x = np.array([[0.4]])
    grid = np.linspace(-15, 15, 20001)[:, None]
    log_p = m.log_plan(grid, np.repeat(x, len(grid), 0))         # <x,y>/eps + log v(y) - log c(x)
    assert np.trapezoid(np.exp(log_p), grid[:, 0]) == pytest.approx(1.0, abs=1e-6)
    w, means, var = (a.numpy() for a in m.conditional(x))
    mix = (w[0] * np.exp(-(grid - means[0, :, 0]) ** 2 / (2 * var[:, 0])) / np.sqrt(2 * np.pi * var[:, 0])).sum(1)
    np.testing.assert_allclose(np.exp(log_p), mix, rtol=1e-8, atol=1e-12)


def test_samples_have_the_mixture_moments():
    m = random_model(dim=2, K=5, eps=0.2)
    x = np.array([[0.0, 0.0], [1.0, -1.0], [-0.5, 2.0]])
    y = m.sample(x, 40_000, seed=5)
    assert y.shape == (3, 40_000, 2)
    mean, cov = m.conditional_moments(x)
    for i in range(3):
        scale = np.sqrt(np.diag(cov[i]))
        np.testing.assert_allclose(y[i].mean(0), mean[i], atol=4 * scale.max() / np.sqrt(40_000) + 1e-3)
        np.testing.assert_allclose(np.cov(y[i].T), cov[i], atol=0.05 * np.abs(cov[i]).max() + 1e-3)


def test_bridge_marginal_and_euler_maruyama_end_where_the_plan_says():
    m = random_model(dim=2, K=3, eps=0.1)
    x = np.zeros((1, 2))
    mean, cov = m.conditional_moments(x)
    xt = m.at_time(x, 0.5, 20_000, seed=1)[0]
    np.testing.assert_allclose(xt.mean(0), 0.5 * mean[0], atol=0.03)
    ends = m.trajectory(np.zeros((4000, 2)), 200, seed=2)
    assert ends.shape == (4000, 201, 2)
    np.testing.assert_allclose(ends[:, -1].mean(0), mean[0], atol=0.1 * np.sqrt(cov[0].trace()) + 0.03)


def test_gaussian_closed_form_and_the_kl_identity():
    b, B, eps = np.array([1.0, -2.0, 0.5]), np.array([0.5, 2.0, 1.0]), 0.3
    S, cond = lightsb.gaussian_eot(b, B, eps)
    np.testing.assert_allclose(S ** 2 + eps * S, B)              # the plan's y-marginal is N(b, B)
    np.testing.assert_allclose(cond, eps * S)
    rng = np.random.default_rng(0)
    for _ in range(5):                                           # Thm 3.1: L(theta) - L(theta*) = KL(pi*||pi_theta)
        r, S_theta = b + rng.normal(size=3), rng.uniform(0.2, 3, 3)
        assert gaussian.kl_gap(r, S_theta, b, B, eps) == pytest.approx(gaussian.plan_kl(r, S_theta, b, B, eps))
        assert gaussian.kl_gap(r, S_theta, b, B, eps) > 0
    assert gaussian.kl_gap(b, S, b, B, eps) == pytest.approx(0, abs=1e-12)
    with pytest.raises(ValueError):
        lightsb.gaussian_eot(b, B, 0.0)


def test_fit_learns_the_closed_form_gaussian_plan():
    """K = 1 LightSB from unpaired samples of N(0, I) and N(b, diag B): S within 10 %, r within 0.1."""
    b, B, eps = np.array([1.0, -1.0, 0.5]), np.array([0.5, 2.0, 1.0]), 0.5
    S_star, _ = lightsb.gaussian_eot(b, B, eps)
    model = lightsb.fit(gaussian.standard_normal(3), gaussian.sampler(b, B), eps, n_potentials=1, steps=1500,
                        lr=2e-2, batch=256, S_init=1.0, seed=0, device="cpu")
    S = model.S().numpy()[0]
    np.testing.assert_allclose(S, S_star, rtol=0.1)               # mean slope dE[y|x]/dx
    np.testing.assert_allclose(model.r.numpy()[0], b, atol=0.1)
    _, cov = model.conditional_moments(np.zeros((1, 3)))
    np.testing.assert_allclose(np.diag(cov[0]), eps * S_star, rtol=0.1)   # conditional variance eps S*
    assert gaussian.kl_gap(model.r.numpy()[0], S, b, B, eps) < 0.02


def test_benchmark_truth_scores_zero_and_training_improves():
    bench = benchmark.make_benchmark(2, 0.1, seed=0, n_test=200)
    assert bench.cbw2_uvp(bench.truth) == pytest.approx(0, abs=1e-9)
    model, curve = benchmark.training_curve(bench, n_potentials=20, steps=600, every=300, device="cpu")
    assert [s for s, _ in curve] == [0, 300, 600]
    assert curve[-1][1] < 0.5 * curve[0][1]


def test_bures_wasserstein_matches_scipy_sqrtm():
    import scipy.linalg
    rng = np.random.default_rng(0)
    A, C = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    c1, c2, m1, m2 = A @ A.T + np.eye(4), C @ C.T + 0.1 * np.eye(4), rng.normal(size=4), rng.normal(size=4)
    r1 = scipy.linalg.sqrtm(c1).real
    expected = 0.5 * ((m1 - m2) ** 2).sum() + 0.5 * np.trace(c1 + c2) - np.trace(scipy.linalg.sqrtm(r1 @ c2 @ r1).real)
    assert benchmark.bw2_squared(m1[None], c1[None], m2[None], c2[None])[0] == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("eps", [1.0, 0.01])   # plain and log-domain Sinkhorn
def test_sinkhorn_rows_are_its_plan_and_its_extension(eps):
    import ot
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(70, 2)) + 1
    plan = sinkhorn.solve(x, y, eps)
    assert plan.method == ("sinkhorn_log" if eps == 0.01 else "sinkhorn") and plan.converged
    P = ot.sinkhorn(ot.unif(60), ot.unif(70), 0.5 * ot.dist(x, y), eps, method="sinkhorn_log", numItermax=20000)
    np.testing.assert_allclose(plan.conditional_weights(x), P / P.sum(1, keepdims=True), atol=1e-5)
    assert plan.sample(x[:3], 5).shape == (3, 5, 2)


def test_sinkhorn_on_gaussians_approaches_the_closed_form_slope():
    b, B, eps = np.array([0.0]), np.array([4.0]), 1.0
    rng = np.random.default_rng(1)
    plan = sinkhorn.solve(rng.normal(size=(800, 1)), b + 2 * rng.normal(size=(800, 1)), eps)
    mean, _ = plan.conditional_moments(np.array([[-1.0], [1.0]]))
    S_star, _ = lightsb.gaussian_eot(b, B, eps)
    assert (mean[1, 0] - mean[0, 0]) / 2 == pytest.approx(S_star[0], rel=0.15)


@pytest.mark.parametrize("kwargs", [dict(epsilon=0.0), dict(epsilon=-1.0), dict(epsilon=float("nan")),
                                    dict(n_potentials=0), dict(n_potentials=2.5)])
def test_bad_settings_raise_clear_errors(kwargs):
    args = dict(x0=np.zeros((10, 2)), x1=np.ones((10, 2)), epsilon=0.1, n_potentials=3, steps=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match="epsilon|potentials"):
        lightsb.fit(**args)


def test_fit_rejects_nan_samples_and_keeps_global_state():
    bad = np.ones((10, 2))
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        lightsb.fit(np.zeros((10, 2)), bad, 0.1)
    state, threads = torch.random.get_rng_state(), torch.get_num_threads()
    m1 = lightsb.fit(toys.gaussian, toys.moons, 0.1, 5, steps=20, seed=3, device="cpu")
    m2 = lightsb.fit(toys.gaussian, toys.moons, 0.1, 5, steps=20, seed=3, device="cpu")
    assert torch.equal(torch.random.get_rng_state(), state) and torch.get_num_threads() == threads
    np.testing.assert_array_equal(m1.history["loss"], m2.history["loss"])       # seeded: reproducible


@pytest.mark.parametrize("raw,message", [(b"x,y\n" + b"1,2\n" * 5, "at least 10"),
                                         (b"1,2,3\n" * 20, "2 columns"),
                                         (b"1,2\n" * 15 + b"nan,1\n", "NaN"),
                                         (b"a,b\nfoo,bar\n" * 20, "could not read"),
                                         (b"\xff\xfe\x00", "UTF-8"),
                                         (b"1,2\n" * 15 + b"1e9,1\n", "rescale")])
def test_bad_point_clouds_get_messages(raw, message):
    with pytest.raises(toys.PointCloudError, match=message):
        toys.parse_point_cloud(raw)


def test_point_cloud_with_header_reads_and_toys_have_two_columns():
    arr = toys.parse_point_cloud(b"x,y\n" + b"".join(f"{i},{-i}\n".encode() for i in range(12)))
    assert arr.shape == (12, 2) and arr[5, 1] == -5
    rng = np.random.default_rng(0)
    for name, sampler in toys.SAMPLERS.items():
        assert sampler(100, rng).shape == (100, 2), name


def test_digit_translation_runs_and_decodes():
    t = digits.translate(3, 8, 0.1, n_show=2, n_draws=3, steps=200)
    assert t.outputs.shape == (2, 3, digits.LATENT_DIM) and digits.decode(t.outputs).shape == (2, 3, 8, 8)
    assert 0 <= t.target_rate <= 1 and t.displacement > 0 and t.diversity > 0
    with pytest.raises(ValueError):
        digits.translate(3, 3)


def test_written_out_adam_is_torch_adam():
    """core/lightsb/train.py's Adam (no torch._dynamo import) takes torch.optim.Adam's steps."""
    gen = torch.Generator().manual_seed(0)
    ours = [torch.randn(5, 3, generator=gen, requires_grad=True), torch.randn(7, generator=gen, requires_grad=True)]
    theirs = [p.detach().clone().requires_grad_(True) for p in ours]
    opt_ours, opt_theirs = Adam(ours, lr=3e-2), torch.optim.Adam(theirs, lr=3e-2)
    for step in range(50):
        for params, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            opt.zero_grad()
            ((params[0] ** 3).sum() + (params[1].sin() * (step + 1)).sum()).backward()
            opt.step()
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_toy_samplers_are_sklearns_draws():
    from sklearn.datasets import make_moons, make_swiss_roll
    for n, seed in ((1, 0), (7, 3), (1000, 12345)):
        np.testing.assert_array_equal(toys.make_swiss_roll(n, 0.8, seed),
                                      make_swiss_roll(n, noise=0.8, random_state=seed)[0])
        np.testing.assert_array_equal(toys.make_moons(n, 0.05, seed), make_moons(n, noise=0.05, random_state=seed)[0])


def test_w2_by_assignment_is_pots_emd():
    import ot
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) * 1.5 + 0.3
    expected = ot.emd2(ot.unif(300), ot.unif(300), ot.dist(a, b), numItermax=1_000_000)
    assert sinkhorn.w2_squared(a, b) == pytest.approx(expected, rel=1e-9)
    assert sinkhorn.w2_squared(a, b[:200]) == pytest.approx(
        ot.emd2(ot.unif(300), ot.unif(200), ot.dist(a, b[:200]), numItermax=1_000_000), rel=1e-9)
