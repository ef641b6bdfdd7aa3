"""core/farms/ against closed forms, the official index rules, and weightwatcher (FARMS, ICML 2025)."""
import pickle

import numpy as np
import pytest
import torch

from core import farms
from core.farms import bias, digits, layers, schedules
from core.farms.spectrum import mp_density, mp_edges
from hostile import Evil, torch_bytes


def official_fixed_sampling(matrix, num_row_samples, Q_ratio, sampling_ops_per_dim):
    """HUST-AI-HYZ/FARMS LLM_Pruning/lib/sampling.py ``fixed_sampling``, index arithmetic verbatim
    (isconv2d=False); numpy instead of torch for the eigenvalues."""
    rows, cols = matrix.shape
    num_row_samples = min(num_row_samples, min(rows, cols))
    num_col_samples = int(num_row_samples * Q_ratio)
    row_step = max(1, (rows - num_row_samples) // (sampling_ops_per_dim - 1))
    col_step = max(1, (cols - num_col_samples) // (sampling_ops_per_dim - 1))
    num_row_windows = min(sampling_ops_per_dim, max(1, (rows - num_row_samples) // row_step + 1))
    num_col_windows = min(sampling_ops_per_dim, max(1, (cols - num_col_samples) // col_step + 1))
    all_eigs, corners = [], []
    for i in range(0, num_row_windows):
        for j in range(0, num_col_windows):
            row_start = min(i * row_step, rows - num_row_samples)
            col_start = min(j * col_step, cols - num_col_samples)
            corners.append((row_start, col_start))
            sub = matrix[row_start:row_start + num_row_samples, col_start:col_start + num_col_samples]
            all_eigs.append(np.linalg.svd(sub, compute_uv=False) ** 2)
    return np.sort(np.concatenate(all_eigs)), corners


# ----------------------------------------------------------------------------- spectra

def test_esd_is_the_spectrum_of_wtw_unnormalised():
    W = np.random.default_rng(0).standard_normal((40, 15))
    np.testing.assert_allclose(farms.esd(W), np.linalg.eigvalsh(W.T @ W), rtol=1e-10)
    np.testing.assert_allclose(farms.esd(W.T), farms.esd(W), rtol=1e-10)  # same nonzero spectrum


@pytest.mark.parametrize("shape,rows,q,ops", [
    ((300, 200), 64, 1.0, 10),    # the ordinary case: a 10 x 10 overlapping grid
    ((1000, 128), 100, 1.0, 9),   # the paper's CV setting on a tall layer
    ((64, 64), 64, 1.0, 10),      # window = matrix: one window
    ((10, 512), 100, 1.0, 9),     # matrix smaller than the window (a 10-class head): clamped to 10 x 10
    ((30, 20), 100, 1.0, 4),      # smaller than the window in both directions
    ((200, 90), 50, 1.0, 2),      # two windows per dimension: first and last position
    ((200, 90), 50, 0.5, 5),      # a wide aspect ratio that fits
    ((57, 301), 13, 1.5, 7),      # uneven steps
])
def test_window_grid_is_the_official_fixed_sampling(shape, rows, q, ops):
    W = np.random.default_rng(1).standard_normal(shape)
    want, corners = official_fixed_sampling(W, rows, q, ops)
    grid = farms.window_grid(shape, rows, q, ops)
    assert list(grid.corners) == corners
    np.testing.assert_allclose(farms.farms_esd(W, rows, q, ops), want, rtol=1e-9)


def test_ops_1_is_one_window_at_the_origin_where_the_official_code_divides_by_zero():
    W = np.random.default_rng(2).standard_normal((120, 80))
    with pytest.raises(ZeroDivisionError):
        official_fixed_sampling(W, 32, 1.0, 1)
    grid = farms.window_grid(W.shape, 32, 1.0, 1)
    assert grid.corners == ((0, 0),)
    np.testing.assert_allclose(farms.farms_esd(W, 32, 1.0, 1), farms.esd(W[:32, :32]), rtol=1e-10)


def test_a_window_that_does_not_fit_keeps_its_aspect_ratio():
    grid = farms.window_grid((50, 40), rows=100, q=2.0, ops=5)   # official: 40 x 80 window on 40 columns
    assert grid.cols == int(grid.rows * 2.0) and grid.cols <= 40 and grid.rows <= 50


def test_default_window_is_the_smaller_side_and_pools_windows_times_side_eigenvalues():
    W = np.random.default_rng(3).standard_normal((500, 100))
    grid = farms.window_grid(W.shape)
    assert (grid.rows, grid.cols) == (100, 100) and len(grid.corners) == 10   # 10 row positions, 1 column
    assert farms.farms_esd(W).size == 10 * 100


def test_marchenko_pastur_density_integrates_to_one_and_matches_a_big_matrix():
    n, m, s2 = 800, 200, 0.3
    a, b = mp_edges(n, m, s2)
    x = np.linspace(a, b, 20001)
    assert abs(np.trapezoid(mp_density(x, n, m, s2), x) - 1) < 2e-3
    eigs = farms.esd(np.random.default_rng(4).normal(0, np.sqrt(s2), (n, m)))
    assert a * 0.9 < eigs.min() and eigs.max() < b * 1.1
    hist, edges = np.histogram(eigs, bins=10, range=(a, b), density=True)
    centres = (edges[1:] + edges[:-1]) / 2
    assert np.abs(hist - mp_density(centres, n, m, s2)).max() < 0.25 * mp_density(centres, n, m, s2).max()


# ----------------------------------------------------------------------------- the Hill estimator

@pytest.mark.parametrize("exponent", [2.0, 3.0, 4.5])
@pytest.mark.parametrize("rule", ["median", "clauset"])
def test_alpha_hill_recovers_a_pareto_exponent(exponent, rule):
    x = np.random.default_rng(5).pareto(exponent - 1, 20000) + 1   # density ~ x^-exponent on [1, inf)
    alpha, xmin, D = farms.alpha_hill(x if rule == "median" else x[:4000], rule)
    assert abs(alpha - exponent) < 0.06 * exponent
    assert D < 0.05 and xmin >= 1


def test_median_rule_is_the_closed_form_at_half():
    x = np.sort(np.random.default_rng(6).uniform(1, 5, 101))
    k = 50
    want = 1 + (101 - k) / (np.log(x[k:]).sum() - (101 - k) * np.log(x[k]))
    alpha, xmin, _ = farms.alpha_hill(x, "median")
    assert alpha == pytest.approx(want, rel=1e-12) and xmin == x[k]


def test_clauset_search_equals_the_official_loop():
    x = np.sort(farms.esd(np.random.default_rng(7).standard_t(3, (300, 120))))
    N, logs = x.size, np.log(x)
    alphas, Ds = np.zeros(N - 1), np.ones(N - 1)
    for i, xm in enumerate(x[:-1]):                                 # Tempbalance_FARMS.analysis_esd, verbatim
        n = float(N - i)
        alphas[i] = 1 + n / (np.sum(logs[i:]) - n * logs[i])
        if alphas[i] > 1:
            Ds[i] = np.max(np.abs(1 - (x[i:] / xm) ** (-alphas[i] + 1) - np.arange(n) / n))
    alpha, xmin, D = farms.alpha_hill(x, "clauset")
    assert alpha == pytest.approx(alphas[np.argmin(Ds)], rel=1e-10) and D == pytest.approx(Ds.min(), rel=1e-10)


def test_peak_rule_searches_only_below_one_and_a_half_times_the_peak():
    x = farms.esd(np.random.default_rng(8).standard_t(3, (400, 200)))
    low, high = farms.hill.peak_window(x)
    alpha, xmin, D = farms.alpha_hill(x, "peak")
    assert xmin <= high and alpha > 1 and 0 < D < 1
    assert farms.alpha_hill(x, "clauset")[2] <= D + 1e-12         # the full search can only do better on D


def test_bad_eigenvalues_raise():
    with pytest.raises(ValueError):
        farms.alpha_hill([1.0], "median")
    with pytest.raises(ValueError):
        farms.alpha_hill([1.0, np.nan, 2.0], "median")
    with pytest.raises(ValueError):
        farms.alpha_hill([1.0, 2.0], "mode")


def test_weightwatcher_default_alpha_equals_our_clauset_search():
    """weightwatcher 0.7.7's default fit (WWFit: Clauset KS search; conv slices pooled with conv2d_norm) on
    fixed heavy-tailed layers with >= 20 eigenvalues (below 20 it switches to a small-N fit)."""
    ww = pytest.importorskip("weightwatcher")
    model = torch.nn.Sequential(torch.nn.Conv2d(16, 48, 3), torch.nn.Flatten(), torch.nn.Linear(120, 300),
                                torch.nn.ReLU(), torch.nn.Linear(300, 80), torch.nn.Linear(80, 40))
    rng = np.random.default_rng(9)
    with torch.no_grad():
        for m in model:
            if hasattr(m, "weight"):
                m.weight.copy_(torch.as_tensor(rng.standard_t(3, tuple(m.weight.shape)) / 10))
    details = ww.WeightWatcher(model=model).analyze()
    ours = farms.layer_alphas({k: v for k, v in model.state_dict().items()}, farms=False, xmin="clauset")
    assert [r["kind"] for r in ours] == ["conv2d", "linear", "linear", "linear"]
    np.testing.assert_allclose(details["alpha"].to_numpy(), [r["alpha"] for r in ours], rtol=1e-6)  # float32 SVD there


# ----------------------------------------------------------------------------- the bias, live

def test_farms_alpha_is_flat_in_q_while_the_full_esd_alpha_rises():
    m = 64
    out = bias.sweep(lambda q: bias.random_matrix(q * m, m, "Gaussian", seed=0), [1, 2, 4, 8, 16], rows=32, ops=10,
                     methods=("full_median", "farms_median"))
    assert abs(bias.relative_change(out["farms_median"])) < 0.10
    assert np.all(np.diff(out["full_median"]) > 0) and bias.relative_change(out["full_median"]) > 0.5


@pytest.mark.parametrize("entries", bias.ENTRIES)
def test_sweep_matrices_are_nested_slices_of_one_matrix(entries):
    small, big = bias.random_matrix(32, 16, entries, 3.0, seed=4), bias.random_matrix(128, 16, entries, 3.0, seed=4)
    np.testing.assert_allclose(small * np.sqrt(32), big[:32] * np.sqrt(128), rtol=1e-12)


def test_tall_slice_takes_q_times_m_rows():
    W = np.arange(64 * 8).reshape(64, 8)
    assert bias.tall_slice(W, 3).shape == (24, 8) and bias.tall_slice(W.T, 8).shape == (64, 8)
    with pytest.raises(ValueError):
        bias.tall_slice(W, 9)


# ----------------------------------------------------------------------------- layers and uploads

def test_layer_alphas_linear_and_conv_paths():
    rng = np.random.default_rng(10)
    conv = torch.as_tensor(rng.standard_normal((64, 16, 3, 3)))
    sd = {"fc.weight": torch.as_tensor(rng.standard_normal((200, 50))), "fc.bias": torch.zeros(200),
          "conv.weight": conv, "bn.weight": torch.ones(64)}
    full = {r["layer"]: r for r in farms.layer_alphas(sd, farms=False)}
    pooled = {r["layer"]: r for r in farms.layer_alphas(sd, farms=True)}
    assert set(full) == {"fc.weight", "conv.weight"} == set(pooled)
    # without FARMS a conv layer pools its 9 slices, each scaled by sqrt(0.5)
    slices = [farms.esd(conv[:, :, i, j].numpy() * np.sqrt(0.5)) for i in range(3) for j in range(3)]
    assert full["conv.weight"]["alpha"] == pytest.approx(farms.alpha_hill(np.concatenate(slices))[0], rel=1e-9)
    # with FARMS: 64 // 16 = 4 row blocks of 16 x 16, alpha = mean of the block alphas
    blocks = layers.conv_farms_blocks(conv)
    assert len(blocks) == 4 and all(b.size == 9 * 16 for b in blocks)
    assert pooled["conv.weight"]["alpha"] == pytest.approx(np.mean([farms.alpha_hill(b)[0] for b in blocks]))
    assert full["fc.weight"]["alpha"] == pytest.approx(farms.alpha_hill(farms.esd(sd["fc.weight"]))[0])


@pytest.mark.parametrize("raw,name,message", [
    (b"", "model.pt", "empty"),
    (torch_bytes(torch.ones(3, 3)), "model.pt", "not a state dict"),
    (torch_bytes([1, 2, 3]), "model.pt", "not a state dict"),
    (torch_bytes({"w": Evil()}), "model.pt", "Python object .*print"),
    (pickle.dumps({"w": Evil()}), "model.pt", "cannot read this file"),
    (torch_bytes({"fc.weight": torch.full((20, 10), float("nan"))}), "model.pt", "NaN"),
    (torch_bytes({"fc.bias": torch.ones(10), "bn.weight": torch.ones(4)}), "model.pt", "no usable 2-D"),
    (torch_bytes({"fc.weight": torch.ones(20, 10)}), "model.onnx", "unsupported file type"),
    (b"\x00garbage\xff" * 10, "model.safetensors", "not a valid .safetensors"),
    (b"\x00garbage\xff" * 10, "model.pt", "torch cannot read"),
], ids=["empty", "a tensor", "a list", "torch-saved code", "raw pickle with code", "NaN weights", "no 2-D layer",
        "wrong suffix", "bad safetensors", "garbage .pt"])
def test_bad_uploads_raise_a_message(raw, name, message, capsys):
    with pytest.raises(farms.CheckpointError, match=message):
        farms.load_checkpoint(raw, name)
    assert "this ran" not in capsys.readouterr().out


def test_good_uploads_torch_wrapped_and_safetensors():
    from safetensors.torch import save
    sd = {"a.weight": torch.randn(30, 20, generator=torch.Generator().manual_seed(0)), "a.bias": torch.zeros(30),
          "b.weight": torch.full((30, 20), float("inf"))}
    ck = farms.load_checkpoint(torch_bytes({"epoch": 3, "state_dict": sd}), "run.pth")
    assert [l.name for l in ck.layers] == ["a.weight"] and "inf" in ck.notes[0]
    ck2 = farms.load_checkpoint(save(sd), "model.safetensors")
    assert [l.name for l in ck2.layers] == ["a.weight"]


# ----------------------------------------------------------------------------- what alpha drives

def test_tempbalance_maps_alpha_range_onto_lr_range():
    lrs = schedules.tb_linear_map([2.0, 3.0, 4.0], 0.1, 0.5, 1.5)
    np.testing.assert_allclose(lrs, [0.05, 0.1, 0.15])


def test_alphapruning_hits_the_target_and_prunes_heavier_tails_less():
    alphas, params = np.array([2.0, 3.0, 5.0, 4.0]), np.array([1000, 4000, 2000, 500])
    s = schedules.alphapruning_sparsity(alphas, params, target=0.5, eps=0.2)
    assert schedules.achieved_sparsity(s, params) == pytest.approx(0.5)
    assert np.all(np.diff(s[np.argsort(alphas)]) > 0)           # larger alpha -> more sparsity
    clipped = schedules.alphapruning_sparsity(alphas, params, target=0.9, eps=0.5)
    assert clipped.max() <= 0.998


def test_tempbalance_training_assigns_each_layer_its_mapped_lr():
    model = digits.mlp(0)
    lrs = digits.layer_lrs(model, "farms", 0.1, 0.5, 1.5)
    assert set(lrs) == set(digits.LAYERS)
    assert min(lrs.values()) == pytest.approx(0.05) and max(lrs.values()) == pytest.approx(0.15)
    run = digits.train("full", epochs=1, seed=0)
    first = run["history"][0]
    assert set(first) >= {f"lr_{n}" for n in digits.LAYERS} and 0 <= run["test_acc"] <= 1
    at_init = digits.layer_lrs(digits.mlp(0), "full", digits.RECIPE["lr"], 0.5, 1.5)
    assert first["lr_fc1"] == pytest.approx(at_init["fc1"])


def test_digits_mlp_init_leaves_the_global_rng_alone_and_pruning_counts():
    state = torch.random.get_rng_state()
    a, b = digits.mlp(0), digits.mlp(0)
    assert torch.equal(state, torch.random.get_rng_state())
    assert torch.equal(a.fc1.weight, b.fc1.weight)
    pruned, acc = digits.prune(a.state_dict(), {"fc2": 0.5})
    assert (pruned["fc2.weight"] == 0).float().mean().item() == pytest.approx(0.5, abs=1e-3)
    assert 0 <= acc <= 1
