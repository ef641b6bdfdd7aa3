"""Householder Projector (Song, Zhang, Sebe, Wang, ICCV 2023) and its baseline SeFa (Shen & Zhou, CVPR 2021).

Both read semantic directions off the style affine ``s = A w + b`` of a StyleGAN2 modulated conv:

* SeFa (Sec. 3.2 of Shen & Zhou): the directions n maximising |A n|^2 are the top right singular vectors
  of A, per layer or of the modulation weights stacked over layers (rosinality's variant: the convs, no
  ToRGB, no column normalisation).
* Householder Projector (Sec. 3 of Song et al., eq. 4-7): replace A in each block's upsampling conv by
  the low-rank orthogonal ``A = Q_out[:, :k] diag(sigma) Q_in[:, :k]^T``, each Q a product of Householder
  reflectors H(v) = I - 2 v v^T / |v|^2 (core.spectral.householder_product); initialise it from the SVD
  of the trained A (geqrf -> unit-lower reflector vectors, the construction the official code gets
  wrong, see the notes' pitfall 2), fine-tune with the unchanged GAN loss, and read direction j of
  layer l as column j of Q_in (not from an SVD of A, whose k equal singular values make that arbitrary).

Because the training images come from core.shapes, whose factors are known, a factor regressor trained
on the renderer scores each direction: how much each true factor moves along it (purity, MIG-style gap)
and a Frechet distance in the regressor's feature space stands in for FID.
"""
from __future__ import annotations

import copy
import math
from typing import Callable

import numpy as np
import scipy.linalg
import torch
import torch.nn.functional as F
from torch import nn

from core import shapes
from core.device import pick_device, seeded_generator
from core.spectral import householder_product, truncated_svd
from core.stylegan import (EqualLinear, Generator, GConfig, TrainConfig, build_generator,
                           discriminator_from_state, make_optimizers, train_step)

Progress = Callable[[float], None] | None
SCORED = ("shape", "scale", "x", "y", "rotation", "hue", "background")
# Half the base's training lr: from the 3.63M-image base, 16k images at lr 0.002 lost triangles (13-17 %
# against the base's 19 %) and doubled the feature FD (41 vs 25); at 0.001 the mix and FD (23) held.
FINETUNE_LR = 0.001


# ----------------------------------------------------------------------------- the Householder projector

