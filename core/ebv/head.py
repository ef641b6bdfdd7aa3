"""The EBV classifier head (Shen et al., CVPR 2023, Sec. 3.3; official EBV_ImageNet.py).

The network maps an input to a d-dimensional embedding f; the head L2-normalises it and scores it against the fixed
unit rows of E (one per class) as cosine logits at temperature tau = 0.07: logits = normalize(f) E^T / tau. Training
is cross-entropy (label smoothing 0.1) on those logits; inference picks the nearest EBV by cosine. E is a buffer, not
a parameter, so the head has no trainable parameters however many classes there are.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

TEMPERATURE = 0.07


class EBVHead(nn.Module):
    """Cosine logits against fixed equiangular basis vectors: (B, d) features -> (B, N) logits."""

    def __init__(self, E, temperature: float = TEMPERATURE):
        super().__init__()
        E = torch.as_tensor(np.asarray(E) if not torch.is_tensor(E) else E, dtype=torch.float32)
        if E.ndim != 2:
            raise ValueError(f"E must be an (N, d) matrix, got shape {tuple(E.shape)}")
        if not temperature > 0:
            raise ValueError("temperature must be positive")
        self.register_buffer("E", F.normalize(E, dim=1))   # re-normalised, as the official loader does
        self.temperature = float(temperature)

    @property
    def n_classes(self) -> int:
        return self.E.shape[0]

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return F.normalize(features, dim=1) @ self.E.T / self.temperature

    def append(self, rows) -> None:
        """Add EBVs for new classes; the old rows are kept exactly (the IJCV extension's class growth)."""
        rows = F.normalize(torch.as_tensor(rows, dtype=self.E.dtype, device=self.E.device), dim=1)
        self.E = torch.cat([self.E, rows])
