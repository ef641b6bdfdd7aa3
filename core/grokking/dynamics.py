"""Grokking (Kumar et al., ICLR 2024): training in sufficient-statistics form.

One full-batch GD step maps (w_bar, C) to new statistics with no reference to the width N (the paper's
sufficient-statistics argument; the C-form is our two-matmul rewrite). ``simulate`` is one run as the page
shows it, with its lazy (linearised) twin; ``phase_diagram`` and ``data_sweep`` run many at once, batched.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from .task import (InitialKernel, Task, kernel_regression_loss, make_task, ntk_alignment, population_loss_terms,
                   quadratic_outputs, stable_lr_scale)

Progress = Callable[[float], None] | None


# ----------------------------------------------------------------------------- one GD step of the network

def network_form(w_bar, C, task: Task, alpha, eps):
    """The centred network's output as b.x + x^T S x: b = alpha (w_bar - w_bar0), S = alpha eps (M - M0) / 2."""
    M = C + w_bar[:, :, None] * w_bar[:, None, :]
    return alpha[:, None] * (w_bar - task.w_bar0), (0.5 * alpha * eps)[:, None, None] * (M - task.M0)


def evaluate(task: Task, w_bar, C, alpha, eps):
    """Training residual r (B, P) and the three exact test-loss terms (each (B,)) at (w_bar, C)."""
    lin_coef, quad = network_form(w_bar, C, task, alpha, eps)
    r = quadratic_outputs(task.X, lin_coef, quad) - task.y
    return r, population_loss_terms(lin_coef, quad, task.beta, task.target)


def gd_step(X, r, w_bar, C, eps, c):
    """One full-batch GD step of the centred network in statistics form, batched over runs (B, ...).

    r is the training residual at (w_bar, C). With g = X^T r, G = X^T diag(r) X and A = I - c eps G:
    w_bar' = A w_bar - c g,  C' = A C A  (C = M - w_bar w_bar^T).
    """
    g = r @ X
    G = (X.T * r[:, None, :]) @ X
    ceps = (c * eps)[:, None, None]
    AC = C - ceps * (G @ C)
    C_next = AC - ceps * (AC @ G)
    w_next = w_bar - ceps[:, :, 0] * (G @ w_bar[:, :, None])[:, :, 0] - c[:, None] * g
    return w_next, C_next


