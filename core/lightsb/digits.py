"""An unpaired-translation stand-in for the paper's ALAE experiment (Sec. 5.3: FFHQ latents, adult -> child).

The paper trains LightSB between two classes' 512-D ALAE latents and decodes the mapped latents. Here the
autoencoder is a PCA of sklearn's 8x8 digits (shipped with scikit-learn, pixels scaled to [0, 1]), the
latent has ``LATENT_DIM`` = 16 dimensions, and one digit class is mapped to another. Faithfulness: how far
the latent moves (and how much of the input is kept), diversity: the conditional spread of pi(. | x);
eps trades one for the other. A logistic-regression classifier on pixels says whether the decoded
images look like the target class. PCA and the classifier are scikit-learn's; only the bridge is LightSB.
scikit-learn is imported when the latent space is first built (~1 s of CPU), not when this module loads.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

LATENT_DIM = 16
N_POTENTIALS, STEPS, LR = 10, 1000, 1e-2      # the paper's ALAE setting has K = 10 (steps, lr: live scale)


@lru_cache(maxsize=1)
def latent_space(seed: int = 0):
    """(pixels (n, 64) in [0, 1], labels, fitted PCA, latents (n, 16), pixel classifier)."""
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    data = load_digits()
    pixels, labels = data.data / 16.0, data.target
    pca = PCA(LATENT_DIM, random_state=seed).fit(pixels)
    classifier = LogisticRegression(max_iter=2000).fit(pixels, labels)
    return pixels, labels, pca, pca.transform(pixels), classifier


def decode(latents: np.ndarray) -> np.ndarray:
    """Latents (..., 16) -> images (..., 8, 8) clipped to [0, 1]."""
    pca = latent_space()[2]
    flat = np.asarray(latents).reshape(-1, LATENT_DIM)
    return np.clip(pca.inverse_transform(flat), 0, 1).reshape(*np.shape(latents)[:-1], 8, 8)


@dataclass
class Translation:
    source: int
    target: int
    epsilon: float
    inputs: np.ndarray          # (n_show, 16) source latents shown
    outputs: np.ndarray         # (n_show, n_draws, 16) draws from pi(. | x)
    target_rate: float          # share of all mapped source images classified as the target digit
    displacement: float         # mean |y - x| in the latent (faithfulness: smaller keeps more of x)
    diversity: float            # mean sqrt(tr Cov(y | x)) (spread of the conditional)
    random_displacement: float  # mean |y - x| for random source/target pairs (no transport)
    seconds: float
    device: str                 # where the bridge trained


def translate(source: int = 3, target: int = 8, epsilon: float = 0.1, n_show: int = 6, n_draws: int = 4,
              seed: int = 0, steps: int = STEPS, progress=None, device=None) -> Translation:
    """Fit LightSB from one class's latents to another's and score the mapped digits."""
    import time

    from core.lightsb.train import fit
    if source == target or not (0 <= source <= 9 and 0 <= target <= 9):
        raise ValueError("pick two different digits 0-9")
    _, labels, _, z, classifier = latent_space()
    x0, x1 = z[labels == source], z[labels == target]
    start = time.perf_counter()
    model = fit(x0, x1, epsilon, N_POTENTIALS, steps=steps, lr=LR, seed=seed, S_init=0.1, progress=progress,
                device=device)
    seconds = time.perf_counter() - start
    ys = model.sample(x0, 1, seed=seed)[:, 0]
    rate = float((classifier.predict(decode(ys).reshape(len(ys), 64)) == target).mean())
    _, cov = model.conditional_moments(x0)
    rng = np.random.default_rng(seed)
    rand = x1[rng.integers(0, len(x1), len(x0))]
    pick = rng.choice(len(x0), n_show, replace=False)
    return Translation(source, target, float(epsilon), x0[pick], model.sample(x0[pick], n_draws, seed=seed + 1),
                       rate, float(np.linalg.norm(ys - x0, axis=1).mean()),
                       float(np.sqrt(np.trace(cov, axis1=1, axis2=2)).mean()),
                       float(np.linalg.norm(rand - x0, axis=1).mean()), seconds, str(model.device))
