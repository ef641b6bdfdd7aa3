"""core.eigentrajectory against closed forms (Eckart-Young, exact round trips) and its invariants."""
import numpy as np
import pytest
import torch

from core import eigentrajectory as et
from core.eigentrajectory import data, forecast as fc
from core.eigentrajectory.tracks import TrackFormatError, longest_track
from core.spectral import low_rank

T = 12


def smooth_trajectories(n=400, T=T, seed=0):
    """Random smooth walks: a speed, a gentle turn, a speed change and a slow sway, in a normalised-like frame."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, T)[None]
    speed, turn, accel = rng.uniform(2, 7, (n, 1)), rng.normal(0, 1.5, (n, 1)), rng.normal(0, 1, (n, 1))
    sway, phase = rng.normal(0, 0.15, (n, 1)), rng.uniform(0, 2 * np.pi, (n, 1))
    x = speed * t + accel * t ** 2
    y = turn * t ** 2 + sway * np.sin(2 * np.pi * t + phase)
    return np.stack([x, y], -1)


def squared_error(desc, traj):
    return float(((desc.decode(desc.encode(traj)) - traj) ** 2).sum())


# ----------------------------------------------------------------------------- descriptors

@pytest.mark.parametrize("k", [1, 3, 6, 10])
def test_et_error_is_the_svd_truncation_error(k):
    traj = smooth_trajectories()
    desc = et.ETDescriptor(k).fit(traj)
    assert squared_error(desc, traj) == pytest.approx(desc.truncation_error(), rel=1e-8, abs=1e-10)
    M = traj.reshape(len(traj), -1).T                           # 2T x N, one trajectory per column
    np.testing.assert_allclose(desc.decode(desc.encode(traj)).reshape(len(traj), -1).T, low_rank(M, k), atol=1e-10)


@pytest.mark.parametrize("n_params", [4, 6, 8, 10, 12])
def test_et_beats_bezier_and_bspline_at_equal_parameters(n_params):
    traj = smooth_trajectories(seed=1)
    et_err = squared_error(et.ETDescriptor(n_params).fit(traj), traj)
    curves = [et.BezierDescriptor(n_params)] + [et.BSplineDescriptor(n_params, d) for d in (1, 2, 3)]
    for curve in curves:
        assert et_err <= squared_error(curve.fit(traj), traj) * (1 + 1e-9), type(curve).__name__
    assert et_err < squared_error(et.BezierDescriptor(n_params).fit(traj), traj)   # strictly, on this data


@pytest.mark.parametrize("cls", [et.ETDescriptor, et.BezierDescriptor, et.BSplineDescriptor])
def test_full_rank_round_trip_is_exact(cls):
    traj = smooth_trajectories(n=60, seed=2) + np.random.default_rng(3).normal(0, 0.05, (60, T, 2))  # not smooth
    desc = cls(2 * T).fit(traj)
    np.testing.assert_allclose(desc.decode(desc.encode(traj)), traj, atol=1e-8)
    assert desc.encode(traj).shape == (60, 2 * T)


def test_descriptors_reject_bad_parameter_counts():
    with pytest.raises(ValueError):
        et.BezierDescriptor(5)
    with pytest.raises(ValueError):
        et.ETDescriptor(0)
    with pytest.raises(ValueError):
        et.ETDescriptor(30).fit(smooth_trajectories(n=50))   # more than 2T = 24


def test_eigen_trajectories_are_orthonormal_and_energy_is_cumulative():
    desc = et.ETDescriptor(6).fit(smooth_trajectories())
    U = desc.basis
    np.testing.assert_allclose(U.T @ U, np.eye(6), atol=1e-12)
    assert desc.eigen_trajectories.shape == (6, T, 2)
    assert np.all(np.diff(desc.energy) >= -1e-15) and desc.energy[-1] == pytest.approx(1.0)
    assert desc.truncated(3).truncation_error() == pytest.approx(et.ETDescriptor(3).fit(smooth_trajectories())
                                                                 .truncation_error())


def test_descriptor_study_orders_et_first_on_its_training_set():
    traj = smooth_trajectories(seed=4)
    study = et.descriptor_study(traj, traj, params=range(4, 13, 2))
    pivot = study.pivot(index="n_params", columns="method", values="MSE")
    assert (pivot["ET"] <= pivot["Bezier"] * (1 + 1e-9)).all() and (pivot["ET"] <= pivot["B-spline"] * (1 + 1e-9)).all()


def test_normaliser_puts_the_last_point_at_the_origin_heading_along_x():
    rng = np.random.default_rng(5)
    traj = np.cumsum(rng.normal(0.3, 0.2, (50, 20, 2)), 1) + rng.uniform(-10, 10, (50, 1, 2))
    norm = et.Normaliser.from_observed(traj[:, :8])
    local = norm.apply(traj)
    np.testing.assert_allclose(local[:, 7], 0, atol=1e-12)
    np.testing.assert_allclose(local[:, 5, 1], 0, atol=1e-12)     # x_{T-2} lies on the x axis, behind
    assert np.all(local[:, 5, 0] < 0)
    np.testing.assert_allclose(norm.invert(local), traj, atol=1e-12)
    many = np.stack([traj[:, 8:]] * 3, 1)                           # (n, S, T, 2) predictions
    np.testing.assert_allclose(norm.invert(norm.apply(many)), many, atol=1e-12)
    dists = lambda a: np.linalg.norm(np.diff(a, axis=1), axis=-1)
    np.testing.assert_allclose(dists(local), dists(traj), atol=1e-12)   # rigid: lengths unchanged


# ----------------------------------------------------------------------------- files and windows

def small_tracks():
    rows = [(f, a, 0.5 * f + a, 2.0 * a) for a in (1, 2, 3) for f in range(0, 25 + 5 * a)]
    rows += [(f, 9, 1.0, 1.0) for f in range(3, 10)]               # a short track: never in a full window
    return np.array(rows, dtype=float)


def test_csv_round_trip_whitespace_and_comma_with_header():
    rows = small_tracks()
    back = et.read_tracks(et.write_tracks(rows).encode())
    order = np.lexsort((rows[:, 1], rows[:, 0]))
    np.testing.assert_allclose(back, np.round(rows[order], 3))
    shuffled = "y,x,ped_id,frame\n" + "\n".join(f"{y},{x},{a:g},{f:g}" for f, a, x, y in rows)
    np.testing.assert_allclose(et.read_tracks(shuffled), back)


@pytest.mark.parametrize("text,message", [
    ("", "empty"),
    ("1 2 3\n2 2 3\n", "Missing columns"),
    ("frame,agent,x\n1,2,3\n", "Missing column(s): y"),
    ("1 1 0.5 abc\n", "is not a number"),
    ("\n".join(f"{f} 1 {f} nan" if f == 4 else f"{f} 1 {f} 0" for f in range(30)), "NaN"),
    ("\n".join(f"{f} 1 {f} 0" for f in range(10)), "too short"),
    ("\n".join(f"{f} 1.5 {f} 0" for f in range(30)), "whole numbers"),
    ("\n".join(f"{f} 1 {f} 0" for f in range(30)) + "\n3 1 0 0", "twice"),
])
def test_malformed_files_raise_clear_errors(text, message):
    with pytest.raises(TrackFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        et.read_tracks(text)


def test_binary_and_oversized_uploads_are_refused():
    with pytest.raises(TrackFormatError, match="not text"):
        et.read_tracks(b"\xff\xfe\x00\x81binary")
    with pytest.raises(TrackFormatError, match="limit"):
        et.read_tracks(b"1 1 1 1\n" * 700_000)


def test_windows_keep_agents_present_in_all_twenty_frames():
    rows = small_tracks()
    assert longest_track(rows) == 40
    windows = et.make_windows(rows)
    present = {a: 25 + 5 * a for a in (1, 2, 3)}                    # frames 0 .. 24 + 5a
    expected = sum(max(0, n - 19) for n in present.values())
    assert len(windows) == expected and 9 not in windows.agent
    first = windows.traj[(windows.agent == 2) & (windows.window == 0)][0]
    np.testing.assert_allclose(first[:, 0], 0.5 * np.arange(20) + 2)
    assert len(np.unique(windows.window)) == len(windows.start)


# ----------------------------------------------------------------------------- simulator

def test_simulator_is_seeded_and_keeps_people_inside_the_corridor():
    a, b = et.simulate(3, "sparse"), et.simulate(3, "sparse")
    np.testing.assert_array_equal(a, b)
    cfg = et.CrowdConfig()
    assert a[:, 3].min() >= 0 and a[:, 3].max() <= cfg.width
    windows = et.make_windows(a)
    speed = np.linalg.norm(np.diff(windows.traj, axis=1), axis=-1).mean() / 0.4
    assert 0.5 < speed < 1.8                                        # walking pace, m/s
    px, py, pr = cfg.pillar
    assert np.hypot(a[:, 2] - px, a[:, 3] - py).min() > pr         # nobody walks through the pillar
    assert len(et.simulate(3, "dense")) > 1.5 * len(a)


# ----------------------------------------------------------------------------- anchors and forecasting

def test_anchors_are_cluster_means_sorted_by_size():
    coef = np.random.default_rng(6).normal(size=(500, 4)) + np.repeat(np.eye(4) * 5, 125, 0)
    anchors = et.fit_anchors(coef, 4)
    assert anchors.counts.sum() == 500 and np.all(np.diff(anchors.counts) <= 0)
    for s in range(4):
        np.testing.assert_allclose(anchors.centres[s], coef[anchors.labels == s].mean(0), atol=1e-8)


def test_baselines_and_metrics_closed_forms():
    line = np.arange(20)[None, :, None] * np.array([0.5, 0.0])   # a straight walk at 0.5 m per step
    norm = et.Normaliser.from_observed(line[:, :8])
    local = norm.apply(line)
    cv = fc.constant_velocity(local[:, :8])
    np.testing.assert_allclose(cv[:, 0], local[:, 8:], atol=1e-12)
    pred = np.stack([local[:, 8:] + 1.0, local[:, 8:] + 0.1], 1)   # two samples, the second closer
    ade, fde = fc.best_of(pred, local[:, 8:])
    assert ade[0] == pytest.approx(0.1 * np.sqrt(2)) and fde[0] == pytest.approx(0.1 * np.sqrt(2))
    U = np.linalg.qr(np.random.default_rng(7).normal(size=(24, 24)))[0]
    np.testing.assert_allclose(fc.rank_k_oracle(local[:, 8:], U, 24)[:, 0], local[:, 8:], atol=1e-12)


def test_untrained_anchor_model_returns_its_anchors_and_reloads():
    rng = np.random.default_rng(8)
    anchors = rng.normal(size=(5, 3))
    torch.manual_seed(0)
    model = fc.ETForecaster(3, anchors, True, np.ones(6))
    coef, logits = model(torch.randn(4, 3), torch.randn(4, 6, 7), torch.ones(4, 6, dtype=torch.bool))
    np.testing.assert_allclose(coef.detach().numpy(), np.broadcast_to(anchors, (4, 5, 3)), atol=1e-6)
    again = fc.ETForecaster.from_state({k: v.half() for k, v in model.state_dict().items()})
    assert again.k == 3 and again.n_samples == 5


def test_wta_loss_takes_each_terms_own_minimum():
    U = torch.eye(24, dtype=torch.float32)[:, :2]                  # k = 2: the first point's x and y only
    future = torch.zeros(1, 12, 2)
    coef = torch.tensor([[[3.0, 4.0], [0.0, 1.0]]])                # sample 2 is closer
    loss = fc.wta_loss(coef, torch.zeros(1, 2), torch.zeros(1, 2), U, future)
    # coef term min(5, 1) = 1; only step 1 is non-zero: ADE min(5, 1) / 12, FDE 0; CE of equal logits ln 2
    assert float(loss) == pytest.approx(1 + 1 / 12 + 0 + 0.1 * np.log(2), rel=1e-6)


def test_prediction_of_a_scene_has_one_probability_per_sample():
    windows = et.make_windows(et.simulate(5, "sparse"))
    samples = fc.select(fc.prepare(windows), fc.window_chunks(windows.window, 500)[0])
    U_obs = et.ETDescriptor(16).fit(samples.obs).U
    U_pred = et.ETDescriptor(24).fit(samples.future).U
    model = fc.ETForecaster(4, np.zeros((5, 4)), False, np.ones(8))
    futures, probs = et.predict(model, samples, U_obs, U_pred)
    assert futures.shape == (len(samples.obs), 5, 12, 2)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-6)
    assert (samples.neighbour_index < len(samples.obs)).all() and (samples.neighbour_index >= 0).any()


# ----------------------------------------------------------------------------- the shipped assets

def test_shipped_bases_match_a_refit_on_the_shipped_tracks():
    samples = fc.prepare(data.scene_windows(data.load_train_tracks()))
    weights = data.load_forecasters()
    np.testing.assert_allclose(weights["U_pred"].numpy(), et.ETDescriptor(24).fit(samples.future).U, atol=1e-5)
    np.testing.assert_allclose(weights["U_obs"].numpy()[:, :8], et.ETDescriptor(8).fit(samples.obs).basis, atol=1e-5)
    assert set(weights["cells"]) == {f"k{k}_s{s}" for k in data.K_OPTIONS for s in data.ANCHOR_OPTIONS}


def test_shipped_metrics_rank_the_methods_as_the_paper():
    cells = data.load_metrics()["cells"]
    m = cells["k6_s20"]["metrics"]
    et_ade, et_fde = m["ET + anchors (trained)"]["minADE"], m["ET + anchors (trained)"]["minFDE"]
    assert et_fde < m["anchors only"]["minFDE"] < m["constant velocity"]["minFDE"]
    assert et_ade < m["constant velocity"]["minADE"] / 2
    assert m["rank-k oracle"]["minADE"] < et_ade


def test_window_chunks_cover_every_sample_without_splitting_windows():
    window = np.repeat(np.arange(50), np.random.default_rng(9).integers(1, 30, 50))
    chunks = fc.window_chunks(window, size=100)
    np.testing.assert_array_equal(np.concatenate(chunks), np.arange(len(window)))
    for a, b in zip(chunks, chunks[1:]):
        assert window[a[-1]] != window[b[0]]
