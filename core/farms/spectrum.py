"""Eigenspectra of weight matrices: the full ESD and FARMS' pooled window ESD, with the MP reference.

Hu, Goel, Killiakov, Yang, "Eigenspectrum Analysis of Neural Networks without Aspect Ratio Bias"
(FARMS, ICML 2025, arXiv 2506.06280), Sec. 3: instead of the ESD of the whole N x M matrix W (whose shape
depends on Q = N/M through the Marchenko-Pastur law), FARMS samples an ops x ops grid of overlapping
windows of ONE fixed aspect ratio and pools all their eigenvalues into a single "average ESD".

* ``esd(W)``: ascending eigenvalues of W^T W (squared singular values, no 1/N normalisation), as in the
  official ``torch.square(torch.linalg.svdvals(W))``.
* ``window_grid(shape, rows, q, ops)``: the window corners of the official ``fixed_sampling`` (written by
  hand: this index rule is the paper's own idea), with the two edge cases made explicit (see there).
* ``farms_esd(W, rows, q, ops)``: the pooled, sorted eigenvalues of those windows (one batched svdvals).
* ``mp_density(x, n, m, sigma2)``: the Marchenko-Pastur density of the nonzero eigenvalues of X^T X
  for an n x m matrix X with i.i.d. entries of variance sigma2 (the "pure noise" ESD).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.device import pick_device

DTYPE = torch.float64  # the official code uses float32; float64 keeps the smallest eigenvalues exact


def _as_tensor(W, device=None) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(W) if not isinstance(W, torch.Tensor) else W)
    if t.ndim != 2:
        raise ValueError(f"a weight matrix must be 2-D, got shape {tuple(t.shape)}")
    return t.detach().to(device=pick_device(device), dtype=DTYPE)


def esd(W, device=None) -> np.ndarray:
    """Ascending eigenvalues of W^T W: the min(N, M) squared singular values of W (unnormalised)."""
    s = torch.linalg.svdvals(_as_tensor(W, device))
    return np.sort(s.square().cpu().numpy())


@dataclass(frozen=True)
class Grid:
    """Where the windows lie: corners (row, col) of ``rows x cols`` windows."""
    rows: int
    cols: int
    corners: tuple[tuple[int, int], ...]
    row_step: int
    col_step: int


def window_grid(shape, rows: int | None = None, q: float = 1.0, ops: int = 10) -> Grid:
    """The official ``fixed_sampling`` grid: up to ops x ops overlapping windows of rows x int(rows*q).

    Official rule (LLM_Pruning/lib/sampling.py), for an N x M matrix and window nr x nc:
        row_step = max(1, (N - nr) // (ops - 1));   n_row = min(ops, max(1, (N - nr) // row_step + 1))
        start_i  = min(i * row_step, N - nr)         (the same for columns with nc, M)
    and the LLM copy clamps nr = min(nr, N, M) first. Two edge cases are made explicit here:
    * a matrix smaller than the window: nr is clamped so that the window fits in BOTH directions
      (nr <= N and int(nr*q) <= M). For q = 1 this is exactly the official clamp; for q != 1 the official
      code would start a window at a negative index and Python slicing would cut a smaller, differently
      shaped window silently.
    * ops = 1: the official code divides by ops - 1 = 0. One window at the corner (0, 0) is what its
      formula gives for any step, so the step is taken as 1.
    """
    N, M = int(shape[0]), int(shape[1])
    if ops < 1 or q <= 0:
        raise ValueError("ops must be >= 1 and q > 0")
    nr = min(N, M) if rows is None else int(rows)
    nr = max(1, min(nr, N, M, int(M / q)))
    nc = max(1, min(M, int(nr * q)))
    row_step = max(1, (N - nr) // (ops - 1)) if ops > 1 else 1
    col_step = max(1, (M - nc) // (ops - 1)) if ops > 1 else 1
    n_row = min(ops, max(1, (N - nr) // row_step + 1))
    n_col = min(ops, max(1, (M - nc) // col_step + 1))
    corners = tuple((min(i * row_step, N - nr), min(j * col_step, M - nc))
                    for i in range(n_row) for j in range(n_col))
    return Grid(nr, nc, corners, row_step, col_step)


def windows(W, grid: Grid, device=None) -> torch.Tensor:
    """The grid's windows stacked: (n_windows, rows, cols)."""
    t = _as_tensor(W, device)
    return torch.stack([t[r:r + grid.rows, c:c + grid.cols] for r, c in grid.corners])


def farms_esd(W, rows: int | None = None, q: float = 1.0, ops: int = 10, device=None) -> np.ndarray:
    """FARMS' "average ESD": every window's eigenvalues of sub^T sub, pooled and sorted ascending.

    One fit is then made on this pooled sample (it is not an average of per-window alphas).
    """
    grid = window_grid(np.shape(W), rows, q, ops)
    s = torch.linalg.svdvals(windows(W, grid, device))  # batched: all windows share one shape
    return np.sort(s.square().reshape(-1).cpu().numpy())


def mp_edges(n: int, m: int, sigma2: float) -> tuple[float, float]:
    """Support of the nonzero eigenvalues of X^T X, X n x m with entry variance sigma2."""
    return sigma2 * (np.sqrt(n) - np.sqrt(m)) ** 2, sigma2 * (np.sqrt(n) + np.sqrt(m)) ** 2


def mp_density(x, n: int, m: int, sigma2: float) -> np.ndarray:
    """Marchenko-Pastur density of the min(n, m) nonzero eigenvalues of X^T X (integrates to 1).

    With p = min(n, m), P = max(n, m), c = p / P: the eigenvalues of X^T X / P follow
    sqrt((b - y)(y - a)) / (2 pi sigma2 c y) on [a, b] = sigma2 (1 -+ sqrt c)^2; here y = x / P.
    """
    p, P = min(n, m), max(n, m)
    c = p / P
    y = np.asarray(x, dtype=float) / P
    a, b = sigma2 * (1 - np.sqrt(c)) ** 2, sigma2 * (1 + np.sqrt(c)) ** 2
    inside = (y > a) & (y < b) & (y > 0)
    dens = np.zeros_like(y)
    dens[inside] = np.sqrt((b - y[inside]) * (y[inside] - a)) / (2 * np.pi * sigma2 * c * y[inside])
    return dens / P
