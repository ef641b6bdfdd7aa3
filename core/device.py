"""Device choice, seeding and thread pinning shared by every paper module.

* ``pick_device(device)``: an explicit argument wins, then the ``EIGEN_ATLAS_DEVICE``
  environment variable, then ``cuda`` when available, else ``cpu``.
* ``seeded_generator(seed, device)``: a private ``torch.Generator`` so a run never
  touches (or depends on) the global RNG that other sessions share.
* ``keeps_global_rng``: a decorator for core functions that must seed torch's global RNG (module
  initialisation draws from it): the caller's RNG state is restored on return, so a page or a notebook
  never sees its seeds changed by a core call.
* ``pin_threads(n)``: for scripts and the app only (core functions never call it); the hosted app serves several sessions on ~2 cores; small
  matmul loops were measured 7-40x slower when every session asks for all cores,
  so each process pins torch (and BLAS/OpenMP through the environment) to ``n``.
"""
from __future__ import annotations

import functools
import os
import random

import numpy as np
import torch

ENV_DEVICE = "EIGEN_ATLAS_DEVICE"
ENV_THREADS = "EIGEN_ATLAS_THREADS"


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """The torch device to compute on: argument > $EIGEN_ATLAS_DEVICE > cuda > cpu."""
    if device is None:
        device = os.environ.get(ENV_DEVICE) or None
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {device} requested but CUDA is not available")
    return device


def seeded_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A fresh generator seeded with ``seed`` on ``device`` (global RNG untouched)."""
    gen = torch.Generator(device=torch.device(device))
    gen.manual_seed(int(seed))
    return gen


def keeps_global_rng(fn):
    """Run ``fn`` on a fork of torch's global RNG (CPU and every CUDA device): its seeding stays inside."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=devices):
            return fn(*args, **kwargs)
    return wrapper


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch's global RNGs (for scripts; pages use generators)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pin_threads(n: int | None = None) -> int:
    """Pin torch's intra-op threads to ``n`` (default $EIGEN_ATLAS_THREADS or 1)."""
    n = int(n or os.environ.get(ENV_THREADS, 1))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(n))  # effective for libraries loaded later
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n
