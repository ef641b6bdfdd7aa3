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
from ui.grokking_figures import alpha_figure, loss_figure, mechanism_figure, phase_figure, sweep_figure
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
                      "lr = N/alpha^2, 100k steps (about a minute); it sets D, P/D, lr and steps.")
CONTROLS = [
    Choice("alpha", "alpha: output scale (laziness)", (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0), 2.0,
           help="Large alpha = lazy: the network behaves like its linearisation for longer."),
    Choice("eps", "eps: kernel-target alignment", (0.005, 0.01, 0.02, 0.05, 0.1, 0.2), 0.1,
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
ALPHAS = store("grokking.alpha_sweeps", max_entries=8)
OVERLAY_ALPHAS = (0.5, 1.0, 2.0, 4.0)
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
1. Defaults (alpha 2, eps 0.1): compare the grey lazy train curve with the blue test curve: the linearised
   network fits the training set while its test loss stays at the kernel level; read the sentence under the
   metrics for this run's steps.
2. **alpha = 0.25**: the delay nearly vanishes (rich from the start). **alpha = 4**: a long plateau.
   Section 2 overlays several alpha at once (the paper's Fig. 3a).
3. **eps = 0.02**: the initial kernel is less aligned with the target: the linearised model no longer fits
   the training set within 5k steps, so the network's own fit already happens in the rich regime.
4. **P / D = 1** (with lr_scale 10: fewer points lower the stability limit): the training set is
   fitted, the test loss never falls. **P / D = 30** (with D = 40): above the kernel threshold
   D(D+3)/2, the lazy model generalises too and the delay shrinks.
5. **N = 10 vs 5000**: width changes only the random start (w_bar0, M0), not the dynamics.
6. **lr_scale** above the sidebar's stability limit: GD blows up; below it, only the time axis scales."""
DIFFERS = """
* **Scale**: the teaching setting uses D = 50, P = 275 (P/D = 5.5 as in the paper) and a learning rate
  20x the paper's N/alpha^2, so the Fig. 1 shape appears in 5k steps instead of 100k. The *Paper*
  setting runs the paper's D = 100, P = 550, lr = N/alpha^2 and 100k steps (about a minute on one core).
* **Simulator**: the paper trains W with JAX; here GD runs on the exact sufficient statistics
  (w_bar, M) in torch (float32), checked against plain GD on W to float64 round-off in the tests.
  The test loss is the exact population loss, not a 1000-point test set (which is ~7% noisy).
* **Lazy model**: the paper linearises with `neural_tangents`; here the linearised network is solved in
  closed form (kernel gradient descent with the initial NTK, its exact population loss).
* **Phase diagram**: 8 x 8 of the paper's 14 x 14 grid, at D = 50 and 10k steps instead of D = 100
  and 110k, with the paper's stopping rule (both losses flat to 1e-5 over 5 steps); cells whose test
  loss never crosses 0.1 are left blank.
* **Not built**: Fig. 3(b) (the initial weight scale sigma acting like alpha; here only alpha is swept),
  Fig. 5 (labels set to the k-th eigenvector of the NTK Gram matrix: only mid-spectrum k grok), Fig. 12 (the
  loss decomposition with trained readouts; the readouts are fixed here, Fig. 4's setting), and the
  modular-arithmetic, MNIST, transformer and student-teacher extensions (below).
* **Defaults**: eps = 0.1 and alpha = 2, where the linearised model visibly fits the training set before the
  network generalises; at eps = 0.02 it does not fit within the run (see Try this #3)."""


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


def what_this_run_shows(run) -> str:
    """The lazy-to-rich story, stated from this run's numbers (including when it does not hold)."""
    n = gk.lazy_then_rich(run)
    when = lambda t: f"step {t:.0f}" if np.isfinite(t) else f"never within {n['steps']:,} steps"  # noqa: E731
    text = (f"**What this run shows.** The network's train loss is below {run.threshold:g} at {when(n['t_train'])}; "
            f"its test loss is then {n['test_at_fit']:.2f} (the linearised network's: {n['lazy_test_at_fit']:.2f}). ")
    if np.isfinite(n["lazy_fit"]):
        text += (f"The linearised network, trained by the same GD, fits the training set too (train below "
                 f"{run.threshold:g} at step {n['lazy_fit']:.0f}) while its test loss stays at {n['lazy_test_end']:.2f}, "
                 f"the kernel-regression level {n['kernel_loss']:.2f}: a fit with the initial, wrong features. ")
    else:
        text += (f"The linearised network does not fit the training set within {n['steps']:,} steps (its train loss "
                 f"ends at {n['lazy_train_end']:.2f}), so here the network's own fit already happens in the rich "
                 "regime, not lazily. ")
    text += f"The network's test loss falls below {run.threshold:g} at {when(n['t_test'])}"
    if n["lazy_fits_first"]:
        return text + ": after the lazy fit, once it has left the kernel regime and learned the feature."
    return text + ("." if not np.isfinite(n["lazy_fit"]) else
                   ", before the linearised network has even fitted: at this setting the network leaves the lazy "
                   "regime before a lazy fit could happen.")


def train_loss_first(s: dict) -> None:
    st.header("1 · Train loss first, test loss later")
    start = time.perf_counter()
    result = train(s)
    seconds = time.perf_counter() - start
    if result is None:
        return
    run, (loss_fig, loss_data), (mechanism_fig, mechanism_data) = result
    run_metrics(run, s)
    if not run.diverged:
        st.markdown(what_this_run_shows(run))
    figure(loss_fig, loss_data, "grokking_losses", caption="Blue: the network. Grey: the same network linearised at "
           "its initialisation, trained by the same GD. Dashed: kernel regression with the initial NTK.")
    st.markdown("**Why it happens.** The test loss is exactly the sum of three terms of the statistics "
                "(Q = (alpha eps (M - M0) - beta beta^T)/2). The misalignment term stays high while the "
                "network fits the data with its initial features, and falls once M turns towards beta "
                "beta^T: the NTK's alignment with the target rises at the same time, and the weights grow.")
    a = gk.alignment_change(run)
    figure(mechanism_fig, mechanism_data, "grokking_mechanism", caption=(
        f"The alignment (right, axis from 0) moves from {a['start']:.3f} to {a['end']:.3f}, an absolute change of "
        f"{a['change']:+.3f}; the ideal rich solution (M - M0 = beta beta^T / (alpha eps), the target exactly) has "
        f"{a['ideal']:.3f}, so the run covers {a['fraction']:.0%} of the way there. Kernel-target alignment is small "
        "in absolute terms for this quadratic target even at the solution.") if np.isfinite(a["end"]) else None)
    compute_note(run.params["device"], run.params["dtype"], seconds)


def alpha_overlay(s: dict) -> None:
    st.header("2 · Lazier takes longer: several alpha at once")
    st.markdown(f"The paper's Fig. 3(a): the same data and initialisation, eps = {s['eps']:g}, trained at alpha = "
                f"{', '.join(f'{a:g}' for a in OVERLAY_ALPHAS)} (lr = lr_scale N / alpha^2 each, so all share one "
                "lazy limit), as one batched run.")
    params = (OVERLAY_ALPHAS, s["eps"], s["P"], s["D"], s["N"], s["lr"], s["seed"])
    sweep = on_request(ALPHAS, params, lambda progress: gk.alpha_sweep(
        OVERLAY_ALPHAS, eps=s["eps"], P=s["P"], D=s["D"], N=s["N"], lr_scale=s["lr"], steps=5000, seed=s["seed"],
        progress=progress), "Training one network per alpha...", "Overlay several alpha (about 10-30 s)")
    if sweep is None:
        return
    fig, data = alpha_figure(sweep)
    delays = ", ".join(f"alpha {a:g}: {d:.0f}" if np.isfinite(d) else f"alpha {a:g}: test never < 0.1"
                       for a, d in zip(sweep.alphas, sweep.amount))
    figure(fig, data, "grokking_alpha_overlay", caption=f"5000 GD steps, lr_scale = {s['lr']:g}. Grokking delay "
           f"(steps from train < 0.1 to test < 0.1): {delays}.")


def goldilocks(s: dict) -> None:
    st.header("3 · Goldilocks: how much data?")
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
    st.header("4 · Phase diagram: laziness against alignment")
    st.markdown("The paper's Fig. 3(e): the amount of grokking over an alpha x eps grid. All 64 runs train "
                "together as one batched tensor program (the grid is the batch dimension), D = 50, P = 275.")
    phase = on_request(PHASES, s["seed"], lambda progress: gk.phase_diagram(
        PD_ALPHAS, PD_EPSILONS, P=275, D=50, steps=10_000, seed=s["seed"], progress=progress),
        "Training 64 networks at once...", "Compute the 8 x 8 phase diagram (about 20-40 s)")
    if phase is not None:
        fig, data = phase_figure(phase)
        figure(fig, data, "grokking_phase_diagram", caption=blank_caption(phase))


def blank_caption(phase) -> str:
    """What each blank cell is, counted from the diagram itself."""
    parts = []
    for kind, mask in gk.blank_cells(phase).items():
        if mask.any():
            tests = phase.final_test[mask]
            where = (f", final test loss {np.nanmin(tests):.2f}-{np.nanmax(tests):.2f} (it started at "
                     f"{phase.initial_test:.2f})" if np.isfinite(tests).any() else "")
            parts.append(f"{int(mask.sum())} {kind}{where}")
    if not parts:
        return "No blank cells: every run's train and test loss fell below 0.1."
    return ("Blank cells have no amount of grokking because the test loss never fell below 0.1: "
            + "; ".join(parts) + ". 'Converged' is the paper's stopping rule (both losses flat to 1e-5 over 5 "
            "steps, test below its start): those runs partly generalised, then stopped improving.")


def beyond_the_toy_model() -> None:
    st.header("5 · Beyond the toy model")
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
alpha_overlay(s)
goldilocks(s)
phase_diagram(s)
beyond_the_toy_model()
