"""Train the factor regressor that scores directions on the Householder page (the "oracle" of the notes).

    nice -n 10 python scripts/train_householder_regressor.py

A small CNN (core.householder.FactorNet) learns to read shape, scale, x, y, rotation, hue and background
off rendered 32x32 shapes images (core.householder.shapes). Writes assets/householder/factor_regressor.pt (fp16
weights + held-out accuracy) and records it in assets/MANIFEST.tsv.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import householder as hp  # noqa: E402
from core.householder import shapes  # noqa: E402
from scripts import manifest  # noqa: E402

OUT = ROOT / "assets" / "householder" / "factor_regressor.pt"


def held_out_errors(net, n: int = 2000, seed: int = 10**9) -> dict:
    """Shape accuracy and mean absolute error per continuous factor on fresh renders."""
    img, f = shapes.sample(n, seed=seed)
    read = hp.read_factors(net, img * 2 - 1)
    errors = {"shape_acc": float((read["shape"].argmax(1) == f[:, 0].long()).float().mean())}
    for name, col in (("scale", 1), ("x", 2), ("y", 3), ("background", 6)):
        errors[f"{name}_mae"] = float((read[name] - f[:, col]).abs().mean())
    errors["hue_mae"] = float(hp._circular(read["hue"], f[:, 5]).mean() / 2)
    return errors


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    net = hp.train_regressor(steps=args.steps, seed=args.seed,
                             progress=lambda p: print(f"{p:.0%}", flush=True) if round(p * 100) % 10 == 0 else None)
    errors = held_out_errors(net)
    print(errors, f"{time.time() - t0:.0f} s", flush=True)
    state = {k: v.half() for k, v in net.state_dict().items()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state": state, "errors": errors, "steps": args.steps, "train_seconds": time.time() - t0}, OUT)
    manifest.record([OUT], "scripts/train_householder_regressor.py", args.seed)


if __name__ == "__main__":
    main()
