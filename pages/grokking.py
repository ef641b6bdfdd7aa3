"""Grokking as the transition from lazy to rich training (Kumar et al., ICLR 2024): the page.

Widgets, layout, plots and text only; the simulation is core/grokking/.
"""
import time

import numpy as np
import streamlit as st

from core import grokking as gk
from core.registry import by_slug
from ui import cache
from ui.conventions import Choice, Slider, compute_note, controls, explainers, figure, paper_header
from ui.grokking_figures import loss_figure, mechanism_figure, phase_figure, sweep_figure
from ui.jobs import cached, on_request, store
from ui.navigation import use_app_navigation

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("grokking")
PAPER_SETTING = dict(D=100, P=550, lr_scale=1.0, steps=100_000)   # the paper's Fig. 1, exactly
PD_ALPHAS = tuple(np.round(np.linspace(0.4, 5.6, 8), 2))           # the paper's Fig. 3(e) ranges, 8x8
PD_EPSILONS = tuple(np.round(np.linspace(0.02, 0.28, 8), 3))
SWEEP_D, SWEEP_RATIOS = 30, (1, 2, 3, 5.5, 10, 20, 30, 45)
LIVE_SECONDS = 15   # runs estimated longer than this start on a click

SETTING = Choice("setting", "Setting", ("Teaching", "Paper"), "Teaching", radio=True,
                 help="Teaching: seconds on a CPU. Paper: the paper's Fig. 1 setting, D 100, P 550, "
                      "lr = N/alpha^2, 100k steps (minutes); it sets D, P/D, lr and steps.")
CONTROLS = [
    Choice("alpha", "alpha: output scale (laziness)", (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0), 1.0,
           help="Large alpha = lazy: the network behaves like its linearisation for longer."),
    Choice("eps", "eps: kernel-target alignment", (0.005, 0.01, 0.02, 0.05, 0.1, 0.2), 0.02,
           help="Weight of the quadratic part of phi. Small eps = the initial NTK barely sees the target."),
    Choice("p_ratio", "P / D: training points per dimension", (1.0, 2.0, 3.0, 4.0, 5.5, 8.0, 12.0, 20.0, 30.0), 5.5),
    Choice("D", "D: input dimension", (30, 40, 50, 60, 80), 50),
    Choice("N", "N: width (enters only through the initialisation)", (10, 100, 500, 5000), 500),
    Slider("lr", "lr_scale: step size in units of N/alpha^2", 1, 30, 20, 1),
    Choice("steps", "GD steps", (1000, 2000, 5000, 10000, 20000), 5000),
    Slider("seed", "seed", 0, 99, 0, 1),
]


RUNS = store("grokking.runs", max_entries=24)           # a 5k-step run is ~0.2 MB, a 100k-step one ~5 MB
SWEEPS = store("grokking.sweeps", max_entries=8)
PHASES = store("grokking.phase_diagrams", max_entries=8)

SHOWS = """
* **Fig. 1**: train loss falls early; the test loss first follows the *linearised* network and the
  initial-NTK kernel-regression level (it can even rise), then collapses much later. The linearised
  model never beats kernel regression. The NTK's alignment with the target rises as the test loss falls.
* **Fig. 3**: larger output scale alpha (lazier) means a longer delay; the phase diagram of the
  *amount of grokking*, max(0, t_test(0.1) - t_train(0.1)), over alpha and eps is largest at high alpha
  and low eps.
* **Fig. 4**: the exact test loss splits into a linear term, a trace term and a misalignment term.
* **Goldilocks**: grokking needs P between ~D (enough for feature learning) and ~D(D+3)/2 (where the
  initial kernel already generalises, so train and test fall together).
* Because phi is quadratic and the readouts are fixed, everything depends on W only through
  w_bar = mean(w_i) and M = W^T W / N; GD is closed in these statistics, which is what runs here."""
TRY_THIS = """
1. Defaults: train loss is below 0.1 by step ~180; the test loss waits and gets there ~4x later. Note the test loss
   *rising* at first, exactly with the grey lazy curve.
2. **alpha = 0.25**: the delay nearly vanishes (rich from the start). **alpha = 4**: a long plateau.
3. **eps = 0.1**: the initial kernel is better aligned with the target: faster, smaller bump.
4. **P / D = 1** (with lr_scale 10: fewer points lower the stability limit): the training set is
   fitted, the test loss never falls. **P / D = 30** (with D = 40): above the kernel threshold
   D(D+3)/2, the lazy model generalises too and the delay shrinks.
5. **N = 10 vs 5000**: width changes only the random start (w_bar0, M0), not the dynamics.
6. **lr_scale** above the sidebar's stability limit: GD blows up; below it, only the time axis scales."""
DIFFERS = """
* **Scale**: the teaching setting uses D = 50, P = 275 (P/D = 5.5 as in the paper) and a learning rate
  20x the paper's N/alpha^2, so the Fig. 1 shape appears in 5k steps instead of 100k. The *Paper*
  setting runs the paper's D = 100, P = 550, lr = N/alpha^2 and 100k steps (a few minutes on one core).
* **Simulator**: the paper trains W with JAX; here GD runs on the exact sufficient statistics
  (w_bar, M) in torch (float32), checked against plain GD on W to float64 round-off in the tests.
  The test loss is the exact population loss, not a 1000-point test set (which is ~7% noisy).
* **Lazy model**: the paper linearises with `neural_tangents`; here the linearised network is solved in
  closed form (kernel gradient descent with the initial NTK, its exact population loss).
* **Phase diagram**: 8 x 8 of the paper's 14 x 14 grid, at D = 50 and 10k steps instead of D = 100
  and 110k, with the paper's stopping rule (both losses flat to 1e-5 over 5 steps); cells whose test
  loss never crosses 0.1 are left blank.
* **Not built**: the modular-arithmetic, MNIST, transformer and student-teacher extensions (below)."""


