"""Downstream targets on {0,1}^m: Walsh polynomials with a chosen mix of low- and high-degree terms.

Zhai et al. (ICLR 2024), Assumption 1 (isometry): the target is f* = Gamma* g* with g* nearly invariant
to augmentation, <g*, (I - Gamma Gamma*) g*> <= eps |g*|^2. On the masking hypercube Gamma's singular
pairs are (sqrt(lambda_S), chi_S) with lambda_S = (1 - alpha)^|S|, so for f* = sum_S u_S chi_S the
minimum-norm g* has |g*|^2 = sum_S u_S^2 / lambda_S (the RKHS norm |f*|^2_H) and

    eps = sum_S u_S^2 (1 - lambda_S) / lambda_S  /  sum_S u_S^2 / lambda_S,

all computable exactly (the reviewers' "hard to verify" assumption, verified on a toy).
The default target is the reference notes' f* = linear + 0.5 chi_{01} + 0.2 chi_S (|S| = 4); the
linear part's coefficients are this page's choice: (-1)^j * 0.75 / sqrt(m), variance 0.5625.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.rkhs.hypercube import SettingsError, check_settings, walsh


@dataclass(frozen=True)
class Target:
    """f* = linear * sum_j (-1)^j chi_{j} / sqrt(m) + pair * chi_{01} + high * chi_{last k bits}."""
    linear: float = 0.75
    pair: float = 0.5
    high: float = 0.2
    high_degree: int = 4

    def coefficients(self, m: int) -> dict[tuple[int, ...], float]:
        """{S: u_S}: the Walsh coefficients (orthonormal basis, so Var f* = sum u_S^2)."""
        m, _ = check_settings(m)
        if not 3 <= self.high_degree <= m:
            raise SettingsError(f"the high-degree term needs 3 <= degree <= m = {m}, got {self.high_degree}")
        coef: dict[tuple[int, ...], float] = {}
        for j in range(m):
            coef[(j,)] = (-1) ** j * self.linear / np.sqrt(m)
        coef[(0, 1)] = self.pair
        coef[tuple(range(m - self.high_degree, m))] = self.high
        return {S: u for S, u in coef.items() if u != 0.0}

    def values(self, m: int) -> np.ndarray:
        """f*(x) for all 2^m x."""
        coef = self.coefficients(m)
        if not coef:
            return np.zeros(2 ** m)
        return walsh(m, list(coef)) @ np.array(list(coef.values()))

    def variance(self, m: int) -> float:
        return float(sum(u * u for u in self.coefficients(m).values()))


DEFAULT_TARGET = Target()


def degree_energy(target: Target, m: int) -> dict[int, float]:
    """sum of u_S^2 per degree |S|: where the target's variance lives on the staircase."""
    out: dict[int, float] = {}
    for S, u in target.coefficients(m).items():
        out[len(S)] = out.get(len(S), 0.0) + u * u
    return out


def isometry(target: Target, m: int, alpha: float) -> tuple[float, float]:
    """(eps, |g*|^2) of Assumption 1 for the minimum-norm g* with Gamma* g* = f*."""
    m, alpha = check_settings(m, alpha)
    energy = degree_energy(target, m)
    lam = {s: (1 - alpha) ** s for s in energy}
    norm_g = sum(e / lam[s] for s, e in energy.items())
    leak = sum(e * (1 - lam[s]) / lam[s] for s, e in energy.items())
    return (leak / norm_g if norm_g else 0.0), norm_g
