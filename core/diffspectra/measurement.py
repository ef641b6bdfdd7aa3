"""The "measurement" model: what separates a query spectrum from the library's clean simulation.

A query never equals the library spectrum of its molecule (that closed-world set-up is ~98 % top-1 and
proves nothing). It is simulated on a *different conformer* and then distorted the way a real
measurement differs from a harmonic calculation: a global frequency scale error (anharmonicity,
level of theory), a line width, per-peak intensity jitter (log-normal) and additive noise.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .simulator import GRID, broaden, simulate_peaks


@dataclass(frozen=True)
class Measurement:
    scale_error: float = 0.01         # std of the global frequency scale factor, N(1, scale_error)
    width_min: float = 10.0           # Lorentzian half width drawn from U(width_min, width_max), cm-1
    width_max: float = 25.0
    jitter: float = 0.3               # sigma of the log-normal per-peak intensity factor
    noise: float = 0.01               # std of additive Gaussian noise on the (linear, max 1) spectrum
    conformer_seed: int = 1           # ETKDG seed of the query conformer (the library uses 0)

    def as_dict(self) -> dict:
        return asdict(self)


CLEAN = Measurement(0.0, 15.0, 15.0, 0.0, 0.0, 0)     # the library's own spectrum (for comparison only)


def distort(freqs, intensities, m: Measurement, rng: np.random.Generator) -> np.ndarray:
    """One measured spectrum on GRID from a stick spectrum."""
    scale = 1.0 + m.scale_error * rng.standard_normal()
    width = rng.uniform(m.width_min, max(m.width_min, m.width_max))
    factors = np.exp(m.jitter * rng.standard_normal(len(intensities)))
    spectrum = broaden(np.asarray(freqs) * scale, np.asarray(intensities) * factors, width)
    spectrum = spectrum + m.noise * rng.standard_normal(GRID.size)
    return np.clip(spectrum, 0.0, None)


def query_spectrum(smiles: str, m: Measurement = Measurement(), seed: int = 0, peaks=None) -> np.ndarray:
    """The measured spectrum of ``smiles`` (peaks of conformer ``m.conformer_seed`` unless given)."""
    freqs, intensities = peaks if peaks is not None else simulate_peaks(smiles, m.conformer_seed)
    return distort(freqs, intensities, m, np.random.default_rng(seed))


def distort_batch(freqs, intensities, mask, m: Measurement, gen=None):
    """Torch version of ``distort`` for training batches, returning *features* (sqrt, max 1).

    freqs, intensities, mask: (B, P) padded stick spectra. Every row draws its own scale, width,
    jitter and noise, so each epoch sees new "measurements" of the training molecules.
    """
    import torch

    b, p = freqs.shape
    grid = torch.as_tensor(GRID, dtype=torch.float32, device=freqs.device)
    scale = 1 + m.scale_error * torch.randn(b, 1, generator=gen, device=freqs.device)
    width = m.width_min + (m.width_max - m.width_min) * torch.rand(b, 1, 1, generator=gen, device=freqs.device)
    factors = torch.exp(m.jitter * torch.randn(b, p, generator=gen, device=freqs.device))
    shape = width ** 2 / ((grid[None, :, None] - (freqs * scale)[:, None, :]) ** 2 + width ** 2)
    spectrum = (shape * (intensities * factors * mask)[:, None, :]).sum(-1)
    spectrum = spectrum / spectrum.amax(-1, keepdim=True).clamp(min=1e-12)
    spectrum = (spectrum + m.noise * torch.randn(b, grid.numel(), generator=gen, device=freqs.device)).clamp(min=0)
    return (spectrum / spectrum.amax(-1, keepdim=True).clamp(min=1e-12)).sqrt()
