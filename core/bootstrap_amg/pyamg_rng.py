"""pyamg's smoothed aggregation draws from numpy's *global* RNG (``approximate_spectral_radius`` starts
from ``np.random.rand``, for the Jacobi prolongation smoother's weight). Left alone, every SA setup would
move the caller's global numpy RNG and give slightly different hierarchies from call to call.

``forked_numpy_rng(seed)`` runs such a call on a seeded fork: the global state is saved, seeded for the
call (so the result is reproducible), and restored on exit, like ``core.device.keeps_global_rng`` does for
torch. (Another thread drawing from the global RNG during the call could still interleave; pyamg offers
no generator argument.)
"""
from __future__ import annotations

import contextlib

import numpy as np


@contextlib.contextmanager
def forked_numpy_rng(seed: int = 0):
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
