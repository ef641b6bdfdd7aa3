"""Equiangular Basis Vectors: Shen, Sun, Wei, "Equiangular Basis Vectors" (CVPR 2023, arXiv 2303.11637)."""
from core.ebv.generate import SettingsError, check_settings, generate, pairwise_abs_cos, welch_bound

__all__ = ["generate", "welch_bound", "check_settings", "pairwise_abs_cos", "SettingsError"]
