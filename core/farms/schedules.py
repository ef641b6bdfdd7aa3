"""What the per-layer alphas drive: TempBalance learning rates and AlphaPruning sparsities.

Both rules are the official ones the FARMS paper plugs its alpha into (Sec. 5):
* TempBalance (Zhou et al., NeurIPS 2023; ``Tempbalance_FARMS.get_layer_temps``, ``tb_linear_map``):
  lr_l = interp(alpha_l, [min alpha, max alpha], [lr_min_ratio * lr, lr_max_ratio * lr]); a larger alpha
  (a less trained layer) gets a larger learning rate.
* AlphaPruning (Lu et al., NeurIPS 2024; ``ww_sparsity``, block-wise mapping): per-block mean alpha,
  ratio = (alpha - min)/(max - min) * (s2 - s1) + s1 with s1,2 = 1 -+ eps, then rescaled so that the
  parameter-weighted mean sparsity is the target; a larger alpha is pruned MORE. Ratios above 1 are
  clipped (0.99999 at target 0.7, else 0.998, as in the FARMS copy), which can break the exact target.
"""
from __future__ import annotations

import numpy as np


def tb_linear_map(alphas, lr: float, lr_min_ratio: float = 0.5, lr_max_ratio: float = 1.5) -> np.ndarray:
    """TempBalance's layer-wise learning rates (np.interp exactly as the official code calls it)."""
    alphas = np.asarray(alphas, dtype=float)
    return np.interp(alphas, [alphas.min(), alphas.max()], [lr_min_ratio * lr, lr_max_ratio * lr])


def alphapruning_sparsity(alphas, params, target: float, eps: float = 0.3, blocks=None) -> np.ndarray:
    """AlphaPruning's layer-wise sparsities; ``blocks`` (one id per layer) averages alpha per block first."""
    alphas, params = np.asarray(alphas, dtype=float), np.asarray(params, dtype=float)
    if blocks is not None:
        blocks = np.asarray(blocks)
        alphas = np.array([alphas[blocks == b].mean() for b in blocks])
    s1, s2 = 1.0 - eps, 1.0 + eps
    span = alphas.max() - alphas.min()
    ratios = (alphas - alphas.min()) / span * (s2 - s1) + s1 if span > 0 else np.ones_like(alphas)
    ratios = ratios * (params.sum() * target / (params * ratios).sum())
    cap = 0.99999 if target == 0.7 else 0.998
    return np.where(ratios > 1, cap, ratios)


def achieved_sparsity(sparsities, params) -> float:
    """The parameter-weighted mean sparsity actually reached (after clipping)."""
    params = np.asarray(params, dtype=float)
    return float((np.asarray(sparsities) * params).sum() / params.sum())
