"""The three maps side by side and their localisation scores, for one image (the page) or a held-out batch
(scripts/make_eigencam_table.py). Same code for both, so the live numbers and the precomputed table agree.

``maps(model, layer_index, x, target)`` computes Eigen-CAM (class-agnostic: ``target`` is ignored), Grad-CAM
and Grad-CAM++ on the same layer, upsampled to the input size. ``held_out_table`` scores them against the
renderer's masks on clean images and on FGSM images, with a uniform-random map as the floor.
"""
from __future__ import annotations

from dataclasses import dataclass

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


def score_rows(all_maps: dict, masks: np.ndarray, thresholds, condition: str) -> list[dict]:
    rows = []
    for method, m in all_maps.items():
        for t in thresholds:
            s = scoring.localisation(m, masks, t)
            rows.append({"condition": condition, "method": method, "threshold": t,
                         **{k: round(float(v.mean()), 4) for k, v in s.items()}})
    return rows


def variants(net, layer_index: int, x, device=None) -> dict:
    """Eigen-CAM as the paper writes it (no centring) and as grad-cam runs it (no sign rule), at input size."""
    _, acts = cams.activations(net, net.layer(layer_index), x, device)
    size = tuple(torch.as_tensor(x).shape[-2:])
    return {"Eigen-CAM, paper (uncentred)": cams.upsample(cams.eigen_cam(acts, centre=False, device=device), size),
            "Eigen-CAM, no sign rule (grad-cam)": cams.upsample(cams.eigen_cam(acts, fix_sign=False, device=device),
                                                                 size)}


def held_out_table(net, images, labels, masks, layer_index: int, thresholds=(0.5,), eps: float = 0.03,
                   seed: int = 0, device=None) -> dict:
    """Scores (mean over images) per method, clean and under FGSM, and the clean/attacked map correlation."""
    x = torch.as_tensor(images)
    clean, logits = maps(net, layer_index, x, device=device)
    adv_x = attack.fgsm(net, x, labels, eps, device).cpu()
    adv, adv_logits = maps(net, layer_index, adv_x, device=device)
    h = cams.activations(net, net.layer(layer_index), x[:1], device)[1].shape[-1]   # map side at this layer
    random_maps = cams.upsample(np.random.default_rng(seed).uniform(size=(len(x), h, h)), x.shape[-1])
    flips = int(cams.project(cams.activations(net, net.layer(layer_index), x, device)[1]).flipped.sum())
    rows = score_rows(clean, masks, thresholds, "clean") + score_rows(adv, masks, thresholds, f"FGSM eps {eps:g}")
    rows += score_rows(variants(net, layer_index, x, device) | {"random map": random_maps}, masks, thresholds, "clean")
    corr = {k: round(float(np.abs(scoring.map_correlation(clean[k], adv[k])).mean()), 4) for k in METHODS}
    pred, adv_pred = logits.argmax(1).numpy(), adv_logits.argmax(1).numpy()
    return {"rows": rows, "map_correlation": corr, "accuracy_clean": round(float((pred == labels).mean()), 4),
            "accuracy_fgsm": round(float((adv_pred == labels).mean()), 4),
            "flipped": round(float((pred != adv_pred).mean()), 4), "sign_flips": flips, "n": int(len(x)),
            "layer": layer_index, "eps": eps}


def eps_sweep(net, images, labels, layer_index: int, epsilons, device=None) -> list[dict]:
    """Held-out accuracy and mean |corr(clean map, attacked map)| per method for each epsilon."""
    x = torch.as_tensor(images)
    clean, _ = maps(net, layer_index, x, device=device)
    out = []
    for eps in epsilons:
        adv, logits = maps(net, layer_index, attack.fgsm(net, x, labels, eps, device).cpu(), device=device)
        row = {"eps": eps, "accuracy": round(float((logits.argmax(1).numpy() == labels).mean()), 4)}
        out.append(row | {k: round(float(np.abs(scoring.map_correlation(clean[k], adv[k])).mean()), 4)
                          for k in METHODS})
    return out


@dataclass
class Explained:
    """Everything the page shows for one image at one layer."""
    probs: np.ndarray            # (classes,) softmax of the logits
    maps: dict                   # {method: (S, S) map at input size}
    matrix: np.ndarray           # (H*W, C) activation matrix as decomposed (centred or raw)
    singular: np.ndarray         # singular values
    raw: np.ndarray              # (H, W) projection with the SVD's sign
    signed: np.ndarray           # (H, W) after the sign rule
    flipped: bool
    relu: np.ndarray             # (H, W) ReLU(signed)
    scaled: np.ndarray           # (H, W) min-max: the Eigen-CAM map at layer resolution
    target: int                  # the class the gradient methods explained
    device: str


def explain(net, layer_index: int, image, target=None, centre=True, fix_sign=True, device=None) -> Explained:
    """One image (C, S, S): the three maps and every intermediate step of Eigen-CAM."""
    x = torch.as_tensor(image, dtype=torch.float32)[None]
    all_maps, logits = maps(net, layer_index, x, target, centre, fix_sign, device)
    _, acts = cams.activations(net, net.layer(layer_index), x, device)
    proj = cams.project(acts, centre, fix_sign, device)
    relu = proj.signed.clamp_min(0)
    tgt = int(logits.argmax(1)[0]) if target is None else int(target)
    return Explained(torch.softmax(logits, 1)[0].numpy(), {k: v[0] for k, v in all_maps.items()},
                     proj.matrix[0].cpu().numpy(), proj.singular[0].cpu().numpy(), proj.raw[0].cpu().numpy(),
                     proj.signed[0].cpu().numpy(), bool(proj.flipped[0]), relu[0].cpu().numpy(),
                     cams.scale(proj.signed)[0].cpu().numpy(), tgt, str(acts.device))


def per_class_grad_cam(net, layer_index: int, image, n_classes: int, device=None) -> np.ndarray:
    """(n_classes, S, S): Grad-CAM of one image for every class (one batched backward)."""
    x = torch.as_tensor(image, dtype=torch.float32)[None].repeat(n_classes, 1, 1, 1)
    cam = cams.grad_cam(net, net.layer(layer_index), x, torch.arange(n_classes), device)
    return cams.upsample(cam, tuple(x.shape[-2:]))


@dataclass
class Attacked:
    image: np.ndarray            # (C, S, S) the FGSM image
    probs: np.ndarray
    maps: dict                   # {method: (S, S)} on the attacked image (gradient methods: its prediction)
    correlation: dict            # {method: corr(clean map, attacked map)}


def attack_one(net, layer_index: int, image, label: int, clean_maps: dict, eps: float, centre=True, fix_sign=True,
               device=None) -> Attacked:
    adv = attack.fgsm(net, torch.as_tensor(image)[None], [label], eps, device).cpu()
    adv_maps, logits = maps(net, layer_index, adv, None, centre, fix_sign, device)
    adv_maps = {k: v[0] for k, v in adv_maps.items()}
    corr = {k: float(scoring.map_correlation(clean_maps[k][None], adv_maps[k][None])[0]) for k in METHODS}
    return Attacked(adv[0].numpy(), torch.softmax(logits, 1)[0].numpy(), adv_maps, corr)
