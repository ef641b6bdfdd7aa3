"""The projector fine-tune resumes exactly: 2 steps + checkpoint + 2 resumed steps = 4 steps straight."""
import torch

from core import assets
from core import householder as hp


def test_resumed_finetune_equals_an_uninterrupted_one():
    base = assets.weights("householder", "generator_base.pt")
    cfg = hp.GConfig.from_dict(base["g_cfg"])
    g, d = ({k: v.float() for k, v in base[key].items()} for key in ("g_ema", "d"))
    kw = dict(k=4, steps=4, batch=4, seed=3, device="cpu", lr=0.002)
    import random
    caller = random.getstate()
    straight, log = hp.finetune_projector(g, d, cfg, **kw)
    assert random.getstate() == caller, "the caller's Python RNG is left alone"
    saved = {}
    hp.finetune_projector(g, d, cfg, **{**kw, "steps": 4}, checkpoint=lambda s: saved.setdefault(s["step"], s),
                          checkpoint_every=2)
    resumed, log2 = hp.finetune_projector(g, d, cfg, **kw, resume=saved[2])
    assert [row[0] for row in log2] == [0, 1, 2, 3] and log2 == log
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
