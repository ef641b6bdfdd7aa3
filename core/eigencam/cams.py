"""Eigen-CAM (Muhammad & Yeasin, IJCNN 2020) and the two gradient CAMs it is compared with.

Eigen-CAM, the paper's idea (written here by hand; the maintained ``grad-cam`` package cannot be imported
beside this CPU torch): for one image, reshape the conv layer's activations (C, H, W) to the matrix
X of shape (H*W, C) (rows = positions, columns = channels), take its SVD X = U S V^T and project onto the
first right singular vector: CAM = X v1, reshaped to (H, W). Following grad-cam's ``get_2d_projection`` the
columns are centred first (``centre=True``; the paper projects raw activations, ``centre=False``), then
BaseCAM's ReLU and min-max scaling.

The sign of v1 is arbitrary (LAPACK may return -v1); grad-cam leaves it as it comes, so a map can come out
inverted and the ReLU then erases the object. ``fix_sign`` applies the rule max(p) >= -min(p) (the largest
absolute value of the projection is positive), SegEigenCAM's eq. 13.

Grad-CAM (Selvaraju et al. 2017): alpha_k = mean_ij dy_c/dA^k_ij, CAM = ReLU(sum_k alpha_k A^k).
Grad-CAM++ (Chattopadhay et al. 2018), grad-cam's closed form with exp(y_c):
alpha_kij = g^2 / (2 g^2 + sum_ij A^k * g^3), w_k = sum_ij alpha_kij ReLU(g_kij).

All three return float numpy (B, H, W) in [0, 1] at the layer's resolution; ``upsample`` brings maps to
the image size (bilinear, as grad-cam's cv2.resize).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from core.device import pick_device

EPS = 1e-7   # grad-cam's scale_cam_image: divide by (EPS + max)


def _as_tensor(activations, device=None) -> torch.Tensor:
    t = torch.as_tensor(activations).detach()
    return torch.nan_to_num(t.to(pick_device(device), torch.float64), nan=0.0)  # grad-cam: NaN -> 0


def scale(maps: torch.Tensor) -> torch.Tensor:
    """ReLU, then min-max per map (BaseCAM): an all-zero map stays zero, never NaN."""
    maps = maps.clamp_min(0)
    flat = maps.flatten(1)
    lo = flat.min(1).values[:, None, None]
    maps = maps - lo
    return maps / (EPS + maps.flatten(1).max(1).values[:, None, None])


@dataclass
class Projection:
    """What the batched SVD gives, per image (the page shows every field)."""
    matrix: torch.Tensor      # (B, H*W, C): the (centred) activation matrix that was decomposed
    singular: torch.Tensor    # (B, min(H*W, C)) singular values
    v1: torch.Tensor          # (B, C): first right singular vector, after the sign rule if applied
    raw: torch.Tensor         # (B, H, W): projection with the sign the SVD returned
    signed: torch.Tensor      # (B, H, W): projection after the sign rule (= raw without fix_sign)
    flipped: torch.Tensor     # (B,) bool: the rule flipped this image's sign


def project(activations, centre: bool = True, fix_sign: bool = True, device=None) -> Projection:
    """PC1 projections of a batch of activations (B, C, H, W), one batched SVD for the whole batch."""
    a = _as_tensor(activations, device)
    b, c, h, w = a.shape
    x = a.reshape(b, c, h * w).transpose(1, 2)                    # (B, H*W, C)
    if centre:
        x = x - x.mean(dim=1, keepdim=True)                       # centre each channel over positions
    # full_matrices=False: the (H*W)^2 U that grad-cam builds and discards is never formed
    _, s, vh = torch.linalg.svd(x, full_matrices=False)
    v1 = vh[:, 0, :]
    raw = torch.einsum("bnc,bc->bn", x, v1)
    flipped = torch.zeros(b, dtype=torch.bool, device=a.device)
    if fix_sign:
        flipped = raw.amax(1) < -raw.amin(1)
    sign = 1.0 - 2.0 * flipped.to(raw.dtype)
    return Projection(x, s, v1 * sign[:, None], raw.reshape(b, h, w), (raw * sign[:, None]).reshape(b, h, w),
                      flipped)


def eigen_cam(activations, centre: bool = True, fix_sign: bool = True, device=None) -> np.ndarray:
    """Eigen-CAM maps (B, H, W) in [0, 1] from activations (B, C, H, W) (numpy or torch)."""
    return scale(project(activations, centre, fix_sign, device).signed).cpu().numpy()


# ----------------------------------------------------------------------------- hooks and gradient CAMs

def _forward(model, layer, x, need_grad: bool):
    """Model outputs and the layer's output (kept in the graph when ``need_grad``)."""
    store = {}

    def hook(_module, _inputs, output):
        store["a"] = output

    handle = layer.register_forward_hook(hook)
    try:
        with torch.set_grad_enabled(need_grad):
            logits = model(x)
    finally:
        handle.remove()
    return logits, store["a"]


def activations(model, layer, x, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits, layer output) for a batch, no gradients: all Eigen-CAM needs."""
    device = pick_device(device)
    model = model.to(device).eval()
    logits, acts = _forward(model, layer, torch.as_tensor(x, dtype=torch.float32, device=device), False)
    return logits.detach(), acts.detach()


def _targets(target, logits: torch.Tensor) -> torch.Tensor:
    if target is None:
        return logits.argmax(1)                                   # grad-cam: the predicted class
    t = torch.as_tensor(target, device=logits.device).long().reshape(-1)
    return t.expand(logits.shape[0]) if t.numel() == 1 else t


def layer_gradients(model, layer, x, target=None, device=None):
    """(activations, d y_target / d activations, targets, logits) for a batch; y = the raw class score."""
    device = pick_device(device)
    model = model.to(device).eval()
    x = torch.as_tensor(x, dtype=torch.float32, device=device)
    logits, acts = _forward(model, layer, x, True)
    targets = _targets(target, logits)
    score = logits.gather(1, targets[:, None]).sum()              # images are independent: one backward
    (grads,) = torch.autograd.grad(score, acts)
    return acts.detach().double(), grads.detach().double(), targets, logits.detach()


def grad_cam(model, layer, x, target=None, device=None) -> np.ndarray:
    """Grad-CAM maps (B, H, W) in [0, 1]; ``target`` None = the predicted class, an int, or one per image."""
    a, g, _, _ = layer_gradients(model, layer, x, target, device)
    alpha = g.mean(dim=(2, 3), keepdim=True)
    return scale((alpha * a).sum(1)).cpu().numpy()


def grad_cam_pp(model, layer, x, target=None, device=None) -> np.ndarray:
    """Grad-CAM++ maps (B, H, W) in [0, 1], grad-cam's formula (exp score, eps 1e-6 in the denominator)."""
    a, g, _, _ = layer_gradients(model, layer, x, target, device)
    g2, g3 = g**2, g**3
    aij = g2 / (2 * g2 + a.sum(dim=(2, 3), keepdim=True) * g3 + 1e-6)
    aij = torch.where(g != 0, aij, torch.zeros_like(aij))
    w = (g.clamp_min(0) * aij).sum(dim=(2, 3), keepdim=True)
    return scale((w * a).sum(1)).cpu().numpy()


def upsample(maps, size: int | tuple[int, int]) -> np.ndarray:
    """Bilinear resize of (B, h, w) maps to ``size`` (values stay in [0, 1])."""
    t = torch.as_tensor(np.asarray(maps), dtype=torch.float32)[:, None]
    size = (size, size) if isinstance(size, int) else tuple(size)
    return F.interpolate(t, size=size, mode="bilinear", align_corners=False)[:, 0].numpy()
