"""Per-layer alpha of a whole network, with and without FARMS, from a state dict (or an uploaded file).

FARMS (Hu et al., ICML 2025), as the official ``Tempbalance_FARMS.net_esd_estimator`` does it:
* Linear (2-D) weights: the full ESD of W as stored (out x in), or FARMS' pooled window ESD
  (``farms_esd``, windows rows x int(rows*q), ops x ops grid; paper CV runs: 100 x 100, 9 x 9).
* Conv2D (4-D, out x in x kh x kw) weights, kh*kw matrices of out x in, each scaled by sqrt(conv_norm)
  (conv_norm = 0.5):
  - without FARMS the kh*kw slices' eigenvalues are pooled into one ESD (weightwatcher-style);
  - with FARMS each slice is transposed so that rows >= cols (``conv2D_Wmats``) and cut into
    rows // cols blocks of (cols // q) x cols (q >= 1; cols x int(cols*q) for q < 1); block i pools that
    block from all kh*kw slices, one alpha is fitted per block and the LAYER ALPHA IS THE MEAN OF THE
    BLOCK ALPHAS (the official code averages, it does not pool the blocks).
Layers with fewer than ``EIGS_THRESH`` = 5 eigenvalues are skipped, as in the official code.

``load_checkpoint(raw, filename)`` reads an uploaded torch state dict (``torch.load(weights_only=True)``,
nothing in the file can run code) or a .safetensors file, with size caps; every bad case raises
``CheckpointError`` with a sentence a page can show.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field

import numpy as np
import torch

from core.device import pick_device
from core.farms.hill import alpha_hill
from core.farms.spectrum import DTYPE, esd, farms_esd, window_grid

CONV_NORM = 0.5
EIGS_THRESH = 5
PAPER_ROWS, PAPER_OPS = 100, 9            # FARMS CV runs: num_row_samples 100, Q 1.0, sampling_ops_per_dim 9
MAX_UPLOAD_BYTES = 50 * 2**20             # the app's maxUploadSize; a ResNet-18 state dict is ~43 MB
MAX_PARAMETERS = 60_000_000               # all analysed weights together (ResNet-50: 25M)
MAX_DIM = 4096                            # one matrix side; bigger SVDs take minutes on a shared CPU
WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "weights")


class CheckpointError(ValueError):
    """An uploaded file that cannot be analysed; the message says why, in words."""


@dataclass
class Layer:
    name: str
    kind: str           # "linear" or "conv2d"
    weight: torch.Tensor


@dataclass
class Checkpoint:
    layers: list[Layer]
    notes: list[str] = field(default_factory=list)  # skipped tensors and why


# ----------------------------------------------------------------------------- reading a state dict

def _unwrap(obj):
    """A state dict saved inside a training checkpoint ({"state_dict": ...}) is taken from there."""
    if isinstance(obj, dict):
        for key in WRAPPER_KEYS:
            if isinstance(obj.get(key), dict):
                return obj[key]
    return obj


def _fmt(shape) -> str:
    return " x ".join(str(s) for s in shape)


def layers_of(state_dict) -> Checkpoint:
    """The 2-D and 4-D floating-point ``*weight`` tensors of a state dict, checked; the rest explained."""
    state_dict = _unwrap(state_dict)
    if not isinstance(state_dict, dict) or not state_dict:
        raise CheckpointError(f"this is not a state dict (a mapping of names to tensors) but a "
                              f"{type(state_dict).__name__}")
    tensors = {k: v for k, v in state_dict.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise CheckpointError("the file holds a mapping, but none of its values is a tensor")
    layers, notes, total = [], [], 0
    for name, t in tensors.items():
        if t.ndim not in (2, 4) or not name.endswith("weight"):
            continue
        if not t.is_floating_point():
            notes.append(f"`{name}` ({t.dtype}) is not floating point: skipped.")
            continue
        if not bool(torch.isfinite(t).all()):
            notes.append(f"`{name}` contains NaN or inf entries: skipped.")
            continue
        if max(t.shape[:2]) > MAX_DIM:
            notes.append(f"`{name}` ({_fmt(t.shape)}) has a side over {MAX_DIM}: skipped (too slow here).")
            continue
        total += t.numel()
        if total > MAX_PARAMETERS:
            raise CheckpointError(f"the weights exceed {MAX_PARAMETERS / 1e6:.0f}M parameters; this page "
                                  "analyses networks up to about ResNet-50 size")
        layers.append(Layer(name, "linear" if t.ndim == 2 else "conv2d", t.detach()))
    if not layers:
        why = " ".join(notes) if notes else (f"its {len(tensors)} tensors are biases, norms or other "
                                             "non-matrix weights")
        raise CheckpointError(f"no usable 2-D (linear) or 4-D (conv) weight in this file: {why}")
    return Checkpoint(layers, notes)


def load_checkpoint(raw: bytes, filename: str) -> Checkpoint:
    """An uploaded .pt/.pth/.bin (torch, weights_only) or .safetensors file -> its layers."""
    if not raw:
        raise CheckpointError("the file is empty")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise CheckpointError(f"the file is {len(raw) / 2**20:.0f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB")
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load as load_safetensors
        try:
            obj = load_safetensors(raw)
        except (SafetensorError, ValueError, RuntimeError) as err:
            raise CheckpointError(f"not a valid .safetensors file ({str(err)[:120]})") from None
    elif suffix in ("pt", "pth", "bin", "ckpt"):
        try:
            obj = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
        except Exception as err:  # noqa: BLE001 - torch raises many types; all mean "not loadable"
            text = str(err)
            found = re.search(r"Unsupported global: GLOBAL (\S+)", text)
            if found:
                raise CheckpointError(f"the file contains a Python object (`{found.group(1)}`), not only tensors: "
                                      "only plain state dicts are read here (torch.load with weights_only=True). "
                                      "Save `model.state_dict()` instead") from None
            raise CheckpointError("torch cannot read this file as a plain state dict with weights_only=True "
                                  "(not a torch.save file, or a pickle of something else)") from None
    else:
        raise CheckpointError(f"unsupported file type '.{suffix}': upload a .pt/.pth state dict or a .safetensors file")
    return layers_of(obj)


# ----------------------------------------------------------------------------- the conv path

def conv_slices(W: torch.Tensor) -> list[torch.Tensor]:
    """The official ``conv2D_Wmats`` (channels detected): kh*kw matrices, each with rows >= cols."""
    N, M, kh, kw = W.shape
    if N + M >= kh + kw:  # channels last: W[:, :, i, j] is out x in
        mats = [W[:, :, i, j] for i in range(kh) for j in range(kw)]
    else:
        mats = [W[i, j, :, :] for i in range(N) for j in range(M)]
    return [m.T if m.shape[0] < m.shape[1] else m for m in mats]


def conv_esd(W: torch.Tensor, conv_norm: float = CONV_NORM, device=None) -> np.ndarray:
    """Without FARMS: the kh*kw slices (out x in, scaled by sqrt(conv_norm)) pooled into one ESD."""
    mats = W.detach().to(pick_device(device), DTYPE).flatten(2).permute(2, 0, 1) * math.sqrt(conv_norm)
    return np.sort(torch.linalg.svdvals(mats).square().reshape(-1).cpu().numpy())


def conv_farms_blocks(W: torch.Tensor, q: float = 1.0, conv_norm: float = CONV_NORM, device=None) -> list[np.ndarray]:
    """With FARMS: one pooled ESD per row block (the official conv branch of ``net_esd_estimator``)."""
    mats = torch.stack(conv_slices(W.detach().to(pick_device(device), DTYPE))) * math.sqrt(conv_norm)
    rows, cols = mats.shape[1:]
    nr, nc = (cols // q, cols) if q > 1 else (cols, cols // (1 / q))
    nr, nc = max(1, int(nr)), max(1, int(nc))
    blocks = []
    for i in range(int(rows // cols)):
        block = mats[:, i * nr:(i + 1) * nr, :nc]
        blocks.append(np.sort(torch.linalg.svdvals(block).square().reshape(-1).cpu().numpy()))
    return blocks


# ----------------------------------------------------------------------------- alphas of a network

def layer_alpha(layer: Layer, farms: bool, xmin: str = "median", rows: int = PAPER_ROWS, q: float = 1.0,
                ops: int = PAPER_OPS, device=None) -> dict | None:
    """One row of the table (None when the layer has fewer than EIGS_THRESH eigenvalues)."""
    W = layer.weight
    n, m = W.shape[:2]
    row = {"layer": layer.name, "kind": layer.kind, "shape": _fmt(W.shape), "Q": max(n, m) / min(n, m)}
    if layer.kind == "linear":
        if farms:
            grid = window_grid(W.shape, rows, q, ops)
            eigs = farms_esd(W, rows, q, ops, device)
            row["windows"] = f"{len(grid.corners)} x ({grid.rows} x {grid.cols})"
        else:
            eigs = esd(W, device)
        if eigs.size < EIGS_THRESH:
            return None
        alpha, x, D = alpha_hill(eigs, xmin)
    else:
        if farms:
            blocks = conv_farms_blocks(W, q, device=device)
            fits = [alpha_hill(b, xmin) for b in blocks]
            eigs = np.concatenate(blocks)
            alpha, x, D = (float(np.mean([f[i] for f in fits])) for i in range(3))
            row["windows"] = f"{len(blocks)} block(s), mean of block alphas"
        else:
            eigs = conv_esd(W, device=device)
            if eigs.size < EIGS_THRESH:
                return None
            alpha, x, D = alpha_hill(eigs, xmin)
    row.update(n_eigs=int(eigs.size), alpha=alpha, xmin=x, D=D, lambda_max=float(eigs.max()))
    return row


def layer_alphas(state_dict, farms: bool = True, xmin: str = "median", rows: int = PAPER_ROWS, q: float = 1.0,
                 ops: int = PAPER_OPS, device=None, progress=None) -> list[dict]:
    """Per-layer alpha rows (layer, kind, shape, Q, n_eigs, alpha, xmin, D, lambda_max) of a state dict."""
    checkpoint = state_dict if isinstance(state_dict, Checkpoint) else layers_of(state_dict)
    out = []
    for i, layer in enumerate(checkpoint.layers):
        row = layer_alpha(layer, farms, xmin, rows, q, ops, device)
        if row is not None:
            out.append(row)
        if progress is not None:
            progress((i + 1) / len(checkpoint.layers))
    return out
