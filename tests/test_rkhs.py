"""core/rkhs/ against closed forms, brute force and the paper's claims (Zhai et al., ICLR 2024)."""
import numpy as np
import pytest
import torch
from scipy.special import comb

from core import rkhs
from core.rkhs import augmentation, encoder, hypercube, kernel, regression, targets


@pytest.mark.parametrize("m", [1, 2, 3, 4])
@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.85])
def test_kernel_equals_the_brute_force_sum_over_augmentations(m, alpha):
    closed = rkhs.masking_kernel(m, alpha)
    brute = augmentation.brute_force_kernel(m, alpha)          # sum over all 3^m masked views
    assert closed.shape == (2 ** m, 2 ** m)
    np.testing.assert_allclose(closed, brute, rtol=1e-12)


def test_kernel_indexing_is_the_binary_expansion_and_the_product_formula():
    m, alpha = 3, 0.3
    K = rkhs.masking_kernel(m, alpha)
    x = [[(i >> j) & 1 for j in range(m)] for i in range(2 ** m)]
    for i in range(2 ** m):
        for k in range(2 ** m):
            expected = np.prod([alpha + 2 * (1 - alpha) * (x[i][j] == x[k][j]) for j in range(m)])
            assert K[i, k] == pytest.approx(expected, rel=1e-14)
    assert hypercube.bits(m)[5].tolist() == [1, 0, 1]


@pytest.mark.parametrize("m,alpha", [(4, 0.3), (6, 0.5), (8, 0.9)])
def test_spectrum_is_the_staircase_with_binomial_multiplicities(m, alpha):
    ev = np.sort(np.linalg.eigvalsh(rkhs.masking_kernel(m, alpha)))[::-1] / 2 ** m
    values, mult = kernel.staircase(m, alpha)
    np.testing.assert_allclose(values, (1 - alpha) ** np.arange(m + 1))
    assert mult.tolist() == [int(comb(m, s, exact=True)) for s in range(m + 1)]
    np.testing.assert_allclose(ev, np.repeat(values, mult), atol=1e-12)
    # and the Walsh characters are the eigenfunctions: K chi_S = 2^m (1 - alpha)^|S| chi_S
    W = hypercube.walsh(m)
    degrees = np.array([len(S) for S in hypercube.subsets(m)])
    np.testing.assert_allclose(rkhs.masking_kernel(m, alpha) @ W / 2 ** m, W * (1 - alpha) ** degrees, atol=1e-10)


def test_augmentation_graph_adjacency_has_the_same_spectrum():
    m, alpha = 3, 0.4
    ev = np.sort(np.linalg.eigvalsh(augmentation.normalized_adjacency(m, alpha)))[::-1]
    np.testing.assert_allclose(ev[: 2 ** m] ** 2, kernel.staircase_expanded(m, alpha), atol=1e-12)
    G = augmentation.augmentation_graph(2, alpha)
    assert G.number_of_nodes() == 4 + 9 and G.number_of_edges() == 4 * 4   # each x has 2^m views


@pytest.mark.parametrize("m,alpha", [(3, 0.2), (7, 0.6), (10, 0.05)])
def test_kappa2_is_the_diagonal_and_the_trace(m, alpha):
    K = rkhs.masking_kernel(m, alpha)
    assert rkhs.kappa2(m, alpha) == pytest.approx((2 - alpha) ** m, rel=1e-14)
    np.testing.assert_allclose(np.diag(K), rkhs.kappa2(m, alpha), rtol=1e-13)
    assert K.max() == pytest.approx(rkhs.kappa2(m, alpha))                   # sup_x K(x, x) = sup K
    assert np.trace(K) / 2 ** m == pytest.approx(rkhs.kappa2(m, alpha))      # = sum of the eigenvalues


def test_monte_carlo_kappa_converges_and_matches_the_brute_force_ratio():
    m, alpha = 5, 0.4
    exact = rkhs.kappa2(m, alpha)
    errors = [abs(np.mean([rkhs.kappa2_monte_carlo(m, alpha, n, seed=s) for s in range(3)]) - exact) / exact
              for n in (100, 100_000)]
    assert errors[1] < 0.01 and errors[1] < errors[0]
    samples = augmentation.kappa2_samples(m, alpha, 200_000, seed=1)
    assert samples.std() / samples.mean() == pytest.approx(augmentation.relative_std(m, alpha), rel=0.02)
    # each term p(a|x)/p(a) is 2^(#kept bits): check one against the brute-force p(a) over all x
    P, codes = augmentation.conditional(3, alpha)
    p_a = P.mean(0)
    kept = (codes != augmentation.MASK).sum(1)
    np.testing.assert_allclose((P[0] / p_a)[P[0] > 0], 2.0 ** kept[P[0] > 0])
    mean, se = augmentation.running_estimate(samples)
    assert abs(mean[-1] - exact) < 4 * se[-1]


def test_sweet_spot_minimum_is_strictly_inside_the_alpha_range():
    alphas = [0.05, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995]
    mse = rkhs.sweet_spot(alphas, reps=10)
    best = int(np.argmin(mse))
    assert 0 < best < len(alphas) - 1
    assert mse[0] > 2 * mse[best] and mse[-1] > 1.5 * mse[best]            # a U, not a dent
    var = targets.DEFAULT_TARGET.variance(10)
    assert mse[0] < 1.0 * var + 0.05                                        # weak masking: barely learns


