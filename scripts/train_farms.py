"""Train the FARMS page's MLP on sklearn's digits and the TempBalance comparison; ship both.

    nice -n 10 python scripts/train_farms.py        (about two CPU-minutes)

Writes, and records in assets/MANIFEST.tsv:
* assets/farms/mlp_digits.pt: the state dict of the plainly trained MLP (core.farms.digits, seed 0, the
  recipe in digits.RECIPE), float32, read with torch.load(weights_only=True).
* assets/farms/tempbalance.csv: final test accuracy of plain training and of TempBalance driven by full-ESD or
  FARMS alphas (class-default lr ratios, and the paper's ResNet-18 pairs), for SEEDS (the page shows it as
  precomputed; its button reruns one seed).
Each run starts from the seeded init, so rerunning reproduces the files on the same torch build.
"""
from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import torch  # noqa: E402

import manifest  # noqa: E402
from core.device import pin_threads  # noqa: E402
from core.farms import digits  # noqa: E402

OUT = ROOT / "assets" / "farms"
SEEDS = (0, 1, 2, 3, 4)
RUNS = (  # (label, alphas, lr_min_ratio, lr_max_ratio)
    ("plain", None, 1.0, 1.0),
    ("TempBalance (full ESD), ratios 0.5/1.5", "full", 0.5, 1.5),     # the Tempbalance_FARMS class defaults
    ("TempBalance (FARMS), ratios 0.5/1.5", "farms", 0.5, 1.5),
    ("TempBalance (full ESD), ratios 0.6/1.4", "full", 0.6, 1.4),     # the paper's ResNet-18 pairs, layers kept
    ("TempBalance (FARMS), ratios 0.1/1.9", "farms", 0.1, 1.9),
)


def main() -> None:
    pin_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for seed in SEEDS:
        for label, tb, lo, hi in RUNS:
            start = time.process_time()
            run = digits.train(tb, seed=seed, lr_min_ratio=lo, lr_max_ratio=hi, device="cpu")
            rows.append({"run": label, "seed": seed, "test_acc": round(run["test_acc"], 4),
                         "cpu_seconds": round(time.process_time() - start, 1)})
            print(rows[-1], flush=True)
            if seed == 0 and tb is None:
                torch.save(run["state"], OUT / "mlp_digits.pt")
                (OUT / "mlp_digits.json").write_text(json.dumps(
                    {"widths": digits.WIDTHS, "recipe": digits.RECIPE, "seed": 0, "test_acc": run["test_acc"],
                     "torch": torch.__version__}, indent=1) + "\n")
    with (OUT / "tempbalance.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    manifest.record([OUT / "mlp_digits.pt", OUT / "mlp_digits.json", OUT / "tempbalance.csv"],
                    "scripts/train_farms.py", 0)


if __name__ == "__main__":
    main()
