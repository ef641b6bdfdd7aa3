"""Multi-modal forecasting in ET space: anchors, the refinement network, baselines and best-of-S metrics.

Bae et al. (ICCV 2023), Sec. 3.3-3.4:
* anchors: k-means on the ET coefficients of the training futures (official: sklearn KMeans, 20 clusters);
* anchor-based refinement: a predictor maps the history coefficients (plus its neighbours') to one residual
  per anchor, C_s = anchor_s + dC_s, and every refined anchor is one of the S output samples;
* loss: three winner-takes-all terms, min_s |C_s - C_gt| + min_s ADE_s + min_s FDE_s (each its own min).

The predictor here is a small MLP with a max-pooled neighbour encoder (Social-GAN-style pooling), standing
in for the ten published baselines that the paper wraps (Social-STGCNN, AgentFormer, ...). It also outputs
one score per sample (softmax = the probabilities the page shows), trained by cross-entropy toward the
ADE winner as in MultiPath; the paper's samples carry no probabilities. The "no-anchor" model is the same
network with the anchors set to zero: its samples must spread out on their own (the paper's ablation).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.device import keeps_global_rng, pick_device
from core.eigentrajectory.descriptors import Normaliser
from core.eigentrajectory.tracks import OBS_LEN, PRED_LEN, Windows

MAX_NEIGHBOURS = 6     # nearest agents (at the last observed frame) seen by the neighbour encoder
POS_SCALE, VEL_SCALE = 4.0, 0.5   # m and m per 0.4 s step: the neighbour inputs' typical sizes


# ----------------------------------------------------------------------------- anchors

@dataclass(frozen=True)
class Anchors:
    centres: np.ndarray   # (S, k) ET coefficients of the prototype futures, largest cluster first
    labels: np.ndarray    # (n,) cluster of each training future
    counts: np.ndarray    # (S,) cluster sizes


def fit_anchors(coef_future: np.ndarray, n_anchors: int, seed: int = 0, n_init: int = 3) -> Anchors:
    """k-means in ET space (k-means++ init, fixed seed); the official code uses n_init = 10."""
    from sklearn.cluster import KMeans   # imported here: 1-2 s and ~100 MB, only pages that use it pay
    km = KMeans(n_clusters=n_anchors, n_init=n_init, random_state=seed).fit(coef_future)
    counts = np.bincount(km.labels_, minlength=n_anchors)
    order = np.argsort(-counts, kind="stable")
    relabel = np.empty_like(order)
    relabel[order] = np.arange(n_anchors)
    return Anchors(km.cluster_centers_[order], relabel[km.labels_], counts[order])


# ----------------------------------------------------------------------------- inputs

@dataclass(frozen=True)
class Samples:
    """Everything the forecaster needs about a set of (agent, window) samples, in each agent's frame."""
    norm: Normaliser
    obs: np.ndarray          # (n, 8, 2) normalised history
    future: np.ndarray       # (n, 12, 2) normalised ground truth
    neighbours: np.ndarray   # (n, M, 4): neighbour's position and last step in this agent's frame
    neighbour_index: np.ndarray  # (n, M) sample index of each neighbour, -1 = none


def prepare(windows: Windows, max_neighbours: int = MAX_NEIGHBOURS) -> Samples:
    norm = Normaliser.from_observed(windows.obs)
    local = norm.apply(windows.traj)
    neighbours = np.zeros((len(windows), max_neighbours, 4))
    index = np.full((len(windows), max_neighbours), -1)
    R = norm._rotation()
    last, step = windows.obs[:, -1], windows.obs[:, -1] - windows.obs[:, -2]
    order = np.argsort(windows.window, kind="stable")
    bounds = np.flatnonzero(np.diff(windows.window[order])) + 1
    for members in np.split(order, bounds):       # one window at a time: its agents see each other
        if len(members) < 2:
            continue
        rel = last[members][None, :, :] - last[members][:, None, :]          # (i, j, 2) world offsets
        dist = np.hypot(rel[..., 0], rel[..., 1])
        np.fill_diagonal(dist, np.inf)
        nearest = np.argsort(dist, axis=1)[:, :max_neighbours]
        m = min(max_neighbours, len(members) - 1)
        nearest = nearest[:, :m]
        rows = np.arange(len(members))[:, None]
        Ri = R[members][:, None]                                            # (i, 1, 2, 2)
        pos = (rel[rows, nearest][..., None, :] @ Ri)[..., 0, :]
        vel = (step[members][nearest][..., None, :] @ Ri)[..., 0, :]
        neighbours[members, :m] = np.concatenate([pos / POS_SCALE, vel / VEL_SCALE], -1)
        index[members, :m] = members[nearest]
    return Samples(norm, local[:, :OBS_LEN], local[:, OBS_LEN:], neighbours, index)


