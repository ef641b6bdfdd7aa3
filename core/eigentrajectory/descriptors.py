"""Trajectory descriptors: the EigenTrajectory (ET) space of Bae et al. (ICCV 2023, Sec. 3.2) and the two
curve families it is compared with in the paper's descriptor study (Bezier curves and B-splines).

Every descriptor maps a trajectory of T 2-D points, in the normalised frame (``Normaliser``), to
``n_params`` numbers and back, with one interface: ``fit(traj)``, ``encode(traj)``, ``decode(coef)``,
trajectories as arrays (num, T, 2).

* ``ETDescriptor``: stack the normalised trajectories as columns of a 2T x N matrix (x1, y1, x2, y2, ...),
  take its SVD without mean-centring (as the official code), keep the top k left singular vectors U_k.
  Coefficients C = U_k^T M, reconstruction M = U_k C. By Eckart-Young no other rank-k linear
  descriptor reconstructs the fitted set with a smaller squared error.
* ``BezierDescriptor``: n_params / 2 control points, Bernstein basis on t in [0, 1] (degree n_params/2 - 1).
* ``BSplineDescriptor``: n_params / 2 control points of a clamped, uniform B-spline (scipy).
The curves are fitted by least squares (the closed-form optimum of the squared error); the official
script fits them by 100k Adam steps on the mean distance instead.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline
from scipy.special import comb

from core.spectral import truncated_svd


# ----------------------------------------------------------------------------- normaliser

@dataclass(frozen=True)
class Normaliser:
    """Per-agent rigid frame (the official ``TrajNorm`` with origin + rotation, no scale).

    Origin: the last observed point x_T. Rotation: the heading a = atan2(x_T - x_{T-2}) is turned onto +x
    (row vectors times R = [[cos a, -sin a], [sin a, cos a]], as the official code). Both come from the
    observed part only and are applied to the whole trajectory.
    """
    origin: np.ndarray   # (n, 2)
    angle: np.ndarray    # (n,)

    @classmethod
    def from_observed(cls, obs: np.ndarray) -> "Normaliser":
        step = obs[:, -1] - obs[:, -3]
        return cls(obs[:, -1].copy(), np.arctan2(step[:, 1], step[:, 0]))

    def subset(self, index) -> "Normaliser":
        return Normaliser(self.origin[index], self.angle[index])

    def _rotation(self) -> np.ndarray:
        c, s = np.cos(self.angle), np.sin(self.angle)
        return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)   # (n, 2, 2)

    def apply(self, traj: np.ndarray) -> np.ndarray:
        """World (n, T, 2) or (n, S, T, 2) -> normalised."""
        extra = traj.ndim - 3
        origin = self.origin.reshape(len(self.origin), *([1] * (extra + 1)), 2)
        R = self._rotation().reshape(len(self.angle), *([1] * extra), 2, 2)
        return (traj - origin) @ R

    def invert(self, traj: np.ndarray) -> np.ndarray:
        """Normalised (n, T, 2) or (n, S, T, 2) -> world."""
        extra = traj.ndim - 3
        origin = self.origin.reshape(len(self.origin), *([1] * (extra + 1)), 2)
        R = self._rotation().reshape(len(self.angle), *([1] * extra), 2, 2)
        return traj @ np.swapaxes(R, -1, -2) + origin


# ----------------------------------------------------------------------------- descriptors

def _check_params(n_params: int, even: bool) -> int:
    n_params = int(n_params)
    if n_params < (2 if even else 1) or (even and n_params % 2):
        raise ValueError(f"n_params must be {'an even number >= 2' if even else '>= 1'}, got {n_params}")
    return n_params


class ETDescriptor:
    """EigenTrajectory space: the top-k left singular vectors of the normalised training trajectories."""

    def __init__(self, n_params: int):
        self.n_params = self.k = _check_params(n_params, even=False)

    def fit(self, traj: np.ndarray) -> "ETDescriptor":
        n, T, _ = traj.shape
        M = traj.reshape(n, 2 * T).T                      # 2T x N, one trajectory per column
        full = min(M.shape)
        if self.k > full:
            raise ValueError(f"k = {self.k} exceeds the rank bound min(2T, N) = {full}")
        U, s, _ = truncated_svd(M, full)                  # keep the whole spectrum for the energy curve
        self.T, self.U, self.singular_values = T, U, s
        self.basis = U[:, :self.k]                        # U_k: the eigen-trajectories
        return self

    def truncated(self, k: int) -> "ETDescriptor":
        """The same fitted SVD cut at another k (no refit: U_k is the first k columns of U)."""
        other = ETDescriptor(k)
        if k > len(self.singular_values):
            raise ValueError(f"k = {k} exceeds the {len(self.singular_values)} singular vectors")
        other.T, other.U, other.singular_values, other.basis = self.T, self.U, self.singular_values, self.U[:, :k]
        return other

    def encode(self, traj: np.ndarray) -> np.ndarray:
        return traj.reshape(len(traj), -1) @ self.basis   # C^T = M^T U_k

    def decode(self, coef: np.ndarray) -> np.ndarray:
        return (coef @ self.basis.T).reshape(*coef.shape[:-1], self.T, 2)

    @property
    def eigen_trajectories(self) -> np.ndarray:
        """(k, T, 2): each column of U_k read back as a trajectory (the paper's Fig. 3)."""
        return self.basis.T.reshape(self.k, self.T, 2)

    @property
    def energy(self) -> np.ndarray:
        """Cumulative share of sum(s^2) kept by the first 1, 2, ... singular vectors."""
        power = self.singular_values ** 2
        return np.cumsum(power) / power.sum()

    def truncation_error(self) -> float:
        """Sum of squared singular values left out: the fitted set's squared reconstruction error."""
        return float((self.singular_values[self.k:] ** 2).sum())


class _CurveDescriptor:
    """Least-squares control points on a fixed basis (T x m); n_params = 2 m (x and y per control point)."""

    def __init__(self, n_params: int):
        self.n_params = _check_params(n_params, even=True)
        self.n_control = self.n_params // 2
        self.T = None

    def basis_matrix(self, T: int) -> np.ndarray:
        raise NotImplementedError

    def fit(self, traj: np.ndarray) -> "_CurveDescriptor":
        """The basis depends only on T; nothing is learnt from the data."""
        self.T = traj.shape[1]
        self.basis = self.basis_matrix(self.T)
        if self.n_control > self.T:
            raise ValueError(f"{self.n_control} control points for {self.T} points: underdetermined")
        self._pinv = np.linalg.pinv(self.basis)           # least squares, the same for every trajectory
        return self

    def encode(self, traj: np.ndarray) -> np.ndarray:
        control = self._pinv @ traj                        # (n, m, 2)
        return control.reshape(len(traj), self.n_params)

    def decode(self, coef: np.ndarray) -> np.ndarray:
        return self.basis @ coef.reshape(*coef.shape[:-1], self.n_control, 2)


class BezierDescriptor(_CurveDescriptor):
    """Bezier curve of degree n_params / 2 - 1 (Bernstein basis, t in [0, 1] over the T points)."""

    def basis_matrix(self, T: int) -> np.ndarray:
        t, n = np.linspace(0, 1, T)[:, None], self.n_control - 1
        i = np.arange(n + 1)[None]
        return comb(n, i) * t ** i * (1 - t) ** (n - i)


class BSplineDescriptor(_CurveDescriptor):
    """Clamped uniform B-spline with n_params / 2 control points, cubic (or lower when too few points)."""

    def __init__(self, n_params: int, degree: int = 3):
        super().__init__(n_params)
        self.degree = min(degree, self.n_control - 1)

    def basis_matrix(self, T: int) -> np.ndarray:
        d, m = self.degree, self.n_control
        inner = np.linspace(0, 1, m - d + 1)[1:-1]
        knots = np.r_[np.zeros(d + 1), inner, np.ones(d + 1)]
        return BSpline.design_matrix(np.linspace(0, 1, T), knots, d).toarray()


DESCRIPTORS = {"ET": ETDescriptor, "Bezier": BezierDescriptor, "B-spline": BSplineDescriptor}


# ----------------------------------------------------------------------------- reconstruction study

def reconstruction_error(descriptor, traj: np.ndarray) -> dict:
    """ADE (mean point distance), FDE (last point) and mean squared error of encode -> decode."""
    diff = descriptor.decode(descriptor.encode(traj)) - traj
    dist = np.sqrt((diff ** 2).sum(-1))
    return {"ADE": float(dist.mean()), "FDE": float(dist[:, -1].mean()), "MSE": float((diff ** 2).sum(-1).mean())}


def descriptor_study(train: np.ndarray, test: np.ndarray, params=range(2, 13)) -> pd.DataFrame:
    """The paper's comparison: error against parameter count for ET, Bezier and B-spline on ``test``.

    ``train``/``test`` are normalised trajectories (n, T, 2) (history or future separately). ET is fitted on
    ``train``; the curves need no fitting. B-splines take the best of degrees 1-3 at each parameter count
    (as the paper's sweep over degrees does).
    """
    rows = []
    full = ETDescriptor(max(params)).fit(train)            # one SVD serves every k
    for p in params:
        rows.append({"method": "ET", "n_params": p, **reconstruction_error(full.truncated(p), test)})
        if p % 2 or p < 4:
            continue   # curves need an even count; 2 numbers = a single point
        rows.append({"method": "Bezier", "n_params": p, **reconstruction_error(BezierDescriptor(p).fit(test), test)})
        splines = [reconstruction_error(BSplineDescriptor(p, d).fit(test), test) for d in (1, 2, 3) if d < p // 2]
        rows.append({"method": "B-spline", "n_params": p, **min(splines, key=lambda r: r["ADE"])})
    return pd.DataFrame(rows)