class SingleRun:
    """One run's GD in statistics form with as few tensor ops per step as the maths allows (``simulate``).

    At the page's size (D = 50, P = 275) a step of the batched ``evaluate`` + ``gd_step`` is ~45 small ops
    whose dispatch costs more than their multiply-adds. Here, for one run with Python-float alpha, eps and
    c, the same quantities take ~20: x^T (M - M0) x = x^T C x + (w.x)^2 - x^T M0 x with the constant parts
    precomputed, A C A as two fused ``addmm``s, and each step records only five raw numbers, from which
    ``loss_record`` forms the three test-loss terms for all steps at once. Same recursion as ``gd_step``
    (the tests check it against ``train_statistics`` to float64 round-off).
    """

    def __init__(self, task: Task, alpha: float, eps: float, c: float):
        X, self.task, self.alpha, self.c, self.h = task.X, task, float(alpha), float(c), float(c) * float(eps)
        self.a = 0.5 * float(alpha) * float(eps)                      # S = a (M - M0)
        self.D = X.shape[1]
        m0 = ((X @ task.M0) * X).sum(1)                                # x^T M0 x per training point
        self.offset = -self.alpha * (X @ task.w_bar0) - self.a * m0 - task.y
        self.R = self.a * task.M0 + task.target                       # Q = a (C + w w^T) - R
        self.trace_M0, self.trace_target = float(task.M0.trace()), float(task.target.trace())

    def record(self, w_bar: torch.Tensor, C: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """Write (|r|^2, |w - w0|^2, Tr C, |w|^2, |Q|_F^2) into ``out`` (5,); return the residual r (P,)."""
        X = self.task.X
        Xw = X @ w_bar
        r = torch.add(self.offset, Xw, alpha=self.alpha).add_(torch.addcmul((X @ C).mul_(X).sum(1), Xw, Xw),
                                                              alpha=self.a)
        d = w_bar - self.task.w_bar0
        Q = torch.add(-self.R, C, alpha=self.a).addr_(w_bar, w_bar, alpha=self.a)
        torch.stack([r @ r, d @ d, C.trace(), w_bar @ w_bar, (Q * Q).sum()], out=out)
        return r

    def step(self, r: torch.Tensor, w_bar: torch.Tensor, C: torch.Tensor):
        """gd_step for one run: G = X^T diag(r) X, A = I - c eps G; w' = A w - c X^T r, C' = A C A."""
        X = self.task.X
        G = (X.T * r) @ X
        AC = torch.addmm(C, G, C, alpha=-self.h)
        return torch.addmv(w_bar, G, w_bar, alpha=-self.h).add_(r @ X, alpha=-self.c), torch.addmm(AC, AC, G,
                                                                                                  alpha=-self.h)

    def loss_record(self, raw: np.ndarray) -> np.ndarray:
        """(T, 5) raw numbers -> (T, 5) train loss, linear, trace and misalignment terms, weight norm (float64)."""
        sq_r, sq_d, trace_C, sq_w, sq_Q = raw.T
        P, D = self.task.X.shape
        trace_Q = self.a * (trace_C + sq_w - self.trace_M0) - self.trace_target
        with np.errstate(over="ignore", invalid="ignore"):  # a blown-up run's last row is inf / nan, as it was
            return np.stack([sq_r / P, self.alpha ** 2 * sq_d / D, (trace_Q / D) ** 2, 2 * sq_Q / D ** 2,
                             trace_C + sq_w], 1)


def initial_state(task: Task, batch: int = 1):
    """(w_bar, C) at initialisation, repeated over a batch of runs."""
    C0 = task.M0 - torch.outer(task.w_bar0, task.w_bar0)
    return task.w_bar0.expand(batch, -1).clone(), C0.expand(batch, -1, -1).clone()


# ----------------------------------------------------------------------------- the lazy (linearised) model

def lazy_curves(task: Task, eps: float, lr_scale: float, eval_steps: np.ndarray,
                kernel: InitialKernel | None = None):
    """Train and exact test loss of the network linearised at W0, trained by the same GD, in closed form.

    The linearised model is kernel GD with the initial NTK: with h = 2 lr_scale / P and the Gram
    K0 = U diag(lam) U^T (alpha and N cancel under lr = lr_scale N / alpha^2), the training residual is
    r_t = U (1 - h lam)^t U^T r_0 and the function is sum_mu a_t,mu K0(x, x_mu) with
    a_t = U diag((1 - (1 - h lam)^t) / lam) U^T y, a quadratic whose population loss is exact.
    Returns (train_loss, test_loss) at ``eval_steps``.
    """
    k = kernel or InitialKernel.of(task, eps)
    h = 2 * lr_scale / k.lam.numel()
    t = torch.as_tensor(np.asarray(eval_steps), dtype=torch.float64, device=k.lam.device)[:, None]
    decay = (1 - h * k.lam) ** t                                 # (T, P)
    y_hat = k.U.T @ k.task.y
    train = ((decay * y_hat) ** 2).mean(-1)                      # U is orthogonal: |U z|^2 = |z|^2
    # (1 - decay) / lam, with its t*h limit where lam is numerically zero
    gain = torch.where(k.resolved, (1 - decay) / k.lam.clamp_min(1e-300), t * h)
    return train.cpu().numpy(), k.loss_of((gain * y_hat) @ k.U.T).cpu().numpy()


# ----------------------------------------------------------------------------- one run, as the page shows it

@dataclass
class GrokRun:
    """Everything the page plots, as numpy arrays; per-step arrays are indexed by ``step`` (0 .. steps)."""
    step: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray            # exact population loss of the network
    loss_terms: dict                 # name -> per-step array: the three terms that sum to test_loss
    weight_norm: np.ndarray          # |W|_F^2 / N = Tr M
    lazy_step: np.ndarray            # the linearised network, at log-spaced steps
    lazy_train_loss: np.ndarray
    lazy_test_loss: np.ndarray
    align_step: np.ndarray
    alignment: np.ndarray            # NTK-target alignment on held-out points
    ideal_alignment: float           # the same alignment for the ideal rich solution (M = M0 + beta beta^T/(alpha eps))
    kernel_loss: float               # exact population loss of initial-NTK kernel regression
    t_train: float                   # first step with loss < threshold (nan if never)
    t_test: float
    threshold: float
    diverged: bool
    w_bar: np.ndarray                # final statistics
    M: np.ndarray
    params: dict = field(default_factory=dict)

    @property
    def initial_loss(self) -> float:
        return float(self.test_loss[0])

    @property
    def grokking_delay(self) -> float:
        """The paper's amount of grokking, max(0, t_test - t_train); nan when a loss never gets there."""
        return grokking_amount(self.t_train, self.t_test)


def estimated_seconds(P: int, D: int, steps: int) -> float:
    """Rough single-thread CPU time of ``simulate``: per step ~0.05 ms of op overhead (``SingleRun``) plus
    2 P D^2 + 2 D^3 multiply-adds at ~25 GMAC/s, plus the P x P eigen/least-squares solves of the lazy model
    and kernel regression (~P^3 / 4e9 s). Fitted to timings on the 2-core dev box (D 30-100, P up to 2400,
    within ~25 %); a GPU is faster."""
    return steps * (5e-5 + (2 * P * D * D + 2 * D ** 3) / 2.5e10) + P ** 3 / 4e9


def grokking_amount(t_train, t_test):
    """max(0, t_test(thr) - t_train(thr)) (the paper's Fig. 3e measure); nan where either never crosses."""
    return np.maximum(0.0, np.asarray(t_test, float) - np.asarray(t_train, float))[()]


def first_below(loss: np.ndarray, threshold: float) -> float:
    """First index where loss < threshold, nan if none."""
    hit = np.flatnonzero(loss < threshold)
    return float(hit[0]) if hit.size else float("nan")


def log_steps(steps: int, n: int) -> np.ndarray:
    """About n distinct integer steps in 0..steps, log-spaced (for curves drawn on a log-x axis)."""
    return np.unique(np.r_[0, np.geomspace(1, steps, max(n - 1, 1)).round().astype(int)])


@torch.inference_mode()
def simulate(alpha: float = 1.0, eps: float = 0.02, P: int = 275, D: int = 50, N: int = 500,
             lr_scale: float = 20.0, steps: int = 5000, seed: int = 0, device=None,
             dtype=torch.float32, threshold: float = 0.1, n_lazy: int = 200, n_align: int = 40,
             n_align_points: int = 300, progress: Progress = None) -> GrokRun:
    """Train the network by full-batch GD through the exact statistics recursion, plus its lazy twin.

    Defaults are the page's: D = 50, P = 5.5 D as in the paper, lr 20x the paper's N/alpha^2 so the same
    curve shape appears in 5k steps instead of 1e5. float32 by default: ~1.3x faster end to end on one CPU
    thread (~2x per step at D = 100) with the same curves to 4 digits; the tests check the recursion in
    float64.
    """
    task64 = make_task(P, D, N, seed, device)
    task = task64.to(dtype)
    dev = task.X.device
    hold = make_task(n_align_points, D, 1, seed + 10_000, dev, dtype)  # fresh points for the alignment
    hold_y = 0.5 * (hold.X @ task.beta) ** 2
    run = SingleRun(task, alpha, eps, 2 * lr_scale / (alpha * P))
    w_bar, C = (x[0] for x in initial_state(task))

    rec = torch.full((steps + 1, 5), float("nan"), dtype=dtype, device=dev)  # filled on device: no syncs
    align_at = set(log_steps(steps, n_align).tolist())
    align_steps, align_vals = [], []
    check_every = max(1, steps // 100)
    for t in range(steps + 1):
        r = run.record(w_bar, C, rec[t])
        if t in align_at:
            align_steps.append(t)
            align_vals.append(ntk_alignment(hold.X, hold_y, w_bar, C + torch.outer(w_bar, w_bar), eps))
        if t % check_every == 0 or t == steps:
            if not torch.isfinite(rec[t]).all():     # GD blew up: stop here, the rest stays nan
                break
            if progress is not None:
                progress(t / steps)
        if t < steps:
            w_bar, C = run.step(r, w_bar, C)

    rec = run.loss_record(rec.double().cpu().numpy())
    train, terms = rec[:, 0], rec[:, 1:4]
    test = terms.sum(1)
    lazy_step = log_steps(steps, n_lazy)
    kernel = InitialKernel.of(task64, eps)
    lazy_train, lazy_test = lazy_curves(task64, eps, lr_scale, lazy_step, kernel)
    M = C + torch.outer(w_bar, w_bar)
    ideal_M = task.M0 + torch.outer(task.beta, task.beta) / (alpha * eps)   # Q = 0: the target exactly
    ideal = ntk_alignment(hold.X, hold_y, task.w_bar0, ideal_M, eps)
    return GrokRun(
        step=np.arange(steps + 1), train_loss=train, test_loss=test,
        loss_terms=dict(zip(("linear", "trace", "misalignment"), terms.T)), weight_norm=rec[:, 4],
        lazy_step=lazy_step, lazy_train_loss=lazy_train, lazy_test_loss=lazy_test,
        align_step=np.array(align_steps), alignment=np.array(align_vals), ideal_alignment=ideal,
        kernel_loss=kernel_regression_loss(task64, eps, kernel),
        t_train=first_below(train, threshold), t_test=first_below(test, threshold), threshold=threshold,
        diverged=not np.isfinite(test[-1]), w_bar=w_bar.double().cpu().numpy(),
        M=M.double().cpu().numpy(),
        params=dict(alpha=alpha, eps=eps, P=P, D=D, N=N, lr_scale=lr_scale, steps=steps, seed=seed,
                    device=str(dev), dtype=str(dtype).replace("torch.", "")),
    )


# ----------------------------------------------------------------------------- many runs at once

@dataclass
class PhaseDiagram:
    """Amount of grokking over an alpha x eps grid (rows alpha, columns eps), the paper's Fig. 3(e)."""
    alphas: np.ndarray
    epsilons: np.ndarray
    t_train: np.ndarray               # first step with train loss < threshold (nan: never within steps)
    t_test: np.ndarray
    amount: np.ndarray                # max(0, t_test - t_train); nan where test never crossed
    final_test: np.ndarray
    threshold: float
    steps: int
    stop_step: np.ndarray | None = None   # the step each run left the batch (crossed, converged, blew up, or the end)
    initial_test: float = float("nan")


@torch.inference_mode()
def phase_diagram(alphas, epsilons, P: int = 275, D: int = 50, N: int = 500, lr_scale: float = 20.0,
                  steps: int = 5000, seed: int = 0, threshold: float = 0.1, flat: float = 1e-5,
                  device=None, dtype=torch.float32, progress: Progress = None) -> PhaseDiagram:
    """Every (alpha, eps) run of the grid as ONE batched tensor program on one shared data set.

    The batch dimension carries the grid: alpha, eps and the step size c are (B,) vectors and every
    matmul is batched. A run leaves the batch once both its losses crossed the threshold, or it blew up,
    or by the paper's stopping rule: both losses moved less than ``flat`` over 5 steps with the test
    loss below its initial value (a converged run: it will not cross later). Finished runs stop costing.
    """
    task = make_task(P, D, N, seed, device).to(dtype)
    dev = task.X.device
    A, E = np.meshgrid(np.asarray(alphas, float), np.asarray(epsilons, float), indexing="ij")
    alpha = torch.as_tensor(A.ravel(), dtype=dtype, device=dev)
    eps = torch.as_tensor(E.ravel(), dtype=dtype, device=dev)
    c = 2 * lr_scale / (alpha * P)
    w_bar, C = initial_state(task, alpha.numel())
    n = alpha.numel()
    t_train, t_test = np.full(n, np.nan), np.full(n, np.nan)
    final_test, before = np.full(n, np.nan), np.full((n, 2), np.inf)  # losses 5 steps ago
    stop = np.full(n, steps)
    active = torch.arange(n, device=dev)
    for t in range(steps + 1):
        r, terms = evaluate(task, w_bar, C, alpha, eps)
        train, test = (r ** 2).mean(-1), sum(terms)
        idx = active.cpu().numpy()
        tr, te = train.cpu().numpy(), test.cpu().numpy()  # (B,) floats: a cheap sync next to the matmuls
        final_test[idx] = te
        t_train[idx] = np.where(np.isnan(t_train[idx]) & (tr < threshold), t, t_train[idx])
        t_test[idx] = np.where(np.isnan(t_test[idx]) & (te < threshold), t, t_test[idx])
        done = (~np.isnan(t_train[idx]) & ~np.isnan(t_test[idx])) | ~np.isfinite(te)
        if t % 5 == 0:
            if t == 0:
                initial_test = te.copy()
            converged = (np.abs(tr - before[idx, 0]) < flat) & (np.abs(te - before[idx, 1]) < flat)
            done |= converged & (te < initial_test[idx])
            before[idx] = np.stack([tr, te], 1)
        stop[idx[done]] = t
        if done.all() or t == steps:
            break
        w_bar, C = gd_step(task.X, r, w_bar, C, eps, c)
        if done.any():                          # compact: finished runs leave the batch
            keep = torch.as_tensor(~done, device=dev)
            active, alpha, eps, c, w_bar, C = (x[keep] for x in (active, alpha, eps, c, w_bar, C))
        if progress is not None and t % max(1, steps // 100) == 0:
            progress(t / steps)
    shape = A.shape
    return PhaseDiagram(alphas=np.asarray(alphas, float), epsilons=np.asarray(epsilons, float),
                        t_train=t_train.reshape(shape), t_test=t_test.reshape(shape),
                        amount=grokking_amount(t_train, t_test).reshape(shape),
                        final_test=final_test.reshape(shape), threshold=threshold, steps=steps,
                        stop_step=stop.reshape(shape), initial_test=float(initial_test[0]))


@dataclass
class AlphaSweep:
    """The paper's Fig. 3(a): train and test loss against step for several output scales alpha."""
    alphas: np.ndarray
    step: np.ndarray                  # log-spaced steps at which the curves are kept
    train: np.ndarray                 # (len(alphas), len(step))
    test: np.ndarray
    t_train: np.ndarray
    t_test: np.ndarray
    kernel_loss: float
    params: dict = field(default_factory=dict)

    @property
    def amount(self) -> np.ndarray:
        return grokking_amount(self.t_train, self.t_test)


@torch.inference_mode()
def alpha_sweep(alphas, eps: float = 0.1, P: int = 275, D: int = 50, N: int = 500, lr_scale: float = 20.0,
                steps: int = 5000, seed: int = 0, threshold: float = 0.1, n_keep: int = 300, device=None,
                dtype=torch.float32, progress: Progress = None) -> AlphaSweep:
    """One run per alpha on one data set and one init, batched (alpha is the batch dimension), as Fig. 3(a).

    lr = lr_scale N / alpha^2 for every alpha, so the lazy limit is the same curve for all of them and only
    how long the network stays near it changes.
    """
    task64 = make_task(P, D, N, seed, device)
    task = task64.to(dtype)
    dev = task.X.device
    alpha = torch.as_tensor(np.asarray(alphas, float), dtype=dtype, device=dev)
    eps_t = torch.full_like(alpha, float(eps))
    c = 2 * lr_scale / (alpha * P)
    w_bar, C = initial_state(task, alpha.numel())
    rec = torch.full((steps + 1, 2, alpha.numel()), float("nan"), dtype=dtype, device=dev)
    for t in range(steps + 1):
        r, terms = evaluate(task, w_bar, C, alpha, eps_t)
        rec[t, 0], rec[t, 1] = r.square().mean(-1), sum(terms)
        if t < steps:
            w_bar, C = gd_step(task.X, r, w_bar, C, eps_t, c)
        if progress is not None and t % max(1, steps // 100) == 0:
            progress(t / steps)
    rec = rec.double().cpu().numpy()
    keep = log_steps(steps, n_keep)
    first = [[first_below(rec[:, j, i], threshold) for i in range(alpha.numel())] for j in (0, 1)]
    return AlphaSweep(alphas=np.asarray(alphas, float), step=keep, train=rec[keep, 0].T, test=rec[keep, 1].T,
                      t_train=np.array(first[0]), t_test=np.array(first[1]),
                      kernel_loss=kernel_regression_loss(task64, eps),
                      params=dict(eps=eps, P=P, D=D, N=N, lr_scale=lr_scale, steps=steps, seed=seed,
                                  device=str(dev)))


@dataclass
class DataSweep:
    """The goldilocks lesson: what happens as the number of training points P grows (one run per P)."""
    P: np.ndarray
    D: int
    final_train: np.ndarray
    final_test: np.ndarray
    kernel_loss: np.ndarray           # initial-NTK regression on the same P points (the lazy limit)
    t_train: np.ndarray
    t_test: np.ndarray
    initial_loss: float
    lr_scale: float                   # the step size actually used (capped for the smallest P's stability)

    @property
    def amount(self) -> np.ndarray:
        return grokking_amount(self.t_train, self.t_test)


@torch.inference_mode()
def data_sweep(P_values, alpha: float = 1.0, eps: float = 0.02, D: int = 30, N: int = 500,
               lr_scale: float = 20.0, steps: int = 5000, seed: int = 0, threshold: float = 0.1,
               device=None, dtype=torch.float32, progress: Progress = None) -> DataSweep:
    """Train at each P in turn (P changes the data's shape, so these do not share a batch).

    Runs are nested: a larger P adds points to a smaller one's data, with the same teacher and init.
    """
    P_values = np.asarray(sorted({int(p) for p in P_values}))
    big = make_task(int(P_values.max()), D, N, seed, device)
    tasks = [Task(big.X[:P], big.y[:P], big.beta, big.w_bar0, big.M0) for P in P_values]
    # one step size for every P (so times compare), below the smallest P's stability limit
    kernels = [InitialKernel.of(task, eps) for task in tasks]
    lr_used = min(lr_scale, 0.9 * min(stable_lr_scale(task, eps, k) for task, k in zip(tasks, kernels)))
    rows = []
    for i, (task, kernel) in enumerate(zip(tasks, kernels)):
        run, _, _ = train_statistics(task.to(dtype), alpha, eps, lr_used, steps)
        rows.append((run[0][-1], run[1][-1], kernel_regression_loss(task, eps, kernel),
                     first_below(run[0], threshold), first_below(run[1], threshold), run[1][0]))
        if progress is not None:
            progress((i + 1) / len(P_values))
    cols = np.array(rows).T
    return DataSweep(P=P_values, D=D, final_train=cols[0], final_test=cols[1], kernel_loss=cols[2],
                     t_train=cols[3], t_test=cols[4], initial_loss=float(cols[5][0]), lr_scale=lr_used)


@torch.inference_mode()
def train_statistics(task: Task, alpha: float, eps: float, lr_scale: float, steps: int):
    """Bare training loop of one run: ((train, test) loss per step, final w_bar, final M), numpy.

    Losses are nan after a blow-up. This is what ``simulate`` does without the page's extras.
    """
    dev, dtype = task.X.device, task.X.dtype
    alpha_t, eps_t = (torch.full((1,), float(v), dtype=dtype, device=dev) for v in (alpha, eps))
    c = torch.full((1,), 2 * lr_scale / (alpha * task.X.shape[0]), dtype=dtype, device=dev)
    w_bar, C = initial_state(task)
    losses = torch.full((steps + 1, 2), float("nan"), dtype=dtype, device=dev)
    for t in range(steps + 1):
        r, terms = evaluate(task, w_bar, C, alpha_t, eps_t)
        losses[t, 0] = (r ** 2).mean()
        losses[t, 1] = sum(terms)[0]
        if t % 100 == 0 and not torch.isfinite(losses[t]).all():
            break
        if t < steps:
            w_bar, C = gd_step(task.X, r, w_bar, C, eps_t, c)
    M = C[0] + torch.outer(w_bar[0], w_bar[0])
    return losses.double().cpu().numpy().T, w_bar[0].cpu().numpy(), M.cpu().numpy()
