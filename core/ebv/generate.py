"""Generating Equiangular Basis Vectors (Shen, Sun, Wei, CVPR 2023, Sec. 3.2; official Generate_EBV.py).

The paper's objective, written by hand because no library implements it:

    minimise  sum_{i != j} relu(|<w_i, w_j>| - alpha)   subject to |w_i| = 1,   W in R^{N x d}

solved exactly as the official script does: plain SGD (no momentum) on W, the rows re-normalised in place at the
start of every step (the "projection"), and the run stops as soon as max_{i != j} |cos| <= alpha + 1e-4. The loss is
taken on |W W^T| - I, so the diagonal contributes nothing (as in the official code's one-hot subtraction); the
official code slices the rows into blocks of 130 only to save GPU memory, which does not change the gradient. The
gradient autograd takes of that loss is written out, 2 S W with S = sign(W W^T) on the pairs above alpha: the same
SGD step (tests and bench/bench_ebv.py check it against autograd), without autograd's overhead on small matrices
(13x less CPU at N 6, d 3; 2.8x at N 100, d 32; about even at N 1000, d 100).

Two departures, both opt-in and off by default:

* ``unstall``: with few vectors in a small space (6 lines in R^3, alpha 0.46, lr 1e-2) the official update can
  collapse two rows onto one line (|cos| 0.998-1.0, measured for seeds 0, 1, 4, 5, 9) and keep them there for as long
  as it runs: the pair's own hinge gradient points along the other row, so its tangent part is only sin(angle) of
  it and the renormalisation removes the rest; as soon as the pair separates, the hinges of the other pairs switch on
  and push it back. The loss then sits at 2 (1 - alpha), that pair's hinge alone. The remedy re-draws one row of any
  pair with |cos| > 0.99 as a fresh random unit vector (a seeded draw); the ordinary update then carries on.
* ``init="qr"``: for N <= d start from an orthonormal set (QR of a Gaussian matrix), which meets alpha = 0 at once;
  the official start is normalised Gaussian rows (``init="random"``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from core.device import pick_device, seeded_generator

TOLERANCE = 1e-4            # the official stopping slack: stop when max |cos| <= alpha + 1e-4
PARALLEL = 0.99             # |cos| above this: a collapsed pair (the unstall remedy re-draws one of its rows)
MAX_N, MAX_D, MAX_STEPS = 5000, 2048, 200_000
Progress = Callable[[float], None] | None


class SettingsError(ValueError):
    """Settings that cannot run (the message is written for the page)."""


@dataclass
class Info:
    converged: bool
    max_cos: float              # max off-diagonal |cos| of the returned rows
    mean_cos: float             # mean off-diagonal |cos| of the returned rows
    steps: int                  # optimiser steps taken (0: the start already met the test)
    history: dict = field(default_factory=dict)   # per step: "max_cos", "mean_cos", "loss" (numpy arrays)
    nudges: int = 0             # rows re-drawn by the unstall remedy
    stalled: bool = False       # the run ended with an exactly parallel pair
    seconds: float = 0.0
    device: str = "cpu"

    def __getitem__(self, key):  # info["converged"] works too
        return getattr(self, key)


def welch_bound(n: int, d: int) -> float:
    """The Welch bound sqrt((N - d) / (d (N - 1))): no N unit vectors in R^d have a smaller max |cos| (0 for N <= d)."""
    n, d = int(n), int(d)
    if n <= d:
        return 0.0
    return float(np.sqrt((n - d) / (d * (n - 1))))


def check_settings(n: int, d: int, alpha: float, lr: float = 1e-3, steps: int = 1000) -> None:
    """Raise SettingsError with a readable message for settings the generator refuses."""
    if int(n) != n or not 2 <= n <= MAX_N:
        raise SettingsError(f"N must be an integer from 2 to {MAX_N} (got {n}).")
    if int(d) != d or not 2 <= d <= MAX_D:
        raise SettingsError(f"d must be an integer from 2 to {MAX_D} (got {d}).")
    if not np.isfinite(alpha) or not 0 <= alpha < 1:
        raise SettingsError(f"alpha is a bound on |cos| and must lie in [0, 1) (got {alpha}).")
    if alpha <= 0 and n > d:
        raise SettingsError(f"alpha = {alpha:g} asks for {n} mutually orthogonal vectors in R^{d}, which do not exist "
                            f"when N > d; the Welch bound says alpha >= {welch_bound(n, d):.4f}.")
    if not np.isfinite(lr) or not 0 < lr <= 10:
        raise SettingsError(f"lr must be a positive number up to 10 (got {lr}).")
    if int(steps) != steps or not 0 <= steps <= MAX_STEPS:
        raise SettingsError(f"steps must be an integer from 0 to {MAX_STEPS} (got {steps}).")


def pairwise_abs_cos(E) -> np.ndarray:
    """|cos| between every pair of rows (the diagonal set to 0), as numpy float64."""
    E = np.asarray(E, dtype=np.float64)
    E = E / np.linalg.norm(E, axis=1, keepdims=True)
    C = np.abs(E @ E.T)
    np.fill_diagonal(C, 0.0)
    return C


def _initial_rows(n, d, init, gen, device):
    X = torch.randn(n, d, generator=gen, device=device, dtype=torch.float32)
    if init == "qr":
        if n > d:
            raise SettingsError(f"init='qr' needs N <= d (got N = {n}, d = {d}).")
        Q, _ = torch.linalg.qr(X.T.double())      # (d, n), orthonormal columns
        return Q.T.float().contiguous()
    return F.normalize(X, dim=1)


def _unstall(P: torch.Tensor, A: torch.Tensor, k: int, gen) -> int:
    """Re-draw one row of every collapsed pair as a fresh random unit vector (departs from the official code).

    A is |W W^T| over all rows (the first k fixed); of a collapsed pair the later row moves, never a fixed one.
    """
    A = torch.tril(A, diagonal=-1)[k:]              # each movable row against the rows before it
    moved = torch.nonzero((A > PARALLEL).any(dim=1)).flatten().tolist()
    for r in moved:
        x = torch.randn(P.shape[1], generator=gen, device=P.device, dtype=P.dtype)
        P[r] = x / x.norm().clamp_min(1e-12)       # a restart of that row; the others keep their place
    return len(moved)


def generate(n: int, d: int, alpha: float, lr: float = 1e-3, steps: int = 20_000, seed: int = 0, device=None,
             unstall: bool = False, init: str = "random", fixed=None, progress: Progress = None):
    """The official projected SGD for N = n unit vectors in R^d with pairwise |cos| <= alpha.

    Returns (E, info): E a float32 numpy array (n, d) with unit rows (the rows at the last step), info an ``Info``
    (converged, max_cos, mean_cos, steps, history, ...). ``unstall`` and ``init="qr"`` depart from the official code
    (see the module docstring). Runs on its own seeded generator: the caller's RNG is untouched.

    ``fixed`` (k, d): rows kept exactly as given (adding classes, IJCV extension): only the n new rows move, under the
    same hinge loss against the fixed rows and each other; E is then (k + n, d), fixed rows first.
    """
    import time
    dev = pick_device(device)
    old = torch.zeros(0, d, device=dev) if fixed is None else F.normalize(torch.as_tensor(
        np.asarray(fixed, np.float32), device=dev), dim=1)
    if old.ndim != 2 or old.shape[1] != d:
        raise SettingsError(f"fixed rows must have d = {d} columns (got shape {tuple(old.shape)}).")
    k = old.shape[0]
    check_settings(n + k, d, alpha, lr, steps)
    if init not in ("random", "qr"):
        raise SettingsError(f"init must be 'random' or 'qr' (got {init!r}).")
    n, d, steps = int(n), int(d), int(steps)
    gen = seeded_generator(seed, dev)
    start = time.perf_counter()
    P = _initial_rows(n, d, init if k == 0 else "random", gen, dev)
    eye = torch.eye(n + k, device=dev, dtype=P.dtype)
    off = 1 - eye
    hist = {"max_cos": [], "mean_cos": [], "loss": []}
    converged, nudges, taken = False, 0, 0
    every = max(1, steps // 50)
    for step in range(steps + 1):
        P = F.normalize(P, dim=1)                            # the projection, at the start of every step
        W = torch.cat([old, P]) if k else P
        G = W @ W.T
        m = G.abs() - eye                                    # the official |W W^T| - one-hot
        active = m > alpha                                   # the pairs whose hinge is on
        stats = torch.stack([(m * off).max(), (m * off).abs().sum() / (off.sum()), F.relu(m - alpha).sum()])
        mx, mean, loss = stats.tolist()                      # one device -> host copy per step
        hist["max_cos"].append(mx), hist["mean_cos"].append(mean), hist["loss"].append(loss)
        if max(alpha, mx) <= alpha + TOLERANCE:              # the official stopping rule
            converged = True
            break
        if step == steps:
            break
        # d/dW sum relu(|G| - I - alpha) = 2 S W with S = sign(G) on the active pairs (what autograd gives the
        # official loss; written out because autograd's overhead dominated these small steps). Plain SGD step.
        S = torch.where(active, torch.sign(G), torch.zeros_like(G))
        P = P - lr * 2 * (S[k:] @ W)
        taken += 1
        if unstall and mx > PARALLEL:
            P = P.clone()
            nudges += _unstall(P, G.abs(), k, gen)
        if progress is not None and step % every == 0:
            progress(step / steps)
    E = torch.cat([old, P]) if k else P
    stalled = bool(hist["max_cos"][-1] > PARALLEL)
    info = Info(converged=converged, max_cos=hist["max_cos"][-1], mean_cos=hist["mean_cos"][-1], steps=taken,
                history={k: np.asarray(v) for k, v in hist.items()}, nudges=nudges, stalled=stalled,
                seconds=time.perf_counter() - start, device=str(dev))
    return E.cpu().numpy().astype(np.float32), info


def seed_survey(n: int, d: int, alpha: float, lr: float, steps: int, seeds=range(10), device=None) -> list[dict]:
    """The official update and the unstall remedy side by side, one row per seed (the page's tiny-case table)."""
    rows = []
    for seed in seeds:
        row = {"seed": int(seed)}
        for name, unstall in (("official", False), ("with remedy", True)):
            _, info = generate(n, d, alpha, lr=lr, steps=steps, seed=seed, device=device, unstall=unstall)
            row.update({f"{name} converged": info.converged, f"{name} steps": info.steps,
                        f"{name} final max |cos|": round(info.max_cos, 5)})
            if unstall:
                row["rows re-drawn"] = info.nudges
        rows.append(row)
    return rows
