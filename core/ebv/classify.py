"""The paper's classifier comparison at teaching scale (Shen et al., CVPR 2023, Sec. 4.1 and Table 1; the dimension
sweep of Sec. 4.3; the IJCV extension's class growth).

One small CNN backbone; two heads on it:

* ``fc``: the usual N-way linear layer + softmax (trainable parameters grow with N);
* ``ebv``: a linear map to d dimensions, then ``EBVHead`` (fixed EBVs, cosine logits / 0.07); trainable
  parameters depend on d, not on N.

Both train with cross-entropy with label smoothing 0.1 (the paper's EBV setting; we give the FC head the same so
only the head differs), Adam, the same batches in the same order for the same seed. Written by hand: the training
loop is the paper's recipe shrunk (no mixup/cutmix, no augmentation, a few epochs).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.device import keeps_global_rng, pick_device, seeded_generator
from core.ebv.data import Dataset
from core.ebv.generate import generate, welch_bound
from core.ebv.head import EBVHead

Progress = Callable[[float], None] | None
LABEL_SMOOTHING = 0.1
WIDTH = 64                 # backbone feature width (the input of either head)


def make_ebvs(n: int, d: int, seed: int = 0, device=None, fixed=None):
    """EBVs for a training run: exact orthonormal rows (QR) when N <= d, else the official projected SGD at the
    smallest alpha in 1.3, 1.4, ... x Welch that converges within 3 000 steps (lr 1e-2, unstall on).

    Returns (E, alpha, info). With ``fixed`` (k, d), n new rows are appended to the fixed ones.
    """
    total = n + (0 if fixed is None else len(fixed))
    if total <= d and fixed is None:
        E, info = generate(n, d, 0.0, steps=0, seed=seed, device=device, init="qr")
        return E, 0.0, info
    bound = welch_bound(total, d)
    for ratio in np.arange(1.3, 3.01, 0.1):
        alpha = float(max(ratio * bound, 0.02))
        E, info = generate(n, d, alpha, lr=1e-2, steps=3000, seed=seed, device=device, unstall=True, fixed=fixed)
        if info.converged:
            return E, alpha, info
    raise RuntimeError(f"no EBVs for N = {total}, d = {d} within 3x the Welch bound")


class Backbone(nn.Module):
    """conv(16)-pool-conv(32)-pool-linear(WIDTH): about 30-70k parameters depending on the image size."""

    def __init__(self, channels: int, image: int):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(32 * (image // 4) ** 2, WIDTH)

    def forward(self, x):
        return F.relu(self.fc(self.conv(x).flatten(1)))


class Classifier(nn.Module):
    """backbone -> (fc: Linear(WIDTH, N)) or (ebv: Linear(WIDTH, d) -> EBVHead)."""

    def __init__(self, channels, image, n_classes, head="fc", E=None, temperature=0.07):
        super().__init__()
        self.backbone, self.kind = Backbone(channels, image), head
        if head == "fc":
            self.proj, self.head = nn.Linear(WIDTH, n_classes), nn.Identity()
        elif head == "ebv":
            self.proj, self.head = nn.Linear(WIDTH, E.shape[1]), EBVHead(E, temperature)
        else:
            raise ValueError("head must be 'fc' or 'ebv'")

    def features(self, x):
        """What the classifier reads: the backbone output for fc, the normalised d-dim embedding for ebv."""
        h = self.backbone(x)
        return h if self.kind == "fc" else F.normalize(self.proj(h), dim=1)

    def forward(self, x):
        h = self.backbone(x)
        return self.proj(h) if self.kind == "fc" else self.head(self.proj(h))


def trainable(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@keeps_global_rng
def build(data: Dataset, head: str, E=None, seed: int = 0, device=None) -> Classifier:
    torch.manual_seed(seed)                 # nn.Module init draws from the global RNG (restored on return)
    _, c, h, _ = data.x_train.shape
    return Classifier(c, h, data.n_classes, head, E).to(pick_device(device))


def train(model, x, y, epochs=8, lr=2e-3, batch=128, seed=0, device=None, progress: Progress = None):
    """Adam + cross-entropy (label smoothing 0.1); returns the per-epoch mean training loss."""
    dev = pick_device(device)
    X, Y = torch.as_tensor(x, device=dev), torch.as_tensor(y, device=dev)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    gen, losses = seeded_generator(seed, "cpu"), []
    model.train()
    for epoch in range(epochs):
        order, total = torch.randperm(len(Y), generator=gen).to(dev), 0.0
        for start in range(0, len(Y), batch):
            idx = order[start:start + batch]
            loss = F.cross_entropy(model(X[idx]), Y[idx], label_smoothing=LABEL_SMOOTHING)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / len(Y))
        if progress is not None:
            progress((epoch + 1) / epochs)
    return losses


@torch.no_grad()
def predict(model, x, device=None) -> np.ndarray:
    model.eval()
    X = torch.as_tensor(x, device=pick_device(device))
    return torch.cat([model(X[i:i + 512]).argmax(1) for i in range(0, len(X), 512)]).cpu().numpy()


@torch.no_grad()
def class_mean_cosines(model, x, y, n_classes, device=None) -> np.ndarray:
    """cos between the class means of the (normalised) features the head reads: (N, N)."""
    model.eval()
    X = torch.as_tensor(x, device=pick_device(device))
    f = F.normalize(torch.cat([model.features(X[i:i + 512]) for i in range(0, len(X), 512)]), dim=1).cpu().numpy()
    means = np.stack([f[y == c].mean(0) if (y == c).any() else np.zeros(f.shape[1]) for c in range(n_classes)])
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    return means @ means.T


@dataclass
class Run:
    dataset: str
    head: str
    n_classes: int
    d: int | None                    # EBV dimension (None for fc)
    alpha: float | None              # max |cos| of the EBVs used (None for fc)
    seed: int
    epochs: int
    accuracy: float
    trainable: int
    head_params: int                 # trainable parameters after the backbone (proj layer)
    losses: list = field(default_factory=list)
    cosines: np.ndarray | None = None  # class-mean cosine matrix (kept only when asked)

    def row(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("losses", "cosines")}


def run(data: Dataset, head: str, d: int | None = None, epochs: int = 8, seed: int = 0, device=None,
        keep_cosines: bool = False, ebvs=None, progress: Progress = None) -> Run:
    """Train one model (fc, or ebv in d dimensions) and score it on the test split.

    ``ebvs``: (E, alpha) made earlier by ``make_ebvs`` (else made here from ``seed``)."""
    E, alpha = (None, None)
    if head == "ebv":
        E, alpha = ebvs if ebvs is not None else make_ebvs(data.n_classes, d, seed=seed, device=device)[:2]
        d = E.shape[1]
    model = build(data, head, E, seed, device)
    losses = train(model, data.x_train, data.y_train, epochs, seed=seed, device=device, progress=progress)
    acc = float((predict(model, data.x_test, device) == data.y_test).mean())
    cos = class_mean_cosines(model, data.x_test, data.y_test, data.n_classes, device) if keep_cosines else None
    return Run(data.name, head, data.n_classes, d if head == "ebv" else None, alpha, seed, epochs, acc,
               trainable(model), trainable(model.proj), losses, cos)


@keeps_global_rng
def _new_layer(n_out: int, seed: int, device=None) -> nn.Linear:
    torch.manual_seed(seed)                 # PyTorch's default init draws from the global RNG (restored on return)
    return nn.Linear(WIDTH, n_out).to(pick_device(device))


def _subset(x, y, classes):
    keep = np.isin(y, classes)
    return x[keep], y[keep]


def grow(data: Dataset, n_old: int, head: str, d: int | None = None, epochs: int = 8, new_epochs: int = 4,
         replays=(0,), seed: int = 0, device=None, progress: Progress = None) -> list[dict]:
    """Adding classes (IJCV extension): train on the first ``n_old`` classes, then append the rest.

    ebv: new EBVs are optimised against the old ones, which stay fixed (``generate(..., fixed=E_old)``); fc: the
    N-way layer gets new rows (default init), the old rows copied. Then fine-tune on the new classes' data plus
    ``replay`` training images of every old class (one fine-tune per value in ``replays``, each from the same
    appended model). Old-class test accuracy is read over all classes' logits (a new class can steal an old
    image) before appending, right after appending, and after the fine-tune. One dict per replay value.
    """
    n_all = data.n_classes
    old, new = np.arange(n_old), np.arange(n_old, n_all)
    E_old = alpha = None
    if head == "ebv":
        E_old, alpha, _ = make_ebvs(n_old, d, seed=seed, device=device)
    sub = Dataset(data.name, *_subset(data.x_train, data.y_train, old), *_subset(data.x_test, data.y_test, old),
                  data.class_names[:n_old])
    model = build(sub, head, E_old, seed, device)
    tick = (lambda f: progress(0.7 * f)) if progress else None
    train(model, sub.x_train, sub.y_train, epochs, seed=seed, device=device, progress=tick)
    xo, yo = _subset(data.x_test, data.y_test, old)
    xn, yn = _subset(data.x_test, data.y_test, new)
    base = {"head": head, "n_old": n_old, "n_new": len(new), "d": d if head == "ebv" else None, "seed": seed,
            "old acc before": float((predict(model, xo, device) == yo).mean())}
    if head == "ebv":
        E_all, alpha_all, _ = make_ebvs(len(new), d, seed=seed + 1, device=device, fixed=E_old)
        model.head.append(E_all[n_old:])
        base["alpha old"], base["alpha all"] = alpha, alpha_all
    else:
        grown = _new_layer(n_all, seed + 2, device)
        with torch.no_grad():
            grown.weight[:n_old], grown.bias[:n_old] = model.proj.weight, model.proj.bias
        model.proj = grown
    base["old acc appended"] = float((predict(model, xo, device) == yo).mean())
    rows = []
    for i, replay in enumerate(replays):
        tuned = copy.deepcopy(model)
        rng = np.random.default_rng(seed)
        keep = np.isin(data.y_train, new)
        for c in old:                                  # a small replay buffer of old images (0 = none)
            keep[rng.permutation(np.flatnonzero(data.y_train == c))[:replay]] = True
        tick = (lambda f, i=i: progress(0.7 + 0.3 * (i + f) / len(replays))) if progress else None
        train(tuned, data.x_train[keep], data.y_train[keep], new_epochs, seed=seed + 1, device=device, progress=tick)
        rows.append({**base, "replay": replay, "old acc after": float((predict(tuned, xo, device) == yo).mean()),
                     "new acc after": float((predict(tuned, xn, device) == yn).mean())})
    return rows
