"""The trained network of the page: an MLP on scikit-learn's 8x8 digits, trained plainly or with TempBalance.

FARMS (Hu et al., ICML 2025), Sec. 5.1 applies TempBalance to ResNets/VGGs on CIFAR-100 for 200 epochs;
that does not fit a laptop CPU, so this module gives the same mechanism at teaching scale:
* ``data(seed)``: sklearn ``load_digits`` (1,797 images shipped inside scikit-learn, no download), a fixed
  80/20 stratified split, pixels / 16.
* ``mlp(seed)``: 64-1024-128-128-64-10 with ReLU. The layers were chosen for their shapes: aspect ratios
  Q = 16, 8, 1, 2 and 6.4, so the full-ESD alpha has a shape bias to show.
* ``train(...)``: SGD with momentum, weight decay 5e-4 and a cosine learning rate (the paper's CV recipe);
  with ``tb`` set to "full" or "farms", every epoch starts by re-assigning each layer's learning rate from its
  alpha (median xmin, ``tb_linear_map``), as the official ``Tempbalance_FARMS.step`` does.
* ``prune(state, sparsities)``: per-layer magnitude pruning (AlphaPruning's simplest pruner) and its accuracy.
"""
from __future__ import annotations

import functools
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

from core.device import keeps_global_rng, pick_device, seeded_generator
from core.farms.layers import layer_alphas
from core.farms.schedules import tb_linear_map

WIDTHS = (64, 1024, 128, 128, 64, 10)
LAYERS = tuple(f"fc{i + 1}" for i in range(len(WIDTHS) - 1))
RECIPE = dict(epochs=30, lr=0.05, batch=32, momentum=0.9, weight_decay=5e-4)
TB_FARMS = dict(rows=32, q=1.0, ops=9)  # windows for these small layers (the paper's 100 x 100 > most sides here)


@functools.lru_cache(maxsize=2)
def data(seed: int = 0):
    """(x_train, y_train, x_test, y_test) as float32 / int64 tensors (CPU; shared, do not modify in place)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x / 16.0, y, test_size=0.2, random_state=seed, stratify=y)
    f = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    return f(xtr), torch.as_tensor(ytr), f(xte), torch.as_tensor(yte)


@keeps_global_rng
def mlp(seed: int = 0) -> nn.Sequential:
    """The MLP with its seeded default (Kaiming-uniform) init; torch's global RNG is restored afterwards."""
    torch.manual_seed(seed)  # nn.Linear initialises from the global RNG; the decorator keeps it inside
    mods = OrderedDict()
    for i, (a, b) in enumerate(zip(WIDTHS[:-1], WIDTHS[1:])):
        mods[f"fc{i + 1}"] = nn.Linear(a, b)
        if i < len(WIDTHS) - 2:
            mods[f"act{i + 1}"] = nn.ReLU()
    return nn.Sequential(mods)


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def layer_lrs(model: nn.Module, tb: str, lr: float, lr_min_ratio: float, lr_max_ratio: float) -> dict[str, float]:
    """TempBalance: {layer: lr} from the layers' median-xmin alphas, with ("farms") or without FARMS."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    rows = layer_alphas(state, farms=tb == "farms", xmin="median", **TB_FARMS)
    lrs = tb_linear_map([r["alpha"] for r in rows], lr, lr_min_ratio, lr_max_ratio)
    return {r["layer"].rsplit(".", 1)[0]: float(v) for r, v in zip(rows, lrs)}


def train(tb: str | None = None, epochs: int = RECIPE["epochs"], lr: float = RECIPE["lr"], seed: int = 0,
          lr_min_ratio: float = 0.5, lr_max_ratio: float = 1.5, device=None, progress=None) -> dict:
    """Train the MLP from its seeded init; returns {"state", "test_acc", "history"} (history per epoch)."""
    device = pick_device(device)
    xtr, ytr, xte, yte = (t.to(device) for t in data())
    model = mlp(seed).to(device)
    groups = [{"params": getattr(model, name).parameters(), "lr": lr, "name": name} for name in LAYERS]
    opt = torch.optim.SGD(groups, lr=lr, momentum=RECIPE["momentum"], weight_decay=RECIPE["weight_decay"])
    gen = seeded_generator(seed, "cpu")
    history = []
    for epoch in range(epochs):
        base = lr * 0.5 * (1 + np.cos(np.pi * epoch / epochs))  # cosine schedule, as in the paper's runs
        lrs = layer_lrs(model, tb, base, lr_min_ratio, lr_max_ratio) if tb else {n: float(base) for n in LAYERS}
        for group in opt.param_groups:
            group["lr"] = lrs[group["name"]]
        model.train()
        order = torch.randperm(len(xtr), generator=gen).to(device)
        for s in range(0, len(xtr), RECIPE["batch"]):
            idx = order[s:s + RECIPE["batch"]]
            loss = nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        history.append({"epoch": epoch + 1, "test_acc": accuracy(model, xte, yte), "loss": loss.item(),
                        **{f"lr_{n}": v for n, v in lrs.items()}})
        if progress is not None:
            progress((epoch + 1) / epochs)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {"state": state, "test_acc": history[-1]["test_acc"], "history": history, "device": str(device)}


def prune(state: dict, sparsities: dict[str, float]) -> tuple[dict, float]:
    """Zero the smallest-|w| fraction of each listed layer's weight; (pruned state, test accuracy)."""
    pruned = {k: v.clone() for k, v in state.items()}
    for layer, s in sparsities.items():
        W = pruned[f"{layer}.weight"]
        k = int(round(s * W.numel()))
        if k > 0:
            cut = W.abs().flatten().kthvalue(k).values
            W[W.abs() <= cut] = 0.0
    model = mlp(0)
    model.load_state_dict(pruned)
    _, _, xte, yte = data()
    return pruned, accuracy(model.eval(), xte, yte)