def select(samples: Samples, index: np.ndarray) -> Samples:
    """A subset of the samples (neighbour indices stay valid only for whole windows: re-``prepare`` else)."""
    remap = np.full(len(samples.obs), -1)
    remap[index] = np.arange(len(index))
    nb = samples.neighbour_index[index]
    return Samples(samples.norm.subset(index), samples.obs[index], samples.future[index], samples.neighbours[index],
                   np.where(nb >= 0, remap[np.maximum(nb, 0)], -1))


def window_chunks(window: np.ndarray, size: int = 4000) -> list[np.ndarray]:
    """Sample indices in chunks of about ``size`` that never split a window (so ``select`` keeps neighbours)."""
    starts = np.r_[0, np.flatnonzero(np.diff(window)) + 1]
    cuts = [0]
    for start in starts[1:]:
        if start - cuts[-1] >= size:
            cuts.append(start)
    return [np.arange(a, b) for a, b in zip(cuts, cuts[1:] + [len(window)])]


def network_inputs(samples: Samples, U_obs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(own history coefficients (n, k), neighbour features (n, M, 4 + k), mask (n, M)).

    A neighbour is described by its relative position and last step in this agent's frame plus its own
    history coefficients (in its own frame): the neighbours' ET coefficients, as the issue asks.
    """
    coef = samples.obs.reshape(len(samples.obs), -1) @ U_obs[:, :k]
    mask = samples.neighbour_index >= 0
    theirs = np.where(mask[..., None], coef[np.maximum(samples.neighbour_index, 0)], 0.0)
    return coef, np.concatenate([samples.neighbours, theirs], -1), mask


# ----------------------------------------------------------------------------- the network

def _mlp(*widths: int) -> nn.Sequential:
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.GELU()]
    return nn.Sequential(*layers[:-1])


class ETForecaster(nn.Module):
    """History coefficients + pooled neighbours -> S refined anchors (k coefficients each) and S scores."""

    def __init__(self, k: int, anchors: np.ndarray, use_anchors: bool, coef_scale: np.ndarray,
                 hidden: int = 64, pooled: int = 48, out_dim: int | None = None):
        super().__init__()
        S = len(anchors)
        # out_dim: outputs per sample; k (ET coefficients) by default, 24 for the Euclidean twin (twin.py)
        self.k, self.n_samples, self.out_dim = k, S, out_dim or k
        anchors = torch.as_tensor(np.asarray(anchors, dtype=np.float32))
        self.register_buffer("anchors", anchors if use_anchors else torch.zeros_like(anchors))
        scale = torch.as_tensor(np.asarray(coef_scale, dtype=np.float32))
        self.register_buffer("obs_scale", scale[:k].clone())       # std of history coefficients
        self.register_buffer("out_scale", scale[k:].clone())       # std of future coefficients
        self.neighbour = _mlp(4 + k, pooled, pooled)
        self.trunk = nn.Sequential(_mlp(k + pooled, hidden, hidden), nn.GELU())
        self.offsets = nn.Linear(hidden, S * self.out_dim)
        self.scores = nn.Linear(hidden, S)
        nn.init.zeros_(self.offsets.bias)
        if use_anchors:                       # start from the anchors themselves (zero residual)
            nn.init.zeros_(self.offsets.weight)

    @classmethod
    def from_state(cls, state: dict, device=None) -> "ETForecaster":
        """Rebuild a trained model from its state dict (sizes read off the tensors) on ``device``."""
        S, out = state["anchors"].shape
        k = state["neighbour.0.weight"].shape[1] - 4
        model = cls(k, np.zeros((S, out)), True, np.ones(k + out), hidden=state["scores.weight"].shape[1],
                    pooled=state["neighbour.0.weight"].shape[0], out_dim=out)
        model.load_state_dict({name: t.float() for name, t in state.items()})
        return model.to(pick_device(device)).eval()

    def forward(self, coef_obs, neighbours, mask):
        own = coef_obs / self.obs_scale
        nb = torch.cat([neighbours[..., :4], neighbours[..., 4:] / self.obs_scale], -1)
        h_nb = self.neighbour(nb).masked_fill(~mask[..., None], -1e4).amax(1)
        h_nb = torch.where(mask.any(1, keepdim=True), h_nb, torch.zeros_like(h_nb))   # alone: no social term
        h = self.trunk(torch.cat([own, h_nb], -1))
        residual = self.offsets(h).view(-1, self.n_samples, self.out_dim) * self.out_scale
        return self.anchors + residual, self.scores(h)


def coefficient_scale(coef_obs: np.ndarray, coef_future: np.ndarray) -> np.ndarray:
    """Per-coefficient RMS of history then future coefficients: the network's input/output units."""
    return np.concatenate([np.sqrt((coef_obs ** 2).mean(0)), np.sqrt((coef_future ** 2).mean(0))]) + 1e-6


# ----------------------------------------------------------------------------- loss and training

def wta_loss(coef, logits, coef_gt, U_pred_k, future_gt):
    """The paper's three winner-takes-all terms (each its own min over samples) + score cross-entropy."""
    pos = (coef @ U_pred_k.T).view(*coef.shape[:2], PRED_LEN, 2)
    dist = (pos - future_gt[:, None]).norm(dim=-1)                 # (B, S, 12)
    ade, fde = dist.mean(-1), dist[..., -1]
    l_coef = (coef - coef_gt[:, None]).norm(dim=-1).min(1).values.mean()
    score = nn.functional.cross_entropy(logits, ade.argmin(1).detach())
    return l_coef + ade.min(1).values.mean() + fde.min(1).values.mean() + 0.1 * score


def _tensors(*arrays, device):
    return [torch.as_tensor(np.asarray(a, dtype=np.float32 if a.dtype != bool else bool), device=device)
            for a in arrays]


@keeps_global_rng
def train_forecaster(samples: Samples, U_obs, U_pred, k: int, anchors: np.ndarray, use_anchors: bool,
                     epochs: int = 20, batch: int = 256, lr: float = 2e-3, seed: int = 0, device=None,
                     progress=None, out_basis: np.ndarray | None = None) -> tuple[ETForecaster, list[float]]:
    """AdamW + cosine decay + grad clipping (official: AdamW 1e-3, StepLR, clip 10, 256 epochs).

    ``out_basis`` (24, d) replaces U_pred[:, :k] as the output space (the identity: the Euclidean twin)."""
    device = pick_device(device)
    torch.manual_seed(seed)  # module init draws from the global RNG; @keeps_global_rng restores it
    c_obs, nb, mask = network_inputs(samples, U_obs, k)
    basis = U_pred[:, :k] if out_basis is None else out_basis
    c_fut = samples.future.reshape(len(c_obs), -1) @ basis
    model = ETForecaster(k, anchors, use_anchors, coefficient_scale(c_obs, c_fut), out_dim=basis.shape[1]).to(device)
    c_obs, nb, mask, c_fut, fut, Uk = _tensors(c_obs, nb, mask, c_fut, samples.future, basis, device=device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * ((len(c_obs) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    gen = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(epochs):
        total = 0.0
        for idx in torch.randperm(len(c_obs), generator=gen).split(batch):
            idx = idx.to(device)
            loss = wta_loss(*model(c_obs[idx], nb[idx], mask[idx]), c_fut[idx], Uk, fut[idx])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        history.append(total / len(c_obs))
        if progress:
            progress((epoch + 1) / epochs)
    return model.eval(), history


@torch.no_grad()
def predict(model: ETForecaster, samples: Samples, U_obs, U_pred) -> tuple[np.ndarray, np.ndarray]:
    """(futures (n, S, 12, 2) in each agent's frame, probabilities (n, S))."""
    device = model.anchors.device
    c_obs, nb, mask = _tensors(*network_inputs(samples, U_obs, model.k), device=device)
    coef, logits = model(c_obs, nb, mask)
    U = torch.as_tensor(np.asarray(U_pred[:, :model.out_dim], dtype=np.float32), device=device)
    futures = (coef @ U.T).view(len(coef), model.n_samples, PRED_LEN, 2)
    return futures.double().cpu().numpy(), torch.softmax(logits, -1).double().cpu().numpy()


# ----------------------------------------------------------------------------- baselines and metrics

def constant_velocity(obs: np.ndarray) -> np.ndarray:
    """(n, 1, 12, 2): the last observed step repeated (one sample)."""
    step = obs[:, -1] - obs[:, -2]
    return (obs[:, -1, None] + np.arange(1, PRED_LEN + 1)[:, None] * step[:, None])[:, None]


def anchor_futures(anchors: np.ndarray, U_pred: np.ndarray, n: int) -> np.ndarray:
    """(n, S, 12, 2): the unrefined anchors, the same S futures for every agent (normalised frame)."""
    k = anchors.shape[1]
    paths = (anchors @ U_pred[:, :k].T).reshape(len(anchors), PRED_LEN, 2)
    return np.broadcast_to(paths, (n, *paths.shape))


def rank_k_oracle(future: np.ndarray, U_pred: np.ndarray, k: int) -> np.ndarray:
    """(n, 1, 12, 2): the ground truth projected onto the first k eigen-trajectories (the floor of ET)."""
    Uk = U_pred[:, :k]
    flat = future.reshape(len(future), -1)
    return ((flat @ Uk) @ Uk.T).reshape(future.shape)[:, None]


def all_forecasts(samples: Samples, nets: dict, anchors: np.ndarray, anchor_share: np.ndarray, U_obs,
                  U_pred) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{method: (futures (n, S, 12, 2) normalised, probabilities (n, S))} for the trained networks in ``nets``
    ({name: ETForecaster}), the unrefined anchors (probability = cluster share) and constant velocity."""
    n = len(samples.obs)
    out = {name: predict(net, samples, U_obs, U_pred) for name, net in nets.items()}
    out["anchors only"] = (anchor_futures(anchors, U_pred, n), np.broadcast_to(anchor_share, (n, len(anchors))))
    out["constant velocity"] = (constant_velocity(samples.obs), np.ones((n, 1)))
    return out


def best_of(pred: np.ndarray, future: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample minADE and minFDE over the S predictions (each its own min, as the official metric)."""
    dist = np.sqrt(((pred - future[:, None]) ** 2).sum(-1))   # (n, S, 12)
    return dist.mean(-1).min(1), dist[..., -1].min(1)


def every_method(samples, nets: dict, anchors, U_obs: np.ndarray, U_pred: np.ndarray, k: int) -> dict:
    """Every method's forecasts (``all_forecasts``: the trained networks, anchors only, constant velocity),
    best-of-S noisy constant velocity (twin.py), plus the rank-k oracle (the truth projected on the first k eigen-trajectories, the floor of ET space)."""
    from .twin import NOISE, NOISY_CV, noisy_constant_velocity
    out = all_forecasts(samples, nets, anchors.centres, anchors.counts / anchors.counts.sum(), U_obs, U_pred)
    S = len(anchors.centres)   # a best-of-S baseline beside the best-of-S methods
    out[NOISY_CV] = (noisy_constant_velocity(samples.obs, S, *NOISE), np.full((len(samples.obs), S), 1 / S))
    out["rank-k oracle"] = (rank_k_oracle(samples.future, U_pred, k), np.ones((len(samples.obs), 1)))
    return out
