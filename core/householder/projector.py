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

Also here: latent traversals along a direction and the fine-tune. How a direction is scored is in
``factors``.
"""
from __future__ import annotations

import copy
import random
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.device import keeps_global_rng, pick_device, seeded_generator
from core.spectral import householder_product, truncated_svd

from . import shapes
from .stylegan import (EqualLinear, Generator, GConfig, TrainConfig, build_generator, discriminator_from_state,
                       make_optimizers, train_step)

Progress = Callable[[float], None] | None
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


def directions(G: Generator, method: str, layer: int, k: int) -> np.ndarray:
    """The k directions (rows) of one method: "householder" (columns of Q_in), "global" or "per layer" SeFa."""
    if method == "householder":
        return householder_directions(G, layer)
    return sefa_global(G, k)[0] if method == "global" else sefa_layer(G, layer, k)[0]


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


# ----------------------------------------------------------------------------- fine-tuning

@keeps_global_rng
def finetune_projector(g_state: dict, d_state: dict, cfg: GConfig, k: int = 10, steps: int = 200,
                       batch: int = 16, seed: int = 0, progress: Progress = None,
                       device=None, lr: float = FINETUNE_LR, resume: dict | None = None,
                       checkpoint: Callable[[dict], None] | None = None,
                       checkpoint_every: int = 50) -> tuple[Generator, list]:
    """Attach projectors to the trained G (SVD init) and fine-tune G and D with the unchanged GAN loss.

    Returns the EMA generator and a log of (step, d_loss, g_loss). The EMA starts from the projector
    generator at its initialisation, which is not the trained model (S = I_k drops its singular values).
    Resumable: every ``checkpoint_every`` steps ``checkpoint`` receives the full training state (models,
    optimisers, both RNG states, log); passing that dict back as ``resume`` continues the same run.
    """
    device = pick_device(device)
    torch.manual_seed(seed)  # module init draws from the global RNG; @keeps_global_rng restores it
    G = attach_projectors(build_generator(cfg, g_state, device="cpu"), k).to(device)
    D = discriminator_from_state(d_state, cfg.size).to(device)
    G_ema = copy.deepcopy(G).eval()
    tc = TrainConfig(batch=batch, lr=lr, ema_kimg=0.5)  # short run: a short EMA half-life
    opt_g, opt_d = make_optimizers(G, D, tc)
    gen, log, start = seeded_generator(seed, device), [], 0
    caller_random = random.getstate()   # style mixing draws from Python's random: seeded here, restored below
    random.seed(seed)
    try:
        return _finetune_loop(G, D, G_ema, opt_g, opt_d, gen, log, start, tc, cfg, batch, steps, device, progress,
                              resume, checkpoint, checkpoint_every)
    finally:
        random.setstate(caller_random)


def _finetune_loop(G, D, G_ema, opt_g, opt_d, gen, log, start, tc, cfg, batch, steps, device, progress, resume,
                   checkpoint, checkpoint_every):
    """The fine-tune's steps (from ``start``, or from ``resume``), checkpointing as it goes."""
    if resume is not None:
        for obj, key in ((G, "g"), (D, "d"), (G_ema, "g_ema"), (opt_g, "opt_g"), (opt_d, "opt_d")):
            obj.load_state_dict(resume[key])
        gen.set_state(resume["gen_rng"])
        torch.set_rng_state(resume["torch_rng"])  # train_step draws z from the global RNG (restored on return)
        if "py_rng" in resume:
            random.setstate((resume["py_rng"][0], tuple(resume["py_rng"][1]), resume["py_rng"][2]))
        log, start = list(resume["log"]), int(resume["step"])
    for step in range(start, steps):
        factors = torch.rand(batch, len(shapes.FACTORS), generator=gen, device=device)
        factors[:, 0] = torch.randint(len(shapes.SHAPES), (batch,), generator=gen, device=device).float()
        losses = train_step(G, D, G_ema, opt_g, opt_d, shapes.render(factors, cfg.size) * 2 - 1, step, tc)
        log.append((step, float(losses["d_loss"]), float(losses["g_loss"])))
        if progress:
            progress((step + 1) / steps)
        if checkpoint and ((step + 1) % checkpoint_every == 0 or step + 1 == steps):
            # a deep copy: state dicts alias the live tensors, which the next steps keep changing
            checkpoint(copy.deepcopy({"g": G.state_dict(), "d": D.state_dict(), "g_ema": G_ema.state_dict(),
                                      "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
                                      "gen_rng": gen.get_state(), "torch_rng": torch.get_rng_state(),
                                      "py_rng": random.getstate(), "log": log,
                                      "step": step + 1, "steps": steps}))
    return G_ema.eval(), log
