"""The Eigen-CAM page's precomputed held-out tables: assets/eigencam/heldout.json.

    nice -n 10 python scripts/make_eigencam_table.py      (after scripts/train_eigencam.py; ~1 CPU-minute)

* shapes: 512 held-out scenes (core.eigencam.shapes.render(512, 10_000), never seen in training), every conv
  block: pointing game, IoU at map thresholds 0.2 and 0.5, energy in mask, for Eigen-CAM, Grad-CAM (predicted
  class), Grad-CAM++ and a uniform-random map, clean and after FGSM at EPS["shapes"]; the Eigen-CAM variants (paper's
  uncentred projection, grad-cam's missing sign rule); the clean/attacked map correlation; an epsilon sweep
  at the last block.
* mnist: the 1,000 held-out digits of core.eigencam.digits, the digit's ink as the mask, last block only.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from core import assets  # noqa: E402
from core.device import pin_threads  # noqa: E402
from core.eigencam import digits, evaluate, model, shapes  # noqa: E402
import manifest  # noqa: E402

N, SEED = 512, 10_000
EPS = {"shapes": 0.005, "mnist": 0.1}   # each classifier's accuracy falls below a quarter (measured)
THRESHOLDS = (0.2, 0.5)
EPSILONS = (0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)


def main():
    pin_threads()
    out = {"shapes": {"n": N, "seed": SEED, "eps": EPS["shapes"], "layers": []}, "mnist": {}}
    net = model.from_state(model.SHAPES_CONFIG, assets.weights("eigencam", "shapes_cnn.pt"))
    scenes = shapes.render(N, SEED)
    for layer in range(len(net.blocks)):
        table = evaluate.held_out_table(net, scenes.images, scenes.labels, scenes.masks, layer, THRESHOLDS,
                                         EPS["shapes"])
        out["shapes"]["layers"].append(table)
        print(f"shapes block {layer + 1}: acc {table['accuracy_clean']} -> {table['accuracy_fgsm']}, "
              f"corr {table['map_correlation']}", flush=True)
    last = len(net.blocks) - 1
    out["shapes"]["sweep"] = evaluate.eps_sweep(net, scenes.images, scenes.labels, last, EPSILONS)
    dnet = model.from_state(model.MNIST_CONFIG, assets.weights("eigencam", "mnist_cnn.pt"))
    _, (x, y) = digits.split(*digits.load())
    out["mnist"] = evaluate.held_out_table(dnet, x, y, digits.ink_masks(x), len(dnet.blocks) - 1, THRESHOLDS,
                                             EPS["mnist"])
    out["mnist"]["note"] = "mask = the digit's ink (pixel >= 0.5)"
    path = ROOT / "assets" / "eigencam" / "heldout.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    manifest.record([path], "scripts/make_eigencam_table.py", SEED)
    for row in out["shapes"]["layers"][last]["rows"]:
        print(row)
    print("mnist", out["mnist"]["map_correlation"], out["mnist"]["accuracy_clean"], out["mnist"]["accuracy_fgsm"])
    for row in out["mnist"]["rows"]:
        print(row)
    print(np.array([[r["eps"], r["accuracy"]] for r in out["shapes"]["sweep"]]))


if __name__ == "__main__":
    main()