@cache.data(max_entries=64)  # one float per (eps, P, D, N, seed)
def stable_lr(eps, P, D, N, seed) -> float:
    return gk.stable_lr_scale(gk.make_task(P, D, N, seed), eps)


def header() -> None:
    paper_header(PAPER)
    st.markdown(
        "A network can fit its training set long before it generalises: the test loss sits on a plateau, "
        "then suddenly drops (*grokking*). The paper's explanation: training starts **lazy**, where the "
        "network behaves like its linearisation (a kernel machine with the initial neural tangent kernel), "
        "fits the training points with the wrong features, and only later moves into the **rich** regime, "
        "where it learns the feature the task needs. No weight decay is involved. Below, the paper's own "
        "toy model trains live: a two-layer network with fixed readouts learning a quadratic target,")
    st.latex(r"f(x)=\frac{\alpha}{N}\sum_{i=1}^N \phi(w_i\cdot x),\qquad \phi(h)=h+\tfrac{\varepsilon}{2}h^2")
    st.latex(r"y=\tfrac12(\beta\cdot x)^2,\quad x\sim\mathcal N(0,I/D),\quad "
             r"\text{full-batch GD on the centred MSE with } \eta=\mathrm{lr}\,N/\alpha^2")
    explainers(shows=SHOWS, try_this=TRY_THIS, differs=DIFFERS)


def settings() -> dict:
    """The sidebar: the Teaching / Paper preset, the controls, and the step size's stability limit."""
    paper_setting = controls([SETTING])["setting"] == "Paper"
    values = controls(CONTROLS, disabled=("p_ratio", "D", "lr", "steps") if paper_setting else ())
    s = dict(alpha=values["alpha"], eps=values["eps"], N=values["N"], seed=values["seed"], paper=paper_setting)
    if paper_setting:
        s.update(D=PAPER_SETTING["D"], P=PAPER_SETTING["P"], lr=PAPER_SETTING["lr_scale"], steps=PAPER_SETTING["steps"])
        st.sidebar.info("Paper setting: D = 100, P = 550, lr_scale = 1, 100k steps (the greyed controls).")
    else:
        s.update(D=values["D"], lr=float(values["lr"]), steps=values["steps"])
        s["P"] = int(round(values["p_ratio"] * s["D"]))
    s["limit"] = limit = stable_lr(s["eps"], s["P"], s["D"], s["N"], s["seed"])
    st.sidebar.caption(f"P = {s['P']} training points. GD on the initial kernel is stable for lr_scale < {limit:.1f} "
                       f"here (P / largest NTK eigenvalue).")
    if s["lr"] >= limit:
        st.sidebar.warning(f"lr_scale {s['lr']:g} is above the stability limit {limit:.1f}: expect GD to oscillate "
                           "or blow up. Lower it to see the paper's dynamics.", icon=":material/warning:")
    return s


def train(s: dict):
    """The run and its two figures, cached together: rebuilding plotly figures costs ~0.2 s a rerun."""
    def compute(progress):
        run = gk.simulate(alpha=s["alpha"], eps=s["eps"], P=s["P"], D=s["D"], N=s["N"], lr_scale=s["lr"],
                          steps=s["steps"], seed=s["seed"], progress=progress)
        return run, loss_figure(run), mechanism_figure(run)
    params = tuple(s[k] for k in ("alpha", "eps", "P", "D", "N", "lr", "steps", "seed"))
    estimate = gk.estimated_seconds(s["P"], s["D"], s["steps"])
    if estimate <= LIVE_SECONDS:
        return cached(RUNS, params, compute, "Training...")
    # long runs wait for a click, so a slider drag never queues minutes of work
    label = "the paper setting" if s["paper"] else "this setting"
    result = on_request(RUNS, params, compute, f"Training {label} ({s['steps']:,} steps)...",
                        f"Run {label} (about {estimate / 60:.0f} min; changing a control stops it)"
                        if estimate > 90 else f"Run {label} (about {estimate:.0f} s)")
    if result is None:
        st.info(f"This run would take about {estimate:.0f} s on one CPU core, so it starts on request. Its result "
                "is cached: once anyone has run it with these controls, it shows at once.")
    return result


