"""Zhai, Liu, Risteski, Kolter, Ravikumar, "Understanding Augmentation-based Self-Supervised
Representation Learning via RKHS Approximation and Regression" (ICLR 2024, arXiv 2306.00788): the
compute core of the RKHS page, on the paper's own toy: random masking of bit strings (Sec. 5).

The augmentation defines a kernel K_X(x, x') = sum_a p(a|x) p(a|x') / p(a) (Sec. 2); pretraining learns
the top-d eigenspace of its integral operator Gamma* Gamma (RKHS approximation, Sec. 3); a linear probe
is RKHS regression on that span (Sec. 4); the augmentation complexity kappa^2 = sup_x K_X(x, x) sets the
estimation error, and the augmentation strength trades it against the approximation error (a sweet spot).

One idea per module:
* ``hypercube``: {0,1}^m, Walsh characters, the settings check (SettingsError);
* ``kernel``: K_X for masking in closed form, kappa^2 = (2 - alpha)^m, the staircase spectrum;
* ``augmentation``: the explicit augmentation graph (brute-force K_X) and the paper's Monte-Carlo kappa;
* ``targets``: downstream Walsh-polynomial targets and Assumption 1's eps;
* ``regression``: kernel ridge regression with K_X, linear probes, the alpha / n / d sweeps;
* ``encoder``: a tiny torch encoder trained with the spectral contrastive loss, its span's convergence;
* ``digits``: the optional real-data view (scikit-learn's digits, binarised, masked).

Core API (no Streamlit): ``masking_kernel(m, alpha)``, ``kappa2(m, alpha)``,
``kappa2_monte_carlo(m, alpha, n_augmentations, seed=0)``, ``sweet_spot(alphas, m=10, n=60, noise=0.1,
reps=20, seed=0)``. Bad settings raise ``SettingsError`` (a ValueError) with a sentence for the reader.
"""
from core.rkhs.augmentation import kappa2_monte_carlo
from core.rkhs.hypercube import MAX_GRAPH_M, MAX_M, SettingsError
from core.rkhs.kernel import kappa2, masking_kernel
from core.rkhs.regression import sweet_spot

__all__ = ["masking_kernel", "kappa2", "kappa2_monte_carlo", "sweet_spot", "SettingsError", "MAX_M",
           "MAX_GRAPH_M"]
