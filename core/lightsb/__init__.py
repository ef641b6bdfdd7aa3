"""LightSB: Korotin, Gushchin, Burnaev, "Light Schrödinger Bridge" (ICLR 2024, arXiv 2310.01174).

A Schrödinger bridge / entropic OT solver whose adjusted potential is an unnormalised Gaussian mixture, so
the plan, its normaliser and the SB drift are closed forms and training is one energy-based loss on
unpaired samples (no simulation, no minimax).

Core API (no Streamlit):

* ``fit(x0, x1, epsilon, n_potentials=10, steps=1000, lr=1e-2, batch=128, seed=0, device=None)`` -> a
  ``LightSB`` model: ``.sample(x, n)`` (len(x), n, D) draws from pi(y | x), ``.drift(x, t)``,
  ``.trajectory(x, n_steps)``, ``.at_time(x, t, n)``, ``.conditional_moments(x)``, ``.history``.
  epsilon is the Wiener-prior variance (cost 1/2 |x - y|^2, entropy weight epsilon), as in the paper.
* ``gaussian_eot(b, B, epsilon)`` -> (S*, eps S*): the closed-form plan N(0, I) -> N(b, diag B).
* modules: ``potential`` (the model), ``train``, ``gaussian`` (closed forms), ``benchmark`` (ground-truth
  potentials, cBW2-UVP), ``sinkhorn`` (POT baseline), ``toys`` (2-D marginals, uploads), ``digits`` (the
  latent-translation stand-in), ``official`` (the official class's formulation, for timing and checks).
"""
from core.lightsb.gaussian import gaussian_eot
from core.lightsb.potential import LightSB, check_settings
from core.lightsb.train import fit

__all__ = ["fit", "gaussian_eot", "LightSB", "check_settings"]
