"""How a Householder / SeFa direction is scored (Eigen Atlas's stand-in for the paper's FID and PIPL).

The paper judges directions by eye on faces and by FID / PPL / PIPL, which need Inception and LPIPS weights
that cannot be downloaded here. Because the training images come from ``shapes``, whose factors are known,
a small factor regressor trained on the renderer reads the factors back: each direction's factor response
(how much each true factor moves along it), its purity and MIG-style gap; the generator's shape mix, a
Frechet distance in the regressor's feature space, and a per-sample re-render IoU (is this a shape the
renderer could draw?).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.device import keeps_global_rng, pick_device, seeded_generator

from . import shapes
from .projector import sample_w, traverse
from .stylegan import Generator

Progress = Callable[[float], None] | None
SCORED = ("shape", "scale", "x", "y", "rotation", "hue", "background")
# Images per forward pass. On one CPU thread the generator runs ~3x faster per image in batches of <= 48
# than in one batch of 600 (the activations stay in cache: 1.2 vs 3.5 ms per 32x32 image), the regressor ~1.7x.
CHUNK = 32
# The page's sample counts, shared with scripts/score_householder.py, which ships their results for the
# default view (so the page and its asset-build numbers are the same computation):
QUALITY_SAMPLES = 600   # samples per generator (and renders) behind shape mix, feature FD and re-render IoU
RESPONSE_LATENTS = 24   # latents per direction in the page's factor response (compare_responses)
DEFAULT_PSI = 0.7       # the page's default truncation: what the shipped numbers are computed at
NOISE_SEED = 1_000_003  # offset of the per-layer noise stream of ``generated`` from its latents' seed


def _chunks(n: int) -> range:
    return range(0, n, CHUNK)


# ----------------------------------------------------------------------------- factor regressor

class FactorNet(nn.Module):
    """3 conv + 2 FC: shape logits, scale, x, y, background, hue (cos, sin), rotation*symmetry (cos, sin)."""

    def __init__(self, width: int = 32, feat: int = 64):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(2 * width * 16, feat), nn.ReLU())
        self.head = nn.Linear(feat, 3 + 4 + 2 + 2)

    def features(self, x):
        """Penultimate features (the space of the Frechet distance). x in [-1, 1]."""
        return self.fc(self.convs(x))

    def forward(self, x):
        return self.head(self.features(x))


def factor_net_from_state(state: dict, device=None) -> FactorNet:
    """The shipped regressor (scripts/train_householder_regressor.py stores its weights in fp16), in fp32."""
    net = FactorNet()
    net.load_state_dict({k: v.float() for k, v in state.items()})
    return net.to(pick_device(device)).eval()


def regressor_targets(factors: torch.Tensor) -> dict:
    shape = factors[:, 0].long()
    m = torch.tensor(shapes.SYMMETRY, dtype=factors.dtype)[shape]
    rot, hue = 2 * math.pi * factors[:, 4] * m, 2 * math.pi * factors[:, 5]
    return {"shape": shape, "reg": factors[:, [1, 2, 3, 6]],
            "hue": torch.stack([hue.cos(), hue.sin()], 1), "rot": torch.stack([rot.cos(), rot.sin()], 1),
            "has_rot": (shape != 1).float()}


def regressor_loss(out: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
    t = regressor_targets(factors)
    rot_err = ((out[:, 9:11] - t["rot"]) ** 2).sum(1) * t["has_rot"]  # a circle has no rotation to read
    return (F.cross_entropy(out[:, :3], t["shape"]) + F.mse_loss(out[:, 3:7], t["reg"]) * 4
            + F.mse_loss(out[:, 7:9], t["hue"]) + rot_err.mean())


@keeps_global_rng
def train_regressor(steps: int = 1500, batch: int = 64, seed: int = 0, progress: Progress = None,
                    device=None) -> FactorNet:
    device = pick_device(device)
    torch.manual_seed(seed)  # module init draws from the global RNG; @keeps_global_rng restores it
    net = FactorNet().to(device)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for step in range(steps):
        img, factors = shapes.sample(batch, seed=seed * 1_000_003 + step, device=device)
        loss = regressor_loss(net(img * 2 - 1), factors)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if progress and step % 20 == 0:
            progress(step / steps)
    return net.eval()


def regress(net: FactorNet, img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One pass of the regressor over images in [-1, 1], in chunks: (penultimate features, outputs)."""
    with torch.no_grad():
        feats = torch.cat([net.features(img[i:i + CHUNK]) for i in _chunks(len(img))])
        return feats, net.head(feats)


