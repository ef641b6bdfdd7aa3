"""Spectrum -> molecular formula: the proposals the generator runs on when no formula is given.

DiffSpectra's sampler is always told the test molecule's atom count (paper, Sec. 4; the notes'
"n_nodes = mol.num_atom"). Without a formula, this page does not guess blindly: a small classifier
reads the spectrum and proposes the most probable formulas among those of the training split (a
mass spectrum would give the formula; an IR spectrum only hints at it through its bands, e.g. O-H,
C=O, C#N, and the C-H stretch intensity). The generator then samples structures for each proposed
formula in proportion to its probability, and the simulator re-ranks all of them together.
A formula that never occurs in the training split cannot be proposed (about 6 % of held-out molecules).
This module is the project's own addition; trained by scripts/train_diffspectra.py with the generator.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .simulator import GRID


class FormulaHead(nn.Module):
    """MLP classifier: spectrum features (bins) -> logits over a fixed formula vocabulary."""

    def __init__(self, n_formulas: int, n_bins: int = GRID.size, hidden: int = 256):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_bins, hidden), nn.GELU(), nn.Dropout(0.1), nn.Linear(hidden, hidden),
                                 nn.GELU(), nn.Linear(hidden, n_formulas))

    def forward(self, spectrum: torch.Tensor) -> torch.Tensor:
        return self.net(spectrum)


def allocate(probs: np.ndarray, n_samples: int, top: int = 4) -> list[tuple[int, int]]:
    """Split ``n_samples`` among the ``top`` most probable formulas, in proportion to their probability
    (largest remainders; every kept formula gets at least one sample). Returns [(formula index, count)]."""
    order = np.argsort(-probs)[:max(1, min(top, n_samples))]
    share = probs[order] / probs[order].sum() * n_samples
    counts = np.maximum(1, np.floor(share).astype(int))
    while counts.sum() > n_samples:
        counts[np.argmax(counts)] -= 1
    remainder = share - np.floor(share)
    for i in np.argsort(-remainder):
        if counts.sum() >= n_samples:
            break
        counts[i] += 1
    return [(int(f), int(c)) for f, c in zip(order, counts) if c > 0]
