"""Retrieval baselines the paper argues against: spectral library search and a contrastive retriever.

* Library search: cosine similarity of the query's features to every library spectrum (conformer 0,
  clean), optionally restricted to one formula (as a mass spectrum would give). It can only ever
  return a molecule that is in its library.
* Contrastive retriever (CLIP-style, as MolSpectra aligns spectra with structures): a spectrum MLP and
  a Morgan-fingerprint MLP trained with InfoNCE on the training split; at query time it ranks
  *structures* (no spectrum of the candidate is needed), here every structure of the universe.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from core import assets

from .chem import ASSETS, fingerprint_matrix, universe
from .simulator import GRID, broaden, features

PEAKS = ASSETS / "peaks.npz"


# ----------------------------------------------------------------------------- stored stick spectra

@lru_cache(maxsize=1)
def _peak_arrays() -> dict:
    with np.load(PEAKS) as data:
        return {k: data[k] for k in data.files}


def peaks(index: int, conformer: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Stored stick spectrum (float16 -> float64) of universe row ``index``, conformer 0 or 1."""
    arrays = _peak_arrays()
    lo, hi = arrays[f"offsets{conformer}"][index:index + 2]
    return arrays[f"freq{conformer}"][lo:hi].astype(float), arrays[f"int{conformer}"][lo:hi].astype(float)


