"""Grokking as the transition from lazy to rich training (Kumar, Bordelon, Gershman, Pehlevan, ICLR 2024).

The paper's testbed: a two-layer network with fixed readouts and a quadratic activation,

    f(x) = alpha * (1/N) sum_i phi(w_i . x),      phi(h) = h + (eps/2) h^2,

trained by full-batch GD on the centred MSE (f(x; W) - f(x; W0) - y)^2 with lr = lr_scale * N / alpha^2,
for the rank-1 quadratic target y = (beta . x)^2 / 2 and inputs x ~ N(0, I/D).

Because phi is quadratic and the readouts are fixed, f depends on W only through the statistics

    w_bar = (1/N) sum_i w_i,      M = W^T W / N,      f(x) = alpha [w_bar . x + (eps/2) x^T M x],

and one GD step maps (w_bar, M) to new statistics with no reference to N (the paper's sufficient-statistics
argument). With A = I - c eps G, G = X^T diag(r) X, g = X^T r, c = 2 lr_scale / (alpha P):

    w_bar' = A w_bar - c g,        C' = A C A   where C = M - w_bar w_bar^T  (the covariance of the rows).

The C-form is our rewrite of the paper's expanded M update (same recursion, two matmuls instead of five);
``simulate_weights`` runs plain GD on W and the tests check both agree to float64 round-off.

The population test loss is exact (no test set): with Q = (alpha eps dM - beta beta^T)/2, dM = M - M0,

    E_g = alpha^2 |dw_bar|^2 / D  +  (Tr Q / D)^2  +  2 |Q|_F^2 / D^2     (linear, trace, misalignment terms)

The linearised (lazy) network, the initial-NTK kernel regression and the NTK-target alignment are closed in
the same statistics, so every curve on the page is computed from this module, in torch, N-free.

Modules: ``task`` (the task, the exact population loss, the initial NTK and its kernel regression),
``dynamics`` (GD in statistics form, the lazy twin, one run, the phase diagram and the data sweep),
``summary`` (the numbers the page's sentences are built from), ``reference`` (plain GD on the N x D weights: what the statistics recursion must match).
"""
from .dynamics import (AlphaSweep, DataSweep, alpha_sweep, GrokRun, PhaseDiagram, data_sweep, estimated_seconds, evaluate, first_below,
                       gd_step, grokking_amount, initial_state, lazy_curves, log_steps, network_form, phase_diagram,
                       simulate, train_statistics)
from .reference import simulate_weights
from .summary import BLANK_KINDS, alignment_change, blank_cells, lazy_then_rich
from .task import (InitialKernel, Task, kernel_expansion_quadratic, kernel_regression_loss, make_task, ntk_alignment,
                   ntk_gram, population_loss_terms, quadratic_outputs, stable_lr_scale)