def run_metrics(run, s: dict) -> None:
    if run.diverged:
        st.error(f"GD diverged: lr_scale = {s['lr']:g} is above this data's stability limit ({s['limit']:.1f}). "
                 "Lower lr_scale in the sidebar.", icon=":material/warning:")
    cols = st.columns(5)
    cols[0].metric("train < 0.1 at step", f"{run.t_train:.0f}" if np.isfinite(run.t_train) else "never")
    cols[1].metric("test < 0.1 at step", f"{run.t_test:.0f}" if np.isfinite(run.t_test) else "never")
    cols[2].metric("grokking delay", f"{run.grokking_delay:.0f}" if np.isfinite(run.grokking_delay) else "n/a")
    cols[3].metric("final test loss", f"{run.test_loss[-1]:.3g}")
    cols[4].metric("kernel regression", f"{run.kernel_loss:.3g}", help="Exact test loss of ridge-less regression "
                   "with the initial NTK: the best the lazy model can reach.")


def train_loss_first(s: dict) -> None:
    st.header("1 · Train loss first, test loss later")
    start = time.perf_counter()
    result = train(s)
    seconds = time.perf_counter() - start
    if result is None:
        return
    run, (loss_fig, loss_data), (mechanism_fig, mechanism_data) = result
    run_metrics(run, s)
    figure(loss_fig, loss_data, "grokking_losses", caption="Blue: the network. Grey: the same network linearised at "
           "its initialisation, trained by the same GD. Dashed: kernel regression with the initial NTK.")
    st.markdown("**Why it happens.** The test loss is exactly the sum of three terms of the statistics "
                "(Q = (alpha eps (M - M0) - beta beta^T)/2). The misalignment term stays high while the "
                "network fits the data with its initial features, and falls once M turns towards beta "
                "beta^T: the NTK's alignment with the target rises at the same time, and the weights grow.")
    figure(mechanism_fig, mechanism_data, "grokking_mechanism")
    compute_note(run.params["device"], run.params["dtype"], seconds)


def goldilocks(s: dict) -> None:
    st.header("2 · Goldilocks: how much data?")
    st.markdown(f"At D = {SWEEP_D}, with the sidebar's alpha and eps, one run per P. Too little data "
                "(P ~ D) and the network never generalises; above the kernel threshold D(D+3)/2 the initial "
                "kernel already generalises, train and test fall together, and the delay shrinks. "
                "One step size serves all P (capped by the smallest P's stability limit).")
    sweep = on_request(SWEEPS, (s["alpha"], s["eps"], s["seed"]), lambda progress: gk.data_sweep(
        np.array(SWEEP_RATIOS) * SWEEP_D, alpha=s["alpha"], eps=s["eps"], D=SWEEP_D, steps=5000, seed=s["seed"], progress=progress),
        "Sweeping P...", "Run the P/D sweep (about 20-40 s)")
    if sweep is not None:
        fig, data = sweep_figure(sweep)
        figure(fig, data, "grokking_goldilocks", caption=f"5000 GD steps per run, lr_scale = {sweep.lr_scale:.1f}.")


def phase_diagram(s: dict) -> None:
    st.header("3 · Phase diagram: laziness against alignment")
    st.markdown("The paper's Fig. 3(e): the amount of grokking over an alpha x eps grid. All 64 runs train "
                "together as one batched tensor program (the grid is the batch dimension), D = 50, P = 275.")
    phase = on_request(PHASES, s["seed"], lambda progress: gk.phase_diagram(
        PD_ALPHAS, PD_EPSILONS, P=275, D=50, steps=10_000, seed=s["seed"], progress=progress),
        "Training 64 networks at once...", "Compute the 8 x 8 phase diagram (about 20-40 s)")
    if phase is not None:
        fig, data = phase_figure(phase)
        figure(fig, data, "grokking_phase_diagram", caption="Blank cells: the test loss never fell below 0.1 "
               "within 10k steps; with large alpha x eps the network fits the training set lazily and stalls.")


def beyond_the_toy_model() -> None:
    st.header("4 · Beyond the toy model")
    st.markdown("""
    The paper tests the same lazy-to-rich story in larger settings. They are not built here: the toy model
    above is where the mechanism is exact, and they are slow on a CPU (20k full-batch steps of the p = 23
    modular-addition MLP took 26 s here, and it needs 50-100k steps to grok).
    * **Modular addition** (p = 23, a two-layer MLP with x^2 activation, MSE on one-hot targets): groks
      without weight decay, and a larger output scale gives a longer delay.
    * **MNIST** (1000 images, the Omnigrok MLP): the output scale again controls the delay.
    * **One-layer transformer** on a + b mod 113 with a centred loss.
    * **Student-teacher MLP**: threshold *accuracy* can show grokking-like jumps where the *loss* is smooth,
      a warning about reading accuracy curves.""")


header()
s = settings()
train_loss_first(s)
goldilocks(s)
phase_diagram(s)
beyond_the_toy_model()
