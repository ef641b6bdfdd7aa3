"""Pretraining = RKHS approximation: a tiny encoder trained with the spectral contrastive loss.

Zhai et al. (ICLR 2024), Sec. 3: contrastive and non-contrastive objectives learn the top-d eigenspace
of Gamma* Gamma. The loss is HaoChen et al.'s (2021) spectral contrastive loss on augmentation pairs,

    L(f) = -2 E_{(a, a+)}[f(a)^T f(a+)] + E_{a, a'}[(f(a)^T f(a'))^2],

with (a, a+) two masked views of one x and (a, a') views of independent x (the other pairs of the
batch). Its minimisers span the top-d left singular functions of Gamma; mapped back to the data by
Gamma* ((Gamma* f)(x) = E[f(A) | X = x]) they span the top-d eigenfunctions of Gamma* Gamma, here the
Walsh characters of lowest degree. We measure that convergence with principal angles
(scipy.linalg.subspace_angles) and with the Ky-Fan trace Tr(Phi^T Gamma* Gamma Phi) of the
L2(P_X)-orthonormalised features, which the top-d eigenspace maximises (sum of the top d eigenvalues).

The encoder reads an augmentation as v in {-1, 0, +1}^m (kept bit b -> 2b - 1, mask -> 0): a 2-layer
MLP, written here because the loss is the paper's idea; torch does the rest.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import torch

from core.device import keeps_global_rng, pick_device, seeded_generator
from core.rkhs.augmentation import MASK, conditional
from core.rkhs.hypercube import MAX_GRAPH_M, SettingsError, check_settings, subsets, walsh
from core.rkhs.kernel import masking_kernel

MAX_STEPS = 5000
DEFAULT_STEPS = 400   # m = 6, alpha = 0.5: below 5 degrees after 200-260 steps (seeds 0-2)


def spectral_contrastive_loss(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """HaoChen et al.'s loss on a batch of positive pairs (z1[i], z2[i]); negatives are z1[i], z2[j], i != j."""
    paired = (z1 * z2).sum(1)
    batch = len(z1)
    # the off-diagonal mean of (z1 z2^T)^2 without boolean indexing (3x slower forward and backward)
    negative = ((z1 @ z2.T).pow(2).sum() - paired.pow(2).sum()) / (batch * (batch - 1))
    return -2.0 * paired.mean() + negative


def encode_codes(codes: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Augmentation codes {0, 1, MASK} -> inputs {-1, +1, 0}."""
    codes = torch.as_tensor(codes)
    return torch.where(codes == MASK, 0.0, 2.0 * codes.double() - 1.0).float()


def sample_views(batch: int, m: int, alpha: float, gen: torch.Generator, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Two independent masked views of each of ``batch`` uniform x, as encoder inputs."""
    signs = 2.0 * torch.randint(0, 2, (batch, m), generator=gen, device=device).float() - 1.0
    keep1 = torch.rand((batch, m), generator=gen, device=device) >= alpha
    keep2 = torch.rand((batch, m), generator=gen, device=device) >= alpha
    return signs * keep1, signs * keep2


@dataclass
class EncoderRun:
    m: int
    alpha: float
    d: int
    steps: list[int] = field(default_factory=list)
    max_angle: list[float] = field(default_factory=list)    # largest principal angle, degrees
    mean_angle: list[float] = field(default_factory=list)
    ky_fan: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)     # seconds since the start, at each evaluation
    optimal_ky_fan: float = 0.0
    random_ky_fan: float = 0.0         # expected for a random d-dim subspace: d kappa^2 / 2^m
    features: np.ndarray | None = None  # (2^m, d) Gamma* f at the end: the probe's encoder
    device: str = "cpu"
    seconds: float = 0.0

    def steps_to(self, degrees: float = 5.0) -> int | None:
        """First evaluated step at which every principal angle is below ``degrees`` (None: never)."""
        return next((s for s, a in zip(self.steps, self.max_angle) if a < degrees), None)

    def seconds_to(self, degrees: float = 5.0) -> float | None:
        """Wall-clock seconds (training and evaluations) until every angle is below ``degrees``."""
        return next((t for t, a in zip(self.elapsed, self.max_angle) if a < degrees), None)


