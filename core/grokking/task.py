"""Grokking (Kumar et al., ICLR 2024): the task and everything exact about it.

The rank-1 quadratic target y = (beta . x)^2 / 2 on x ~ N(0, I/D); the population test loss of the
network's quadratic form in closed form (linear, trace and misalignment terms); the initial NTK, its kernel
regression (the lazy limit's test loss) and the kernel-target alignment. See the package docstring.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from core.device import pick_device, seeded_generator


# ----------------------------------------------------------------------------- the task

@dataclass
class Task:
    """Training inputs X (P, D), labels y (P,), teacher beta (D,), and the width-N initial statistics."""
    X: torch.Tensor
    y: torch.Tensor
    beta: torch.Tensor
    w_bar0: torch.Tensor
    M0: torch.Tensor
    W0: torch.Tensor | None = None  # kept only when asked for (the direct-GD reference needs it)

    @property
    def target(self) -> torch.Tensor:
        """beta beta^T / 2, the target's quadratic form (computed once per task)."""
        if "_target" not in self.__dict__:
            self.__dict__["_target"] = 0.5 * torch.outer(self.beta, self.beta)
        return self.__dict__["_target"]

    def to(self, dtype) -> "Task":
        cast = lambda t: None if t is None else t.to(dtype)
        return Task(cast(self.X), cast(self.y), cast(self.beta), cast(self.w_bar0), cast(self.M0), cast(self.W0))


def make_task(P: int, D: int, N: int, seed: int, device=None, dtype=torch.float64,
              keep_weights: bool = False) -> Task:
    """Draw beta ~ N(0, I), x ~ N(0, I/D), W0 ~ N(0, 1)^{N x D} from one seeded generator."""
    device = pick_device(device)
    gen = seeded_generator(seed, "cpu")  # draw on CPU so cpu and cuda runs see the same numbers
    beta = torch.randn(D, generator=gen, dtype=torch.float64)
    X = torch.randn(P, D, generator=gen, dtype=torch.float64) / D ** 0.5
    W0 = torch.randn(N, D, generator=gen, dtype=torch.float64)
    y = 0.5 * (X @ beta) ** 2
    to = dict(device=device, dtype=dtype)
    return Task(X=X.to(**to), y=y.to(**to), beta=beta.to(**to), w_bar0=W0.mean(0).to(**to),
                M0=(W0.T @ W0 / N).to(**to), W0=W0.to(**to) if keep_weights else None)


# ----------------------------------------------------------------------------- exact losses

def population_loss_terms(lin_coef: torch.Tensor, quad: torch.Tensor, beta: torch.Tensor, target=None):
    """Exact E_x[(b.x + x^T S x - y(x))^2] for x ~ N(0, I/D), split into the paper's three terms.

    ``lin_coef`` b: (..., D) linear coefficients; ``quad`` S: (..., D, D) symmetric quadratic form of the
    model's output; ``target`` = beta beta^T / 2 may be passed precomputed (training loops do).
    Returns (linear, trace, misalignment) with sum = the population MSE.
    """
    D = beta.shape[-1]
    Q = quad - (0.5 * torch.outer(beta, beta) if target is None else target)
    linear = (lin_coef ** 2).sum(-1) / D
    trace = (torch.diagonal(Q, dim1=-2, dim2=-1).sum(-1) / D) ** 2
    misalignment = 2 * (Q ** 2).sum((-2, -1)) / D ** 2
    return linear, trace, misalignment


def quadratic_outputs(X: torch.Tensor, lin_coef: torch.Tensor, quad: torch.Tensor) -> torch.Tensor:
    """b.x + x^T S x for every row of X (P, D), batched: b (B, D), S (B, D, D) -> (B, P).

    X is shared by the batch, so X @ [S_1 ... S_B] is one (P, D) x (D, B*D) GEMM rather than a bmm over a
    broadcast copy of X (measured 1.3-6x faster for the 64-run phase diagram on one thread).
    """
    B, D = lin_coef.shape
    if B == 1:
        return lin_coef @ X.T + ((X @ quad[0]) * X).sum(-1)
    XS = (X @ quad.transpose(0, 1).reshape(D, B * D)).reshape(-1, B, D)
    return lin_coef @ X.T + (XS * X[:, None, :]).sum(-1).T


