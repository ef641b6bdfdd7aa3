"""The Euclidean twin, the best-of-S noisy constant velocity and the collision rate; the shipped comparison."""
import numpy as np
import pytest

from core.eigentrajectory import data, forecast as fc, twin
from ui.eigentrajectory_figures import twin_sentence


@pytest.fixture(scope="module")
def scene():
    return fc.prepare(data.scene_windows(data.scene_tracks([(data.HELDOUT_BASE + 7, "dense")])))


def test_noise_free_noisy_cv_is_constant_velocity(scene):
    noisy = twin.noisy_constant_velocity(scene.obs, 5, heading=0.0, speed=0.0)
    np.testing.assert_allclose(noisy, np.repeat(fc.constant_velocity(scene.obs), 5, axis=1), atol=1e-12)
    spread = twin.noisy_constant_velocity(scene.obs, 20, *twin.NOISE)
    ade_one = fc.best_of(fc.constant_velocity(scene.obs), scene.future)[0].mean()
    assert fc.best_of(spread, scene.future)[0].mean() < ade_one, "best of 20 beats one sample"


def test_collision_rate_counts_a_future_on_a_neighbour(scene):
    has = scene.neighbour_index[:, 0] >= 0
    assert 0 < has.mean() < 1 or has.all()
    truth = scene.norm.invert(scene.future)
    on_neighbour = scene.future.copy()
    on_neighbour[has] = scene.norm.subset(np.flatnonzero(has)).apply(truth[scene.neighbour_index[has, 0]])
    assert twin.collision_rate(scene, on_neighbour[:, None]) == pytest.approx(has.mean())
    far = scene.future[:, None] + 1e4
    assert twin.collision_rate(scene, far) == 0.0
    assert 0 <= twin.ground_truth_collision_rate(scene) < 1


def test_euclidean_twin_has_24_outputs_and_round_trips(scene):
    shipped = data.load_forecasters()
    U_obs = shipped["U_obs"].double().numpy()
    model, curve = twin.train_euclidean_twin(scene, U_obs, 4, 3, epochs=1, batch=128)
    assert model.out_dim == 24 and model.k == 4 and len(curve) == 1
    again = fc.ETForecaster.from_state(model.state_dict())
    a = fc.predict(model, scene, U_obs, twin.euclidean_basis())[0]
    b = fc.predict(again, scene, U_obs, twin.euclidean_basis())[0]
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert a.shape == (len(scene.obs), 3, 12, 2)


def test_shipped_twin_is_worse_than_et_on_the_held_out_set():
    metrics = data.load_twin_metrics()
    assert metrics is not None, "run scripts/train_eigentrajectory_twin.py"
    for key, cell in metrics["cells"].items():
        m = cell["metrics"]
        et, euc = m["ET + anchors (trained)"], m["Euclidean twin (trained)"]
        assert et["minADE"] < euc["minADE"] and et["minFDE"] < euc["minFDE"], key
        assert "the paper's claim holds here" in twin_sentence(cell)
        noisy = next(v for name, v in m.items() if name.startswith("noisy constant velocity"))
        assert noisy["samples"] == cell["anchors"] and noisy["minADE"] < m["constant velocity"]["minADE"]