def reflectors_from_frame(frame: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Reflector vectors (n, k) whose product's first k columns equal the orthonormal ``frame`` up to sign.

    geqrf stores Q = H_1...H_k with unit-lower vectors v_i (the strict lower part of its output plus
    e_i); with an orthonormal input, R is diagonal +-1. Where LAPACK sets tau_i = 0 (H_i = I) our
    H(e_i) flips column i instead; the returned signs (+-1 per column) record every such flip.
    """
    a, _ = torch.geqrf(frame)
    k = frame.shape[1]
    vectors = torch.tril(a, -1)[:, :k] + torch.eye(*a.shape, dtype=a.dtype)[:, :k]
    signs = torch.sign((householder_product(vectors)[:, :k] * frame).sum(0))
    return vectors, signs


class HouseholderLinear(nn.Module):
    """s = gain * Q_out[:, :k] diag(signs) Q_in[:, :k]^T w + b, Q_* = H(u_1)...H(u_k) (k reflectors each).

    k reflectors already reach every orthonormal k-frame (Householder QR), so the official n-reflector
    products are not needed for the first k columns. ``gain`` is a fixed scalar: the k singular values
    stay equal, as in the paper, at the magnitude of the trained A so the style/bias balance is kept.
    """

    def __init__(self, in_dim: int, out_dim: int, k: int):
        super().__init__()
        self.k = k
        self.U = nn.Parameter(torch.randn(out_dim, k))
        self.V = nn.Parameter(torch.randn(in_dim, k))
        self.bias = nn.Parameter(torch.ones(out_dim))
        self.register_buffer("signs", torch.ones(k))
        self.register_buffer("gain", torch.ones(()))

    @classmethod
    def from_linear(cls, lin: EqualLinear, k: int) -> "HouseholderLinear":
        """Start from the trained A: Q_out[:, :k] = U_k, Q_in[:, :k] = V_k (its top-k singular vectors)."""
        A = lin.effective_weight().detach().double()
        out_dim, in_dim = A.shape
        if not 1 <= k <= min(out_dim, in_dim):
            raise ValueError(f"rank k must be in 1..{min(out_dim, in_dim)} for a {out_dim}x{in_dim} style affine")
        U, S, Vh = torch.linalg.svd(A, full_matrices=False)
        layer = cls(in_dim, out_dim, k)
        u_vec, u_signs = reflectors_from_frame(U[:, :k])
        v_vec, v_signs = reflectors_from_frame(Vh[:k].T)
        with torch.no_grad():
            layer.U.copy_(u_vec), layer.V.copy_(v_vec)
            layer.signs.copy_(u_signs * v_signs)  # Q_out diag(signs) Q_in^T = U_k V_k^T exactly
            layer.gain.fill_(float(S[:k].mean()))
            layer.bias.copy_(lin.bias.detach() * lin.lr_mul)
        return layer

    def q_out(self) -> torch.Tensor:
        return householder_product(self.U)

    def q_in(self) -> torch.Tensor:
        return householder_product(self.V)

    def effective_weight(self) -> torch.Tensor:
        k = self.k
        return self.gain * (self.q_out()[:, :k] * self.signs) @ self.q_in()[:, :k].T

    def directions(self) -> torch.Tensor:
        """(k, in_dim): the k orthonormal w-space directions, read from the Householder factor itself."""
        return self.q_in()[:, : self.k].T.detach()

    def forward(self, w):
        return F.linear(w, self.effective_weight(), self.bias)


def attach_projectors(G: Generator, k: int = 10, init: bool = True) -> Generator:
    """Replace the modulation of every upsampling conv by a HouseholderLinear (official ortho_id = -2)."""
    for conv in G.projector_layers:
        lin = conv.modulation
        conv.modulation = HouseholderLinear.from_linear(lin, k) if init else \
            HouseholderLinear(lin.weight.shape[1], lin.weight.shape[0], k)
    return G


def build_projector_generator(cfg: GConfig, state: dict, k: int, device=None) -> Generator:
    """A fine-tuned projector generator from its saved state dict."""
    G = attach_projectors(Generator(cfg), k, init=False)
    G.load_state_dict({key: v.float() for key, v in state.items()})
    return G.to(pick_device(device)).eval()


def orthogonality_error(G: Generator) -> float:
    """max |Q^T Q - I| over every full Householder product of the projector layers (0 in exact arithmetic)."""
    worst = 0.0
    with torch.no_grad():
        for conv in G.projector_layers:
            for Q in (conv.modulation.q_out(), conv.modulation.q_in()):
                worst = max(worst, float((Q.T @ Q - torch.eye(Q.shape[0])).abs().max()))
    return worst


# ----------------------------------------------------------------------------- directions

def layer_weights(G: Generator) -> list[np.ndarray]:
    """The effective A (C_in x w_dim) of each block's upsampling conv, the layers both methods act on."""
    return [conv.modulation.effective_weight().detach().cpu().double().numpy() for conv in G.projector_layers]


def sefa_layer(G: Generator, layer: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-layer SeFa (HouseholderGAN's baseline): top-k right singular vectors (k, w_dim) and values."""
    _, s, Vt = truncated_svd(layer_weights(G)[layer], k)
    return Vt, s


def sefa_global(G: Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """rosinality's closed_form_factorization: all conv modulation weights stacked (no ToRGB), top-k."""
    mods = [G.conv1.conv.modulation] + [c.conv.modulation for c in G.convs]
    W = np.concatenate([m.effective_weight().detach().cpu().double().numpy() for m in mods], 0)
    _, s, Vt = truncated_svd(W, k)
    return Vt, s


def householder_directions(G: Generator, layer: int) -> np.ndarray:
    return G.projector_layers[layer].modulation.directions().cpu().double().numpy()


def readout_cosines(G: Generator, layer: int) -> np.ndarray:
    """|cos| (k x k) between the k Householder directions and the top-k right singular vectors of the same
    A: with k equal singular values the SVD may return any rotation of the subspace (pitfall of the
    official read-out), so this is far from the identity even though both span the same space."""
    dirs = householder_directions(G, layer)
    _, _, Vt = np.linalg.svd(layer_weights(G)[layer])
    return np.abs(dirs @ Vt[: len(dirs)].T)


def slots_for(layer: int | None, n_latent: int) -> list[int]:
    """W+ slots a direction edits: 2*layer+1 feeds that block's upsampling conv; None = every slot."""
    return list(range(n_latent)) if layer is None else [2 * layer + 1]


# ----------------------------------------------------------------------------- traversal

def sample_w(G: Generator, n: int, seed: int, truncation: float = 1.0) -> torch.Tensor:
    device = next(G.parameters()).device
    z = torch.randn(n, G.cfg.style_dim, generator=seeded_generator(seed, device), device=device)
    with torch.no_grad():
        w = G.mapping(z)
        return G.mean_w().lerp(w, truncation) if truncation != 1.0 else w


def direction_scale(G: Generator, direction: np.ndarray, n: int = 2048) -> float:
    """std of v^T w over mapped latents: step sizes are in these units so methods compare fairly."""
    w = sample_w(G, n, seed=99)
    v = torch.as_tensor(direction, dtype=w.dtype, device=w.device)
    return float((w @ v).std())


def traverse(G: Generator, direction: np.ndarray, layer: int | None, steps: np.ndarray, rows: int = 5,
             truncation: float = 0.7, seed: int = 0) -> np.ndarray:
    """(rows, len(steps), H, W, 3) images in [0, 1]: w_r + t * v at the direction's W+ slot(s)."""
    w = sample_w(G, rows, seed, truncation)
    v = torch.as_tensor(direction, dtype=w.dtype, device=w.device) * direction_scale(G, direction)
    t = torch.as_tensor(np.asarray(steps), dtype=w.dtype, device=w.device)
    w_plus = w[:, None, None, :].repeat(1, len(t), G.n_latent, 1)  # (rows, cols, slots, w_dim)
    for slot in slots_for(layer, G.n_latent):
        w_plus[:, :, slot] += t[None, :, None] * v
    with torch.no_grad():
        img = G.synthesis(w_plus.flatten(0, 1), noise="const")
    img = img.clamp(-1, 1).add(1).div(2).permute(0, 2, 3, 1)
    return img.reshape(rows, len(t), *img.shape[1:]).cpu().numpy()


def rendered_images(rows: int, cols: int, seed: int = 0) -> np.ndarray:
    """(rows, cols, H, W, 3) images straight from the renderer in [0, 1]: what the generator learns to draw."""
    img = shapes.sample(rows * cols, seed, device="cpu")[0].permute(0, 2, 3, 1).numpy()
    return img.reshape(rows, cols, *img.shape[1:])


def sample_images(G: Generator, rows: int, cols: int, seed: int = 0, truncation: float = 1.0) -> np.ndarray:
    """(rows, cols, H, W, 3) random samples in [0, 1] with the stored noise."""
    w = sample_w(G, rows * cols, seed, truncation)
    with torch.no_grad():
        img = G.synthesis(w[:, None].repeat(1, G.n_latent, 1), noise="const")
    img = img.clamp(-1, 1).add(1).div(2).permute(0, 2, 3, 1).cpu().numpy()
    return img.reshape(rows, cols, *img.shape[1:])


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


def train_regressor(steps: int = 1500, batch: int = 64, seed: int = 0, progress: Progress = None,
                    device=None) -> FactorNet:
    device = pick_device(device)
    torch.manual_seed(seed)
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


def read_factors(net: FactorNet, img: torch.Tensor) -> dict:
    """Regressor read-out of images in [-1, 1]: shape probabilities and each factor in [0, 1]."""
    with torch.no_grad():
        out = net(img)
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
    """n samples (fresh noise) in [-1, 1]: what every fidelity score below reads, untruncated by default."""
    with torch.no_grad():
        w = sample_w(G, n, seed, truncation)
        return G.synthesis(w[:, None].repeat(1, G.n_latent, 1), noise="random").clamp(-1, 1)


def mix_of(net: FactorNet, img: torch.Tensor) -> np.ndarray:
    """Fraction of the images the regressor reads as each shape (the renderer draws 1/3 of each).

    The readability check of the page: a GAN that dropped a shape (mode collapse) shows it here first.
    """
    with torch.no_grad():
        label = net(img)[:, :len(shapes.SHAPES)].argmax(1)
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


def rerender_iou(net: FactorNet, img: torch.Tensor) -> torch.Tensor:
    """(n,) shape fidelity: IoU of each image's object with the renderer's drawing of what the regressor reads.

    The Frechet distance compares feature statistics; this asks of every single sample whether it is a
    shape the renderer could have drawn: a soft, lopsided or star-like blob matches no square, circle or
    triangle. The regressor's own errors cap it: rendered images score about 0.9 (not 1), a 3x3 box blur of
    them 0.72. Blind spot: a round blob is read as a circle and matches it, so renders with every shape
    swapped for a circle score 0.94; the shape mix (``mix_of``) is what catches a generator that does that.
    """
    read = read_factors(net, img)
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
    mu_a, mu_b = a.mean(0), b.mean(0)
    ridge = 1e-6 * np.eye(a.shape[1])  # dead ReLU features make a covariance singular
    ca, cb = np.cov(a, rowvar=False) + ridge, np.cov(b, rowvar=False) + ridge
    covmean = scipy.linalg.sqrtm(ca @ cb)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(ca + cb - 2 * covmean))


def features_of(net: FactorNet, img: torch.Tensor) -> np.ndarray:
    """The regressor's penultimate features (float64): the space of the Frechet distance. img in [-1, 1]."""
    with torch.no_grad():
        return net.features(img).double().cpu().numpy()


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
    return mix_of(net, img), float(rerender_iou(net, img).mean())


def sample_scores(G: Generator, net: FactorNet, real: np.ndarray, n: int = 600, seed: int = 0) -> dict:
    """Shape mix, feature Frechet distance and mean re-render IoU, all read off the same n samples."""
    img = generated(G, n, seed)
    return {"mix": mix_of(net, img), "fd": feature_distance(net, img, real),
            "iou": float(rerender_iou(net, img).mean())}


# ----------------------------------------------------------------------------- fine-tuning

def finetune_projector(g_state: dict, d_state: dict, cfg: GConfig, k: int = 10, steps: int = 200,
                       batch: int = 16, seed: int = 0, progress: Progress = None,
                       device=None, lr: float = FINETUNE_LR) -> tuple[Generator, list]:
    """Attach projectors to the trained G (SVD init) and fine-tune G and D with the unchanged GAN loss.

    Returns the EMA generator and a log of (step, d_loss, g_loss). The EMA starts from the projector
    generator at its initialisation, which is not the trained model (S = I_k drops its singular values).
    """
    device = pick_device(device)
    torch.manual_seed(seed)
    G = attach_projectors(build_generator(cfg, g_state, device="cpu"), k).to(device)
    D = discriminator_from_state(d_state, cfg.size).to(device)
    G_ema = copy.deepcopy(G).eval()
    tc = TrainConfig(batch=batch, lr=lr, ema_kimg=0.5)  # short run: a short EMA half-life
    opt_g, opt_d = make_optimizers(G, D, tc)
    gen, log = seeded_generator(seed, device), []
    for step in range(steps):
        factors = torch.rand(batch, len(shapes.FACTORS), generator=gen, device=device)
        factors[:, 0] = torch.randint(len(shapes.SHAPES), (batch,), generator=gen, device=device).float()
        losses = train_step(G, D, G_ema, opt_g, opt_d, shapes.render(factors, cfg.size) * 2 - 1, step, tc)
        log.append((step, float(losses["d_loss"]), float(losses["g_loss"])))
        if progress:
            progress((step + 1) / steps)
    return G_ema.eval(), log

