"""The page's training experiments, as one configuration each: the FC-vs-EBV table (paper Table 1 in small), the
dimension sweep (paper Sec. 4.3: accuracy against d at fixed N) and adding classes (IJCV extension).

``SHIPPED`` is what scripts/train_ebv.py runs once and ships (a few CPU-minutes); ``LIVE`` is the short rerun the
page offers on a button (one seed, fewer epochs).
"""
from __future__ import annotations

from typing import Callable

from core.ebv import classify, data

Progress = Callable[[float], None] | None

SHIPPED = {
    "seeds": (0, 1, 2),
    "digits": {"d": 10, "epochs": 6},                     # N = d = 10: exactly orthogonal EBVs
    "shapes": {"d": 32, "epochs": 15},                    # N = 144 > d = 32
    "sweep": {"ds": (8, 16, 32, 64, 144, 256), "epochs": 15, "seed": 0},
    "grow": {"n_old": 96, "d": 32, "epochs": 15, "new_epochs": 5, "replays": (0, 5), "seed": 0},
}
LIVE = {"seeds": (0,), "digits": {"d": 10, "epochs": 3}, "shapes": {"d": 32, "epochs": 6}}


def load(name: str) -> data.Dataset:
    return data.digits() if name == "digits" else data.shapes()


def comparison(config: dict = SHIPPED, device=None, progress: Progress = None, datasets=("digits", "shapes")) -> list:
    """fc and ebv on each dataset for every seed: a list of ``classify.Run`` (class-mean cosines kept for the
    first seed)."""
    jobs = [(name, head, seed) for name in datasets for seed in config["seeds"] for head in ("fc", "ebv")]
    runs, sets, ebvs = [], {}, {}
    for i, (name, head, seed) in enumerate(jobs):
        ds = sets.setdefault(name, load(name))
        d = config[name]["d"]
        if head == "ebv" and (name, seed) not in ebvs:
            ebvs[name, seed] = classify.make_ebvs(ds.n_classes, d, seed=seed, device=device)[:2]
        tick = (lambda f, i=i: progress((i + f) / len(jobs))) if progress else None
        runs.append(classify.run(ds, head, d, config[name]["epochs"], seed, device, seed == config["seeds"][0],
                                 ebvs.get((name, seed)) if head == "ebv" else None, tick))
    return runs


def dim_sweep(config: dict = SHIPPED, device=None, progress: Progress = None) -> list:
    """ebv on the shapes set at each d (N fixed at 144), one seed."""
    sweep, ds = config["sweep"], load("shapes")
    runs = []
    for i, d in enumerate(sweep["ds"]):
        tick = (lambda f, i=i: progress((i + f) / len(sweep["ds"]))) if progress else None
        runs.append(classify.run(ds, "ebv", d, sweep["epochs"], sweep["seed"], device, progress=tick))
    return runs


def growth(config: dict = SHIPPED, device=None, progress: Progress = None) -> list[dict]:
    """Adding classes on the shapes set: the first n_old classes (discs and squares), then the rest (triangles)."""
    g, ds = config["grow"], load("shapes")
    rows = []
    for i, head in enumerate(("fc", "ebv")):
        tick = (lambda f, i=i: progress((i + f) / 2)) if progress else None
        rows += classify.grow(ds, g["n_old"], head, g["d"], g["epochs"], g["new_epochs"], g["replays"], g["seed"],
                              device, tick)
    return rows