def ntk_gram(X: torch.Tensor, w_bar: torch.Tensor, M: torch.Tensor, eps: float) -> torch.Tensor:
    """Gram matrix of the NTK on the rows of X, without the alpha^2/N scale (it cancels everywhere):
    K(x, x') ~ (x.x')[1 + eps w_bar.(x + x') + eps^2 x^T M x']."""
    a = X @ w_bar
    return (X @ X.T) * (1 + eps * (a[:, None] + a[None, :]) + eps ** 2 * (X @ M @ X.T))


def kernel_expansion_quadratic(task: Task, eps: float, coef: torch.Tensor):
    """The function x -> sum_mu coef_mu K0(x, x_mu) as a quadratic b.x + x^T S x; coef: (..., P).

    Expanding K0 gives b = X^T(coef * (1 + eps X w0)) and S = sym(eps (X^T coef) w0^T + eps^2 X^T diag(coef) X M0),
    so the exact population loss of any initial-kernel predictor follows from population_loss_terms.
    """
    X, w0, M0 = task.X, task.w_bar0, task.M0
    lin_coef = (coef * (1 + eps * (X @ w0))) @ X
    s = coef @ X
    quad = eps * s[..., :, None] * w0 + eps ** 2 * ((X.T * coef[..., None, :]) @ X) @ M0
    return lin_coef, 0.5 * (quad + quad.transpose(-1, -2))


@dataclass
class InitialKernel:
    """Eigendecomposition K0 = U diag(lam) U^T of the initial-NTK Gram on the training points (float64).

    One decomposition serves the kernel-regression level, the GD stability limit and the lazy curves.
    """
    task: Task
    eps: float
    lam: torch.Tensor
    U: torch.Tensor

    @classmethod
    def of(cls, task: Task, eps: float) -> "InitialKernel":
        task = task.to(torch.float64)
        lam, U = torch.linalg.eigh(ntk_gram(task.X, task.w_bar0, task.M0, eps))
        return cls(task, eps, lam.clamp_min(0), U)

    @property
    def resolved(self) -> torch.Tensor:
        """Eigenvalues above round-off (below it, K0 is singular: P beyond the kernel threshold)."""
        return self.lam > self.lam.max() * self.lam.numel() * torch.finfo(torch.float64).eps

    def loss_of(self, coef: torch.Tensor) -> torch.Tensor:
        """Exact population loss of the predictor sum_mu coef_mu K0(x, x_mu); coef (..., P)."""
        return sum(population_loss_terms(*kernel_expansion_quadratic(self.task, self.eps, coef), self.task.beta))


def kernel_regression_loss(task: Task, eps: float, kernel: InitialKernel | None = None) -> float:
    """Exact population MSE of ridge-less regression with the initial NTK K0 (the lazy limit).

    The interpolant is a quadratic (kernel_expansion_quadratic), so its error has a closed form. The
    min-norm solution (pseudo-inverse) also covers P above the kernel threshold D(D+3)/2, where K0 is singular.
    """
    k = kernel or InitialKernel.of(task, eps)
    inverse = torch.where(k.resolved, 1 / k.lam.clamp_min(1e-300), torch.zeros_like(k.lam))
    return float(k.loss_of((inverse * (k.U.T @ k.task.y)) @ k.U.T))


def stable_lr_scale(task: Task, eps: float, kernel: InitialKernel | None = None) -> float:
    """Largest lr_scale for which GD on the initial (lazy) kernel does not blow up: P / lambda_max(K0).

    In function space one step multiplies the residual by I - (2 lr_scale / P) K0, which diverges once
    (2 lr_scale / P) lambda_max > 2. lambda_max ~ (1 + sqrt(P/D))^2 for these inputs, so the limit grows
    with D: lr_scale = 20 needs D >~ 40 at P = 5.5 D.
    """
    k = kernel or InitialKernel.of(task, eps)
    return float(k.lam.numel() / k.lam.max())


def ntk_alignment(X: torch.Tensor, y: torch.Tensor, w_bar: torch.Tensor, M: torch.Tensor, eps) -> float:
    """Kernel-target alignment y_c^T K_c y_c / (|K_c|_F |y_c|^2) of the current NTK on (X, y).

    K(x, x') ~ (x.x')[1 + eps w_bar.(x + x') + eps^2 x^T M x']; K_c subtracts column means, as in the
    authors' notebook (the numerator equals the doubly-centred one because y_c sums to zero).
    """
    K = ntk_gram(X, w_bar, M, eps)
    Kc = K - K.mean(0, keepdim=True)
    yc = y - y.mean()
    return float((yc @ Kc @ yc) / (torch.linalg.matrix_norm(Kc) * (yc @ yc)))