def _orthonormal(F: np.ndarray) -> np.ndarray:
    """Euclidean-orthonormal basis of span(F) (for uniform P_X: L2-orthonormal up to sqrt(2^m))."""
    q, r = np.linalg.qr(F)
    return q[:, np.abs(np.diag(r)) > 1e-10 * max(np.abs(np.diag(r)).max(), 1e-300)]


def ky_fan(F: np.ndarray, K: np.ndarray) -> float:
    """Tr(Phi^T Gamma* Gamma Phi) for Phi the L2(P_X)-orthonormalised span(F): Tr(Q^T K Q) / 2^m."""
    Q = _orthonormal(F)
    return float(np.trace(Q.T @ K @ Q) / len(K))


def subspace_angles_deg(F: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Principal angles between span(F) and span(G), degrees, largest first."""
    return np.degrees(scipy.linalg.subspace_angles(F, G))


def random_subspace_ky_fan(m: int, alpha: float, d: int, t: float, seed: int = 0) -> float:
    """Ky-Fan trace of span(cos(t) W + sin(t) R): W the top-d Walsh space, R a random d-dim one.

    t = 0 is the optimal encoder, t = pi/2 a random one; the page's slider between the two.
    """
    m, alpha = check_settings(m, alpha)
    W = walsh(m, subsets(m)[:d])
    R = np.random.default_rng(seed).standard_normal(W.shape)
    return ky_fan(np.cos(t) * W / np.linalg.norm(W, axis=0) + np.sin(t) * R / np.linalg.norm(R, axis=0),
                  masking_kernel(m, alpha))


@keeps_global_rng
def train_encoder(m: int = 6, alpha: float = 0.5, degree: int = 1, steps: int = DEFAULT_STEPS, batch: int = 128,
                  width: int = 64, lr: float = 5e-3, eval_every: int = 20, seed: int = 0, device=None,
                  progress=None) -> EncoderRun:
    """Train f: augmentation -> R^d, d = #Walsh terms of degree <= ``degree``; track its span's convergence."""
    m, alpha = check_settings(m, alpha, max_m=MAX_GRAPH_M)
    if int(steps) != steps or not 1 <= steps <= MAX_STEPS:
        raise SettingsError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {steps!r}")
    if not 0 <= degree < m:
        raise SettingsError(f"the encoder's degree must be from 0 to m - 1 = {m - 1}, got {degree!r}")
    start = time.perf_counter()
    device = pick_device(device)
    torch.manual_seed(seed)                          # module init; the caller's RNG is restored on return
    gen = seeded_generator(seed, device)
    top = walsh(m, subsets(m, degree))
    d = top.shape[1]
    model = torch.nn.Sequential(torch.nn.Linear(m, width), torch.nn.ReLU(), torch.nn.Linear(width, width),
                                torch.nn.ReLU(), torch.nn.Linear(width, d)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    # cosine decay to 0: at a constant rate the sampled pairs' noise leaves the span wobbling ~5 degrees
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    P, codes = conditional(m, alpha)                 # (2^m, 3^m): Gamma* as a matrix
    inputs = encode_codes(codes).to(device)
    K = masking_kernel(m, alpha)
    lam = np.sort(np.linalg.eigvalsh(K))[::-1] / 2 ** m
    run = EncoderRun(m, alpha, d, optimal_ky_fan=float(lam[:d].sum()), random_ky_fan=d * float(np.trace(K)) / 4 ** m,
                     device=str(device))

    def evaluate(step: int, loss: float) -> None:
        with torch.no_grad():
            F = P @ model(inputs).double().cpu().numpy()          # Gamma* f on every x
        angles = subspace_angles_deg(F, top)
        run.steps.append(step)
        run.max_angle.append(float(angles.max()))
        run.mean_angle.append(float(angles.mean()))
        run.ky_fan.append(ky_fan(F, K))
        run.loss.append(loss)
        run.elapsed.append(time.perf_counter() - start)
        run.features = F

    evaluate(0, float("nan"))
    for step in range(1, steps + 1):
        v1, v2 = sample_views(batch, m, alpha, gen, device)
        loss = spectral_contrastive_loss(model(v1), model(v2))
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        if step % eval_every == 0 or step == steps:
            evaluate(step, float(loss.detach()))
            if progress is not None:
                progress(step / steps)
    run.seconds = time.perf_counter() - start
    return run