def read_factors(net: FactorNet, img: torch.Tensor, out: torch.Tensor | None = None) -> dict:
    """Regressor read-out of images in [-1, 1]: shape probabilities and each factor in [0, 1].
    ``out``: the regressor's outputs for ``img`` when already computed (``regress``)."""
    if out is None:
        out = regress(net, img)[1]
    turn = lambda cs: torch.atan2(cs[:, 1], cs[:, 0]) / (2 * math.pi) % 1.0  # noqa: E731
    return {"shape": out[:, :3].softmax(1), "scale": out[:, 3], "x": out[:, 4], "y": out[:, 5],
            "background": out[:, 6], "hue": turn(out[:, 7:9]), "rotation": turn(out[:, 9:11])}


def _circular(a, b):
    d = (a - b).abs() % 1.0
    return torch.minimum(d, 1 - d) * 2  # in [0, 1]


def factor_changes(before: dict, after: dict) -> torch.Tensor:
    """(n, 7) per-image change of each factor, every column on a [0, 1] scale."""
    shape_tv = 0.5 * (before["shape"] - after["shape"]).abs().sum(1)
    not_circle = torch.minimum(1 - before["shape"][:, 1], 1 - after["shape"][:, 1])
    cols = {"shape": shape_tv, "rotation": _circular(before["rotation"], after["rotation"]) * not_circle,
            "hue": _circular(before["hue"], after["hue"])}
    for f in ("scale", "x", "y", "background"):
        cols[f] = (before[f] - after[f]).abs()
    return torch.stack([cols[f] for f in SCORED], 1)


