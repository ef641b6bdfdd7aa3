"""FARMS: Hu, Goel, Killiakov, Yang, "Eigenspectrum Analysis of Neural Networks without Aspect Ratio Bias"
(ICML 2025, arXiv 2506.06280; code HUST-AI-HYZ/FARMS).

Heavy-tailed self-regularisation fits a power law p(l) ~ l^-alpha to the tail of the ESD (eigenvalues of
W^T W) of each weight matrix. That ESD also depends on the matrix's aspect ratio Q = N/M (Marchenko-Pastur),
so layers of different shapes get different alphas even when they are equally random. FARMS (Fixed-Aspect-
Ratio Matrix Subsampling) pools the eigenvalues of an ops x ops grid of overlapping windows of one aspect
ratio and fits alpha on that pooled ESD.

Core API (no Streamlit):

* ``esd(W)``: ascending eigenvalues of W^T W (squared singular values, no normalisation).
* ``farms_esd(W, rows=None, q=1.0, ops=10)``: pooled ascending eigenvalues of the official ``fixed_sampling``
  grid of rows x int(rows*q) windows (rows defaults to min(N, M)); ``window_grid`` gives the corners.
* ``alpha_hill(eigs, xmin="median")`` -> (alpha, xmin, ks): PL_Alpha_Hill with xmin "median", "peak" or
  "clauset" (weightwatcher's default full search).
* ``layer_alphas(state_dict, farms=True)``: per-layer rows (linear and conv2d, as the paper's code does).
* modules: ``spectrum`` (ESDs, MP density), ``hill`` (the fits), ``bias`` (the alpha-vs-Q experiment),
  ``layers`` (state dicts, uploads, conv path), ``schedules`` (TempBalance, AlphaPruning), ``digits``
  (the trained MLP on sklearn's digits).
"""
from core.farms.hill import XMIN_RULES, alpha_hill
from core.farms.layers import CheckpointError, layer_alphas, load_checkpoint
from core.farms.spectrum import esd, farms_esd, mp_density, window_grid

__all__ = ["esd", "farms_esd", "window_grid", "mp_density", "alpha_hill", "XMIN_RULES", "layer_alphas",
           "load_checkpoint", "CheckpointError"]
