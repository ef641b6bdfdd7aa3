"""The Householder page's verdict: derived from the numbers, never typed; the PIPL analogue; the shipped table."""
import json

import numpy as np
import pytest

from core import householder as hp
from core.assets import ASSETS


def summary(purity=(0.40, 0.40), gap=(0.08, 0.08), pipl=(10.0, 10.0), fd=(25.0, 25.0), cos=0.98):
    def one(i):
        return dict(purity=purity[i], mig_gap=gap[i], pipl=pipl[i], fd=fd[i], cos_to_init=1.0 if i == 0 else cos,
                    min_cos_to_init=1.0 if i == 0 else cos - 0.01, rerender_iou=0.78, shape_mix=[0.5, 0.3, 0.2])
    return {"SeFa": one(0), "Householder": one(1)}


def test_verdict_follows_the_numbers():
    same = hp.verdict_of(summary())
    assert not same["appeared"] and "did not appear" in same["text"] and "barely moved" in same["text"]
    assert "wins only 0 of 3" in same["text"]
    unmoved_but_better = hp.verdict_of(summary(purity=(0.40, 0.45), pipl=(10.0, 9.0)))
    assert not unmoved_but_better["appeared"] and "still close to SeFa's" in unmoved_but_better["text"]
    control = summary(purity=(0.40, 0.45), pipl=(10.0, 9.0))
    control[hp.verdict.CONTROL] = dict(control["Householder"])
    assert "comes from the fine-tuned generator" in hp.verdict_of(control)["text"]
    control[hp.verdict.CONTROL].update(purity=0.40, pipl=10.0)
    assert "part of the gain is the learned directions'" in hp.verdict_of(control)["text"]
    better = hp.verdict_of(summary(purity=(0.40, 0.50), gap=(0.08, 0.12), pipl=(10.0, 7.0), cos=0.6))
    assert better["appeared"] and "appeared at this scale" in better["text"] and "0.500" in better["text"]
    costly = hp.verdict_of(summary(purity=(0.40, 0.50), gap=(0.08, 0.12), pipl=(10.0, 7.0), fd=(25.0, 40.0), cos=0.6))
    assert not costly["appeared"] and "fidelity got worse" in costly["text"]
    worse = hp.verdict_of(summary(purity=(0.40, 0.38), gap=(0.08, 0.05), pipl=(10.0, 12.0), cos=0.5))
    assert not worse["appeared"] and "only 0 of 3" in worse["text"]


def test_pipl_is_zero_along_a_null_direction_and_positive_along_a_real_one():
    from core import assets
    base = assets.weights("householder", "generator_base.pt")
    G = hp.build_generator(hp.GConfig.from_dict(base["g_cfg"]), base["g_ema"], device="cpu")
    net = hp.factor_net_from_state(assets.weights("householder", "factor_regressor.pt")["state"], "cpu")
    assert hp.pipl(G, net, np.zeros(G.cfg.style_dim), 1, n=2, points=2) == 0.0
    v = hp.sefa_layer(G, 1, 1)[0][0]
    assert hp.pipl(G, net, v, 1, n=2, points=2) > 0


def test_shipped_verdict_is_the_verdict_of_its_numbers():
    path = ASSETS / "householder" / "comparison.json"
    if not path.exists():
        pytest.skip("comparison.json not shipped")
    result = json.loads(path.read_text())
    assert result["verdict"] == json.loads(json.dumps(hp.verdict_of(result["summary"])))
    rows = result["rows"]
    assert {r["method"] for r in rows} == {"SeFa", "Householder", hp.verdict.CONTROL}
    assert all(r["cos_to_init"] == pytest.approx(1.0, abs=1e-6) for r in rows if r["method"] == "SeFa")
    recomputed = hp.summary(rows, {m: {k: result["summary"][m][k] for k in ("fd", "rerender_iou", "shape_mix")}
                                   for m in ("SeFa", "Householder")})
    for m in ("SeFa", "Householder"):
        for key in ("purity", "mig_gap", "pipl", "cos_to_init"):
            assert recomputed[m][key] == pytest.approx(result["summary"][m][key])
