"""The three maps side by side and their localisation scores, for one image (the page) or a held-out batch
(scripts/make_eigencam_table.py). Same code for both, so the live numbers and the precomputed table agree.

``maps(model, layer_index, x, target)`` computes Eigen-CAM (class-agnostic: ``target`` is ignored), Grad-CAM
and Grad-CAM++ on the same layer, upsampled to the input size. ``held_out_table`` scores them against the
renderer's masks on clean images and on FGSM images, with a uniform-random map as the floor.
"""
from __future__ import annotations

import numpy as np
import torch

from . import attack, cams, scoring

METHODS = ("Eigen-CAM", "Grad-CAM", "Grad-CAM++")


def maps(net, layer_index: int, x, target=None, centre: bool = True, fix_sign: bool = True, device=None):
    """{method: (B, S, S) maps in [0, 1]} at the input size S, plus the logits."""
    layer = net.layer(layer_index)
    logits, acts = cams.activations(net, layer, x, device)
    size = tuple(torch.as_tensor(x).shape[-2:])
    out = {"Eigen-CAM": cams.eigen_cam(acts, centre, fix_sign, device),
           "Grad-CAM": cams.grad_cam(net, layer, x, target, device),
           "Grad-CAM++": cams.grad_cam_pp(net, layer, x, target, device)}
    return {k: cams.upsample(v, size) for k, v in out.items()}, logits.cpu()


def score_rows(all_maps: dict, masks: np.ndarray, threshold: float, condition: str) -> list[dict]:
    rows = []
    for method, m in all_maps.items():
        s = scoring.localisation(m, masks, threshold)
        rows.append({"condition": condition, "method": method,
                     **{k: round(float(v.mean()), 4) for k, v in s.items()}})
    return rows


def held_out_table(net, images, labels, masks, layer_index: int, threshold: float, eps: float, seed: int = 0,
                   device=None) -> dict:
    """Scores (mean over images) per method, clean and under FGSM, and the clean/attacked map correlation."""
    x = torch.as_tensor(images)
    clean, logits = maps(net, layer_index, x, device=device)
    adv_x = attack.fgsm(net, x, labels, eps, device).cpu()
    adv, adv_logits = maps(net, layer_index, adv_x, device=device)
    rng = np.random.default_rng(seed)
    h = cams.activations(net, net.layer(layer_index), x[:1], device)[1].shape[-1]   # map side at this layer
    random_maps = cams.upsample(rng.uniform(size=(len(x), h, h)), x.shape[-1])
    rows = score_rows(clean, masks, threshold, "clean") + score_rows(adv, masks, threshold, f"FGSM eps {eps:g}")
    rows += score_rows({"random map": random_maps}, masks, threshold, "clean")
    corr = {k: round(float(np.abs(scoring.map_correlation(clean[k], adv[k])).mean()), 4) for k in METHODS}
    pred, adv_pred = logits.argmax(1).numpy(), adv_logits.argmax(1).numpy()
    return {"rows": rows, "map_correlation": corr, "accuracy_clean": round(float((pred == labels).mean()), 4),
            "accuracy_fgsm": round(float((adv_pred == labels).mean()), 4),
            "flipped": round(float((pred != adv_pred).mean()), 4), "n": int(len(x)), "layer": layer_index,
            "threshold": threshold, "eps": eps}