def test_batched_krr_and_probes_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    idx, y = rng.integers(0, 2 ** 8, 40), rng.standard_normal(40)
    np.testing.assert_allclose(regression.krr_predict(8, 0.7, idx, y)[0],
                               regression.krr_predict_sklearn(8, 0.7, idx, y), atol=1e-9)
    for d in (9, 37, 93):                                                   # under- and over-parametrised
        F = regression.top_features(8, d)
        np.testing.assert_allclose(regression.probe_predict(F, idx, y)[0],
                                   regression.probe_predict_sklearn(F, idx, y), atol=1e-8)


def test_bound_terms_move_the_right_way_and_the_probe_bound_holds():
    t, m = targets.DEFAULT_TARGET, 10
    eps = [targets.isometry(t, m, a)[0] for a in (0.1, 0.5, 0.9)]
    assert eps[0] < eps[1] < eps[2] < 1
    bias = [regression.population_bias(t, m, a) for a in (0.1, 0.5, 0.9, 0.99)]
    assert bias == sorted(bias)
    for alpha in (0.2, 0.6, 0.9):
        for degree in (0, 1, 2, 3):
            residual, bound = regression.probe_approximation(t, m, alpha, degree)
            assert residual <= bound + 1e-12
    assert regression.probe_approximation(t, m, 0.5, 4)[0] == 0.0
    # Assumption 1 through the operator: <g, (I - Gamma Gamma*) g> = eps |g|^2 for the min-norm g*
    P, _ = augmentation.conditional(4, 0.5)
    small = targets.Target(high_degree=3)
    f = small.values(4)
    p_a = P.mean(0)                                           # (Gamma* g)(x) = sum_a p(a|x) g(a) = (P g)(x)
    h = np.linalg.lstsq(P / np.sqrt(p_a), f, rcond=None)[0]   # h = sqrt(p_a) g: min |h| = min |g|_{L2(P_A)}
    g = h / np.sqrt(p_a)
    np.testing.assert_allclose(P @ g, f, atol=1e-10)
    norm_g = np.sum(p_a * g ** 2)
    leak = norm_g - np.sum((P @ g) ** 2) / 2 ** 4            # <g, g> - <Gamma* g, Gamma* g> = <g, (I - GG*) g>
    eps, expected_norm = targets.isometry(small, 4, 0.5)
    assert norm_g == pytest.approx(expected_norm, rel=1e-9) and leak / norm_g == pytest.approx(eps, rel=1e-9)


def test_probes_overfit_when_d_nears_n():
    mse = regression.dimension_sweep([11, 56], n=60, reps=10)
    assert mse[1] > 2 * mse[0]


@pytest.mark.parametrize("call,message", [
    (lambda: rkhs.masking_kernel(11, 0.5), "from 1 to 10"),
    (lambda: rkhs.masking_kernel(4, 0.0), "strictly between 0 and 1"),
    (lambda: rkhs.masking_kernel(4, 1.0), "strictly between 0 and 1"),
    (lambda: rkhs.kappa2(4, float("nan")), "strictly between 0 and 1"),
    (lambda: rkhs.masking_kernel(2.5, 0.5), "whole number"),
    (lambda: rkhs.sweet_spot([0.5, 1.2]), "strictly between 0 and 1"),
    (lambda: rkhs.sweet_spot([0.5], n=1), "n must be"),
    (lambda: rkhs.kappa2_monte_carlo(4, 0.5, 0), "n_augmentations"),
    (lambda: augmentation.brute_force_kernel(7, 0.5), "from 1 to 6"),
    (lambda: encoder.train_encoder(m=4, degree=4), "degree"),
])
def test_bad_settings_give_messages(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_encoder_span_converges_to_the_top_walsh_space_without_touching_global_rng():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    run = encoder.train_encoder(m=5, alpha=0.5, steps=600, seed=1, device="cpu")
    assert torch.equal(before, torch.get_rng_state())
    assert run.d == 6 and run.max_angle[0] > 20
    assert run.steps_to(5.0) is not None and run.max_angle[-1] < 5
    assert run.ky_fan[-1] == pytest.approx(run.optimal_ky_fan, rel=0.01)      # 1 + m (1 - alpha) = 3.5
    assert run.optimal_ky_fan == pytest.approx(3.5) and run.ky_fan[-1] <= run.optimal_ky_fan + 1e-9


def test_ky_fan_random_versus_optimal():
    m, alpha, d = 10, 0.5, 11
    assert encoder.random_subspace_ky_fan(m, alpha, d, 0.0) == pytest.approx(6.0)          # 1 + 10 * 0.5
    rand = np.mean([encoder.random_subspace_ky_fan(m, alpha, d, np.pi / 2, seed=s) for s in range(8)])
    assert rand == pytest.approx(d * rkhs.kappa2(m, alpha) / 2 ** m, rel=0.1)


def test_digits_kernel_estimate_matches_the_closed_form_on_the_uniform_cube():
    from core.rkhs import digits
    m, alpha = 4, 0.4
    cube = np.arange(2 ** m, dtype=np.uint64)         # P_X uniform on {0,1}^4: the closed form applies
    K = digits.kernel_monte_carlo(cube, alpha, n_masks=4000, seed=0)
    np.testing.assert_allclose(K, rkhs.masking_kernel(m, alpha), rtol=0.1, atol=0.02)
    packed, labels = digits.binarised_digits(200, seed=0)
    assert packed.dtype == np.uint64 and set(labels) <= set(range(10))
    weak = digits.kernel_monte_carlo(packed, 0.02, n_masks=8)
    assert weak.diagonal().max() <= 200 + 1e-9 and weak.diagonal().max() > 100   # kappa^2 -> N: digits alone
    with pytest.raises(ValueError, match="pool"):
        digits.binarised_digits(5)