def padded_peaks(indices, conformer: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(freqs, intensities, mask) padded to the longest stick spectrum, for batched torch code."""
    sticks = [peaks(i, conformer) for i in indices]
    width = max(len(f) for f, _ in sticks)
    freqs, ints, mask = (np.zeros((len(sticks), width), np.float32) for _ in range(3))
    for row, (f, a) in enumerate(sticks):
        freqs[row, :len(f)], ints[row, :len(f)], mask[row, :len(f)] = f, a, 1.0
    return freqs, ints, mask


@lru_cache(maxsize=1)
def library_matrix() -> np.ndarray:
    """(M, 351) unit-norm features of every universe molecule's clean conformer-0 spectrum."""
    rows = np.array([features(broaden(*peaks(i, 0))) for i in range(len(universe()))])
    return rows / np.linalg.norm(rows, axis=1, keepdims=True).clip(1e-12)


def as_features(spectrum) -> np.ndarray:
    """Accept a spectrum on GRID (linear) or a (wavenumbers, intensities) pair; return features."""
    if isinstance(spectrum, tuple):
        wavenumbers, intensities = (np.asarray(a, float) for a in spectrum)
        spectrum = np.interp(GRID, wavenumbers, intensities, left=0.0, right=0.0)
    spectrum = np.asarray(spectrum, float)
    if spectrum.shape != GRID.shape:
        raise ValueError(f"a spectrum needs {GRID.size} points on the {GRID[0]:.0f}-{GRID[-1]:.0f} cm-1 grid")
    return features(spectrum)


def candidate_rows(formula: str | None = None, split: str | None = None) -> np.ndarray:
    """Universe rows allowed as answers: all, or one formula, or one split (e.g. 'train')."""
    table = universe()
    keep = np.ones(len(table), bool)
    if formula:
        keep &= (table["formula"] == formula).to_numpy()
    if split:
        keep &= (table["split"] == split).to_numpy()
    return np.flatnonzero(keep)


def library_ranked(spectrum, k: int = 10, formula: str | None = None, split: str | None = None):
    """[(smiles, cosine)] of the k library spectra closest to the query, best first."""
    query = as_features(spectrum)
    query = query / max(np.linalg.norm(query), 1e-12)
    rows = candidate_rows(formula, split)
    scores = library_matrix()[rows] @ query
    best = np.argsort(-scores)[:k]
    smiles = universe()["smiles"].to_numpy()
    return [(smiles[rows[i]], float(scores[i])) for i in best]


def library_search(spectrum, k: int = 10, formula: str | None = None) -> list[str]:
    """The core API: SMILES of the k best library matches (cosine), optionally formula-filtered."""
    return [s for s, _ in library_ranked(spectrum, k, formula)]


# ----------------------------------------------------------------------------- contrastive retriever

class Retriever(nn.Module):
    """Two towers into one 128-d space: spectrum features and Morgan fingerprints (1024 bits)."""

    def __init__(self, n_bins: int = GRID.size, n_bits: int = 1024, hidden: int = 128, dim: int = 128):
        super().__init__()
        self.spectrum = nn.Sequential(nn.Linear(n_bins, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                      nn.Linear(hidden, dim))
        self.structure = nn.Sequential(nn.Linear(n_bits, hidden), nn.GELU(), nn.Linear(hidden, dim))
        self.log_scale = nn.Parameter(torch.tensor(np.log(1 / 0.07), dtype=torch.float32))

    def embed_spectra(self, x):
        return F.normalize(self.spectrum(x), dim=-1)

    def embed_structures(self, fp):
        return F.normalize(self.structure(fp), dim=-1)

    def loss(self, x, fp):
        """Symmetric InfoNCE: each spectrum should pick its own structure in the batch, and back."""
        logits = self.log_scale.exp() * self.embed_spectra(x) @ self.embed_structures(fp).T
        target = torch.arange(len(x), device=x.device)
        return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


@lru_cache(maxsize=1)
def structure_fingerprints() -> np.ndarray:
    return fingerprint_matrix(universe()["smiles"].tolist())


@lru_cache(maxsize=1)
def load_retriever() -> tuple[Retriever, torch.Tensor]:
    """The committed retriever and the embeddings of every universe structure (CPU, eval mode)."""
    model = Retriever()
    state = assets.weights("diffspectra", "retriever.pt")
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model.eval()
    with torch.no_grad():
        bank = model.embed_structures(torch.from_numpy(structure_fingerprints()))
    return model, bank


def retriever_ranked(spectrum, k: int = 10, formula: str | None = None, split: str | None = None):
    """[(smiles, cosine in the shared space)] of the k structures nearest to the query spectrum."""
    model, bank = load_retriever()
    with torch.no_grad():
        query = model.embed_spectra(torch.as_tensor(as_features(spectrum), dtype=torch.float32)[None])[0]
    rows = candidate_rows(formula, split)
    scores = (bank[rows] @ query).numpy()
    best = np.argsort(-scores)[:k]
    smiles = universe()["smiles"].to_numpy()
    return [(smiles[rows[i]], float(scores[i])) for i in best]


# ----------------------------------------------------------------------------- uploaded spectra

MAX_UPLOAD_BYTES = 1_000_000


def read_spectrum_csv(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(wavenumbers, intensities) from the first two columns of a CSV (header optional); ValueError if unusable."""
    import io

    import pandas as pd

    if not raw or not raw.strip():
        raise ValueError("the file is empty")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValueError(f"the file is {len(raw) / 1e6:.1f} MB; at most {MAX_UPLOAD_BYTES / 1e6:.0f} MB")
    try:
        table = pd.read_csv(io.BytesIO(raw), header=None, sep=None, engine="python")
    except Exception as exc:              # pandas raises several parser errors
        raise ValueError(f"not a readable CSV ({exc.__class__.__name__})") from None
    table = table.apply(pd.to_numeric, errors="coerce").dropna(how="all")
    if table.empty:
        raise ValueError("no numeric rows: expected two columns, wavenumber (cm-1) and intensity")
    if table.shape[1] < 2:
        raise ValueError(f"expected two columns (wavenumber, intensity), found {table.shape[1]}")
    table = table.iloc[:, :2].dropna()        # extra columns (e.g. the page's own CSV) are ignored
    if len(table) < 20:
        raise ValueError(f"only {len(table)} numeric rows; give at least 20 points of the spectrum")
    wavenumbers, intensities = table.iloc[:, 0].to_numpy(float), table.iloc[:, 1].to_numpy(float)
    if not (np.all(np.isfinite(wavenumbers)) and np.all(np.isfinite(intensities))):
        raise ValueError("the spectrum contains NaN or infinite values")
    order = np.argsort(wavenumbers)
    wavenumbers, intensities = wavenumbers[order], intensities[order]
    inside = (wavenumbers >= GRID[0]) & (wavenumbers <= GRID[-1])
    if inside.sum() < 20:
        raise ValueError(f"fewer than 20 points between {GRID[0]:.0f} and {GRID[-1]:.0f} cm-1 (is the first "
                         "column the wavenumber in cm-1?)")
    if intensities.max() <= 0:
        raise ValueError("the intensities are all zero or negative")
    return wavenumbers, intensities