def factor_response(G: Generator, net: FactorNet, directions: np.ndarray, layer: int | None, n: int = 64,
                    amount: float = 2.0, truncation: float = 0.7, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """M (k, 7): mean change of each factor between w - a*sd*v and w + a*sd*v; and pixel RMS change (k,)."""
    rows, strength = [], []
    for v in directions:
        ends = traverse(G, v, layer, np.array([-amount, amount]), rows=n, truncation=truncation, seed=seed)
        img = torch.as_tensor(ends).permute(0, 1, 4, 2, 3) * 2 - 1  # (n, 2, 3, H, W)
        rows.append(factor_changes(read_factors(net, img[:, 0]), read_factors(net, img[:, 1])).mean(0))
        strength.append(float(((img[:, 1] - img[:, 0]) / 2).pow(2).mean().sqrt()))
    return torch.stack(rows).numpy(), np.array(strength)


def purity(M: np.ndarray) -> np.ndarray:
    """Per direction: the share of its total factor response carried by its top factor (1 = one factor)."""
    return M.max(1) / np.maximum(M.sum(1), 1e-12)


def mig_gap(M: np.ndarray) -> np.ndarray:
    """Per factor, MIG-style: share of that factor in its best direction minus in its second best."""
    share = M / np.maximum(M.sum(1, keepdims=True), 1e-12)
    top2 = -np.sort(-share, 0)[:2]
    return top2[0] - top2[1]


# ----------------------------------------------------------------------------- fidelity

def generated(G: Generator, n: int, seed: int = 0, truncation: float = 1.0) -> torch.Tensor:
    """n samples in [-1, 1]: what every fidelity score below reads, untruncated by default. Fresh noise per
    sample, drawn from a stream seeded by ``seed`` (not the global RNG), so the same call gives the same
    samples in any process: a live re-check reproduces the numbers written at asset-build time."""
    with torch.no_grad():
        w = sample_w(G, n, seed, truncation)
        noise = seeded_generator(NOISE_SEED + seed, w.device)
        return torch.cat([G.synthesis(w[i:i + CHUNK, None].repeat(1, G.n_latent, 1), noise=noise)
                          for i in _chunks(n)]).clamp(-1, 1)


def mix_of(net: FactorNet, img: torch.Tensor, out: torch.Tensor | None = None) -> np.ndarray:
    """Fraction of the images the regressor reads as each shape (the renderer draws 1/3 of each).

    The readability check of the page: a GAN that dropped a shape (mode collapse) shows it here first.
    """
    if out is None:
        out = regress(net, img)[1]
    label = out[:, :len(shapes.SHAPES)].argmax(1)
    return np.bincount(label.cpu().numpy(), minlength=len(shapes.SHAPES)) / len(img)


def shape_mix(G: Generator, net: FactorNet, n: int = 600, seed: int = 0) -> np.ndarray:
    return mix_of(net, generated(G, n, seed))


def object_mask(img: torch.Tensor) -> torch.Tensor:
    """(n, H, W) bool: pixels far from the background colour (the median of the border pixels). img in [-1, 1].

    The renderer's objects are bright (value 0.95) and its backgrounds grey at most 0.45, so every object
    pixel differs from the background by >= 1 in some channel on the [-1, 1] scale; 0.5 splits the two.
    """
    border = torch.cat([img[:, :, 0], img[:, :, -1], img[:, :, :, 0], img[:, :, :, -1]], 2)
    background = border.median(2).values[:, :, None, None]
    return (img - background).abs().amax(1) > 0.5


def rerender_iou(net: FactorNet, img: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """(n,) shape fidelity: IoU of each image's object with the renderer's drawing of what the regressor reads.

    The Frechet distance compares feature statistics; this asks of every single sample whether it is a
    shape the renderer could have drawn: a soft, lopsided or star-like blob matches no square, circle or
    triangle. The regressor's own errors cap it: rendered images score about 0.9 (not 1), a 3x3 box blur of
    them 0.72. Blind spot: a round blob is read as a circle and matches it, so renders with every shape
    swapped for a circle score 0.94; the shape mix (``mix_of``) is what catches a generator that does that.
    """
    read = read_factors(net, img, out)
    shape = read["shape"].argmax(1)
    symmetry = torch.tensor(shapes.SYMMETRY, dtype=img.dtype, device=img.device)[shape]
    factors = torch.stack([shape.to(img.dtype), read["scale"].clamp(0, 1), read["x"].clamp(0, 1),
                           read["y"].clamp(0, 1), read["rotation"] / symmetry,  # read: rotation * symmetry
                           read["hue"], read["background"].clamp(0, 1)], 1)
    drawn, seen = object_mask(shapes.render(factors, img.shape[-1]) * 2 - 1), object_mask(img)
    return (drawn & seen).flatten(1).sum(1) / (drawn | seen).flatten(1).sum(1).clamp(min=1)


def shape_fidelity(G: Generator, net: FactorNet, n: int = 500, seed: int = 0) -> float:
    """Mean re-render IoU of n samples (rendered images: about 0.9)."""
    return float(rerender_iou(net, generated(G, n, seed)).mean())


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """|mu_a - mu_b|^2 + Tr(C_a + C_b - 2 (C_a C_b)^(1/2)): FID's formula, on any features."""
    import scipy.linalg  # here, not at import time: only the Frechet distance needs it
    mu_a, mu_b = a.mean(0), b.mean(0)
    ridge = 1e-6 * np.eye(a.shape[1])  # dead ReLU features make a covariance singular
    ca, cb = np.cov(a, rowvar=False) + ridge, np.cov(b, rowvar=False) + ridge
    covmean = scipy.linalg.sqrtm(ca @ cb)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(ca + cb - 2 * covmean))


def features_of(net: FactorNet, img: torch.Tensor) -> np.ndarray:
    """The regressor's penultimate features (float64): the space of the Frechet distance. img in [-1, 1]."""
    return regress(net, img)[0].double().cpu().numpy()


def real_features(net: FactorNet, n: int = 500, seed: int = 1, size: int = 32, device=None) -> np.ndarray:
    """Regressor features of n rendered images: the reference side of the Frechet distance."""
    return features_of(net, shapes.sample(n, seed=seed, size=size, device=pick_device(device))[0] * 2 - 1)


def feature_distance(net: FactorNet, img: torch.Tensor, real: np.ndarray) -> float:
    return frechet_distance(features_of(net, img), real)


def fidelity(G: Generator, net: FactorNet, n: int = 500, seed: int = 0, real: np.ndarray | None = None) -> float:
    """Frechet distance between regressor features of n generated and n rendered images."""
    real = real_features(net, n, seed + 1, G.cfg.size, next(G.parameters()).device) if real is None else real
    return feature_distance(net, generated(G, n, seed), real)


def shape_scores(G: Generator, net: FactorNet, n: int = 300, seed: int = 0,
                 truncation: float = 1.0) -> tuple[np.ndarray, float]:
    """Shape mix and mean re-render IoU of n samples. Truncation (psi < 1) pulls every latent toward the
    mean one: the classic trade of variety for fidelity, here seen as fewer triangles but cleaner shapes."""
    img = generated(G, n, seed, truncation)
    out = regress(net, img)[1]
    return mix_of(net, img, out), float(rerender_iou(net, img, out).mean())


def sample_scores(G: Generator, net: FactorNet, real: np.ndarray, n: int = 600, seed: int = 0) -> dict:
    """Shape mix, feature Frechet distance and mean re-render IoU, all read off the same n samples."""
    img = generated(G, n, seed)
    feats, out = regress(net, img)  # one regressor pass serves all three
    return {"mix": mix_of(net, img, out), "fd": frechet_distance(feats.double().cpu().numpy(), real),
            "iou": float(rerender_iou(net, img, out).mean())}


def quality_checks(G_base: Generator, G_hp: Generator, net: FactorNet, n: int = 600,
                   psi: tuple[float, ...] = ()) -> dict:
    """Both generators' fidelity on one reference: feature FD, re-render IoU and shape mix (pairs: base, HP),
    plus the IoU of n rendered images (the ceiling); and for each truncation in ``psi``, the base's shape mix
    and re-render IoU from n // 2 samples (``shape_scores``), under "psi": {psi: (mix, iou)}."""
    renders = shapes.sample(n, seed=1, device=next(net.parameters()).device)[0] * 2 - 1
    feats, out = regress(net, renders)
    real = feats.double().cpu().numpy()
    base, tuned = (sample_scores(G, net, real, n) for G in (G_base, G_hp))
    return {**{key: (base[key], tuned[key]) for key in ("fd", "iou", "mix")},
            "iou_renders": float(rerender_iou(net, renders, out).mean()),
            "psi": {p: shape_scores(G_base, net, n // 2, truncation=p) for p in psi}}


def compare_responses(G_base: Generator, G_hp: Generator, net: FactorNet, sefa_method: str, layer: int, k: int,
                      n: int = 24, truncation: float = 0.7, progress: Progress = None) -> dict:
    """Factor responses of SeFa's directions (``sefa_method``: "per layer" or "global") on the base and of the
    Householder directions on the fine-tuned generator, for one layer: {"sefa": (M, strength), "householder": ...}."""
    from .projector import directions
    out = {}
    for i, (name, G, method) in enumerate((("sefa", G_base, sefa_method), ("householder", G_hp, "householder"))):
        out[name] = factor_response(G, net, directions(G, method, layer, k), None if method == "global" else layer,
                                    n=n, truncation=truncation)
        if progress:
            progress((i + 1) / 2)
    return out
