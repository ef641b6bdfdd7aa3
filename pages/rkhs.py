"""RKHS view of augmentation-based SSL (Zhai et al., ICLR 2024): the page.

Widgets, layout, plots and text only; the compute is core/rkhs/, the figures ui/rkhs_figures.py. The
sections run top to bottom, in the order of the calls at the end of this module.
"""
import time

import numpy as np
import streamlit as st

from core.rkhs import augmentation, digits, encoder, hypercube, kernel, regression
from core.rkhs.hypercube import SettingsError
from core.rkhs.targets import Target, isometry
from core.registry import by_slug
from ui import cache
from ui.conventions import Choice, Slider, compute_note, controls, explainers, figure, paper_header
from ui.jobs import on_request, store
from ui.navigation import use_app_navigation
from ui.rkhs_figures import (curves_figure, digits_figure, encoder_figure, graph_figure, kappa_figure, kernel_figure,
                             kyfan_mix_figure, spectrum_figure, ucurve_figure)

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("rkhs")
ALPHAS = (0.05, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995)   # the reference notes' grid
NS = (15, 30, 60, 120, 240)
DS = (1, 3, 6, 11, 20, 30, 45, 56, 70, 100, 150)
CONTROLS = [
    Slider("m", "m: bits per string (sections 1, 2, 4)", 1, hypercube.MAX_M, 4, 1,
           help="x in {0,1}^m: 2^m strings, 3^m masked views. The graph is drawn for m <= 4."),
    Slider("alpha", "alpha: probability that a bit is masked", 0.05, 0.95, 0.5, 0.05,
           help="Each bit is replaced by M independently with this probability. Larger = stronger augmentation."),
    Slider("seed", "seed (training sets, encoder, Monte Carlo)", 0, 99, 0, 1),
]
TASK = [Choice("m_task", "m for the downstream task", (6, 8, 10), 10),
        Slider("n", "n: labelled examples", 10, 400, 60, 10),
        Slider("noise", "label noise sigma", 0.0, 1.0, 0.1, 0.05),
        Slider("w_lin", "weight of the linear part", 0.0, 1.0, 0.75, 0.05),
        Slider("w_pair", "weight of chi_{01} (degree 2)", 0.0, 1.0, 0.5, 0.05),
        Slider("w_high", "weight of the high-degree term", 0.0, 1.0, 0.2, 0.05),
        Slider("k_high", "degree of the high-degree term", 3, 10, 4, 1)]
REPS = 20
DIGIT_ALPHAS = (0.05, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
DIGITS = store("rkhs.digits", max_entries=16)   # a few dozen floats per seed


SHOWS = """
* **Augmentation defines the geometry**: the augmentation operator Gamma, (Gamma f)(a) = E[f(X) | A = a],
  induces the kernel K_X and its RKHS; contrastive, non-contrastive and masked-modelling objectives all learn
  the **top-d eigenspace** of Gamma* Gamma (RKHS approximation).
* **Isometry (Assumption 1)**: a target f* = Gamma* g* with g* nearly invariant to augmentation lies near the
  top of the spectrum.
* **Two bounds free of model complexity**: any encoder: estimation error (the probe's RKHS regression, growing
  with kappa^2) + approximation error (controlled by eps / (1 - lambda_(d+1)) and the trace gap); a
  near-optimal encoder: no eigengap needed.
* **Augmentation complexity** kappa^2 = sup_x K_X(x, x) compares augmentations: for masking on the hypercube
  it is (2 - alpha)^m, exponential in m; a **sweet spot** in augmentation strength balances the two errors."""
TRY_THIS = """
1. Section 1 at m = 3: hover the graph; push **alpha** up and watch the off-diagonal of K_X fill in and the
   staircase flatten to 1 and (1 - alpha)^s.
2. Section 2 with **alpha = 0.8**: the gap 1 - alpha vs (1 - alpha)^2 is small next to 1; does the encoder
   still reach 5 degrees in 400 steps? Try another **seed**, then 1000 or 2000 **steps**.
3. Section 3 with **n = 400**: the estimation error shrinks and the sweet spot moves to weaker masking (more
   labels can afford a larger kappa). Set **w_high = 0**: strong masking costs less without the degree-4 term.
4. Section 3, the d curve: the probe's error spikes near **d = n** (least squares interpolates) and falls again.
5. Section 4 with m = 10, alpha = 0.65 and 100 views: the estimate is often off by 15-25 % (try a few seeds)."""
DIFFERS = """
* **The paper's toy, not its experiments**: the paper is mostly theory; its numbers are kappa for masking (closed
  form, as here) and a Monte-Carlo kappa for BERT on wikipedia-simple (described in section 5, not run).
* **The sweet spot is measured with KRR on K_X** (ridge 1e-3 on the RKHS norm), the paper's RKHS regression with
  the exact kernel; the dashed bound terms are shapes (kappa^2 / n; the KRR bias with unlimited data), not the
  paper's Theorem 1 with its constants. The probe bound eps |g*|^2 / (1 - lambda_(d+1)) is derived here.
* **The encoder** is a 2-layer MLP (width 64) on m <= 6 bits, 400 Adam steps with cosine decay, batch 128: an
  illustration added here, not one of the paper's experiments. Its span is measured on Gamma* f, the paper's map back to the data.
* **Targets** are Walsh polynomials chosen on this page (default f* = linear + 0.5 chi_01 + 0.2 chi_S, |S| = 4,
  from the reference notes; the linear coefficients are this page's choice).
* **Digits** (section 5): P_X is the empirical distribution of 500 binarised digits, K_X is estimated with 32
  masks per digit and clipped to be positive semi-definite; pretraining (the kernel, its eigenvectors) sees all
  500 digits unlabelled, the probes learn from 100 labels and are tested on the other 400."""


# ----------------------------------------------------------------------------- cached compute (bounded)

@cache.data(max_entries=8)  # up to 8 MB each (m = 10: a 1024 x 1024 kernel and its spectrum)
def kernel_view(m, alpha):
    K, W = kernel.masking_kernel(m, alpha), hypercube.walsh(m)
    residual = np.abs(K @ W / 2 ** m - W * kernel.staircase_expanded(m, alpha)).max()   # K chi_S = lambda_S chi_S
    return K, kernel.operator_spectrum(m, alpha), kernel.staircase_expanded(m, alpha), residual


@cache.data(max_entries=32)  # a few hundred floats and the (2^m, d) features, m <= 6
def trained_encoder(m, alpha, seed, steps):
    return encoder.train_encoder(m=m, alpha=alpha, seed=seed, steps=steps)


@cache.data(max_entries=32)  # ten floats per (m, d, alpha)
def ky_fan_mix(m, alpha, d, seed):
    turns = np.arange(0, 91, 10)
    return turns, np.array([encoder.random_subspace_ky_fan(m, alpha, d, np.radians(t), seed) for t in turns])


@cache.data(max_entries=64)  # a few arrays of ten floats
def downstream(m, n, noise, target, seed):
    return regression.alpha_sweep(ALPHAS, m, n, noise, REPS, seed, target)


@cache.data(max_entries=64)  # five floats per curve
def sample_sizes(m, alpha, best, noise, target, seed):
    curves = regression.sample_size_sweep(NS, alpha, m, noise, 10, seed, target)
    best_curve = regression.sample_size_sweep(NS, best, m, noise, 10, seed, target, degrees=())
    return curves | {f"KRR at the sweet spot alpha = {best:g}": best_curve["KRR with K_X"]}


@cache.data(max_entries=64)  # eleven floats
def dimensions(m, n, noise, target, seed):
    return regression.dimension_sweep([d for d in DS if d <= 2 ** m], m, n, noise, 10, seed, target)


@cache.data(max_entries=16)  # 10 estimates + two running arrays of n_aug floats (1.6 MB at 100k)
def monte_carlo(m, alpha, n_aug, seed):
    grid = np.round(np.linspace(0.05, 0.95, 10), 2)
    samples = [augmentation.kappa2_samples(m, a, n_aug, seed) for a in grid]
    here = augmentation.kappa2_samples(m, alpha, n_aug, seed)
    return (grid, [kernel.kappa2(m, a) for a in grid], [s.mean() for s in samples],
            [s.std(ddof=1) / np.sqrt(n_aug) for s in samples], *augmentation.running_estimate(here))


# ----------------------------------------------------------------------------- sections

def header() -> dict:
    paper_header(PAPER)
    st.markdown(
        "Contrastive learning and masked modelling never see a label. What do they learn? This paper's answer: "
        "the **augmentation defines a kernel** on the data, and pretraining learns the **top eigenspace** of "
        "that kernel's operator (RKHS approximation); a linear probe on top then does **RKHS regression**. "
        "For a mask augmentation a ~ p(a|x) with marginal p(a):")
    st.latex(r"K_X(x,x')=\sum_a \frac{p(a\mid x)\,p(a\mid x')}{p(a)},\qquad \kappa^2=\sup_x K_X(x,x),"
             r"\qquad \text{test error}\lesssim\underbrace{\text{estimation}(\kappa^2, d, n)}_{\text{RKHS regression}}"
             r"+\underbrace{\text{approximation}(\epsilon,\lambda_{d+1})}_{\text{RKHS approximation}}")
    st.markdown("Everything below runs the paper's own toy: bit strings x in {0,1}^m, each bit masked "
                "independently with probability alpha, where every quantity has a closed form to check against.")
    explainers(shows=SHOWS, try_this=TRY_THIS, differs=DIFFERS)
    return controls(CONTROLS)


def augmentation_kernel(v: dict) -> None:
    st.header("1 · The augmentation is a kernel")
    m, alpha = v["m"], v["alpha"]
    start = time.perf_counter()
    K, computed, stairs, residual = kernel_view(m, alpha)
    if m <= 4:
        figure(*graph_figure(augmentation.augmentation_graph(m, alpha)), "rkhs_graph",
               caption="Each string connects to the 2^m views that mask some of its bits, with weight p(a|x) = "
                       "alpha^#M (1 - alpha)^(m - #M); darker views have more masks. Hover a node for its string.")
    else:
        st.info(f"The graph is drawn for m <= 4; at m = {m} it has {2 ** m:,} strings and {3 ** m:,} masked views.")
    st.markdown("Two strings are similar when they share views: summing p(a|x) p(a|x') / p(a) over the views "
                "gives, bit by bit, K_X(x, x') = prod_j [alpha + 2 (1 - alpha) 1{x_j = x'_j}], a function of the "
                "Hamming distance only.")
    left, right = st.columns(2)
    with left:
        figure(*kernel_figure(K, m), "rkhs_kernel")
    with right:
        figure(*spectrum_figure(computed, stairs, alpha), "rkhs_spectrum",
               caption="Eigenfunctions: the Walsh characters chi_S(x) = prod_{j in S} (2 x_j - 1), eigenvalue "
                       "(1 - alpha)^|S| with multiplicity C(m, |S|). Low degree = top of the spectrum.")
    cols = st.columns(4)
    cols[3].metric("max |K chi_S / 2^m - lambda_S chi_S|", f"{residual:.1e}", help="The Walsh characters are the "
                   "eigenfunctions: each one, pushed through the integral operator, comes back scaled.")
    cols[0].metric("kappa^2 = max K_X(x, x)", f"{K.diagonal().max():.4g}", help="(2 - alpha)^m in closed form.")
    cols[1].metric("sum of eigenvalues", f"{computed.sum():.4g}", help="= kappa^2 here: K_X(x, x) is constant.")
    cols[2].metric("max |computed - staircase|", f"{np.abs(computed - stairs).max():.1e}")
    compute_note(None, "float64", time.perf_counter() - start)   # the kernel, its spectrum and the graph


def pretraining(v: dict) -> None:
    st.header("2 · Pretraining = RKHS approximation: the encoder finds the top eigenspace")
    m, alpha = min(max(v["m"], 2), hypercube.MAX_GRAPH_M), v["alpha"]
    if m != v["m"]:
        why = ("with one bit, d = 1 + m = 2 would be the whole space." if m == 2 else
               f"its span is measured on all {3 ** m:,} masked views, which grow as 3^m.")
        st.info(f"The encoder trains at m = {m}: {why}")
    steps = controls([Choice("steps", "encoder training steps", (400, 1000, 2000), encoder.DEFAULT_STEPS,
                             help="More steps help at strong masking, where the eigengap is small.")],
                     where=st)["steps"]
    run = trained_encoder(m, alpha, v["seed"], steps)
    st.markdown(
        f"A 2-layer MLP f reads a masked view (kept bit -> +-1, mask -> 0) and outputs d = {run.d} numbers. It "
        f"trains for {run.steps[-1]} steps on batches of 128 sampled pairs with the spectral contrastive loss "
        "L(f) = -2 E[f(a)^T f(a+)] + E[(f(a)^T f(a'))^2] (two views of one x attract, views of independent x "
        f"repel). Mapped back to the data, (Gamma* f)(x) = E[f(A) | X = x] should span the top-{run.d} "
        f"eigenspace: the constant and the {m} linear characters 2 x_j - 1.")
    reached = run.steps_to(5.0)
    gap = alpha * (1 - alpha)
    verdict = (f"every principal angle is below 5 degrees from step {reached} on (final: {run.max_angle[-1]:.1f})"
               if reached is not None else
               f"the largest principal angle is still {run.max_angle[-1]:.1f} degrees after {run.steps[-1]} steps "
               f"(lambda_d = {1 - alpha:.2f} against lambda_(d+1) = {(1 - alpha) ** 2:.2f}: the gap {gap:.2f} that "
               "singles out the right span is largest, 0.25, at alpha = 0.5)")
    st.markdown(f"Here {verdict}. The Ky-Fan trace ends at {run.ky_fan[-1]:.3f} against the optimum "
                f"{run.optimal_ky_fan:.3f} (a random {run.d}-dimensional encoder: {run.random_ky_fan:.3f} on average).")
    figure(*encoder_figure(run), "rkhs_encoder", caption="Angles between span(Gamma* f) and the top-d Walsh "
           "space (scipy.linalg.subspace_angles); the trace uses L2(P_X)-orthonormalised features.")
    compute_note(run.device, "float32", run.seconds)
    turns, traces = ky_fan_mix(v["m"], alpha, 1 + v["m"], v["seed"])
    figure(*kyfan_mix_figure(turns, traces, traces[0], (1 + v["m"]) * kernel.kappa2(v["m"], alpha) / 2 ** v["m"]),
           "rkhs_kyfan", caption=f"At m = {v['m']}: the trace of the encoder spanned by cos(t) W + sin(t) R (W the "
           "top-d Walsh features, R random), the quantity the paper's trace gap compares with its maximum.")


def downstream_section(v: dict) -> None:
    st.header("3 · Downstream = RKHS regression: the sweet spot in augmentation strength")
    st.markdown("A target f* mixes Walsh terms of low and high degree: f* = w_lin sum_j (-1)^j chi_j / sqrt(m) + "
                "w_pair chi_{01} + w_high chi_S with |S| = k. Kernel ridge regression with K_X (ridge 1e-3 on the "
                f"RKHS norm) learns it from n noisy labels; test MSE against f* on all 2^m strings, {REPS} training "
                "sets per point, the same sets for every alpha.")
    cols = st.columns(4)
    t = controls(TASK[:2], where=cols[0]) | controls(TASK[2:4], where=cols[1]) | controls(TASK[4:6], where=cols[2])
    t |= controls(TASK[6:], where=cols[3])
    m, target = t["m_task"], Target(t["w_lin"], t["w_pair"], t["w_high"], t["k_high"])
    if not (t["w_lin"] or t["w_pair"] or t["w_high"]):
        st.warning("All three weights are 0: f* = 0 and there is nothing to learn. Raise one of them.")
        return
    try:
        start = time.perf_counter()
        sweep = downstream(m, t["n"], t["noise"], target, v["seed"])
    except SettingsError as err:
        st.error(f"This target cannot be built: {err}.", icon=":material/error:")
        return
    best, mse = sweep.alphas[sweep.best], sweep.mse
    inside = 0 < sweep.best < len(mse) - 1
    figure(*ucurve_figure(sweep, v["alpha"]), "rkhs_ucurve", caption="Dashed and dotted: the two terms of the "
           "paper's bound as computable shapes (constants omitted, not the paper's): kappa^2 / n falls with alpha; "
           "the bias of KRR with unlimited data rises as the target's eigenvalues (1 - alpha)^|S| shrink.")
    st.markdown(
        f"Measured: the error is lowest at **alpha = {best:g}** (MSE {mse[sweep.best]:.3f}, kappa = "
        f"{np.sqrt(sweep.kappa2[sweep.best]):.2f}), against {mse[0]:.3f} at alpha = {sweep.alphas[0]:g} (kappa = "
        f"{np.sqrt(sweep.kappa2[0]):.1f}: weak masking, estimation error; Var f* = {sweep.target_variance:.3f}) and "
        f"{mse[-1]:.3f} at alpha = {sweep.alphas[-1]:g} (strong masking: the eigenvalues of f*'s terms vanish). "
        + ("A sweet spot strictly inside the range, as the paper argues." if inside else
           "Here the minimum sits at the edge of the range: no sweet spot for this target and n."))
    n_curves = sample_sizes(m, v["alpha"], best, t["noise"], target, v["seed"])
    left, right = st.columns(2)
    with left:
        figure(*curves_figure(n_curves["n"], {k: c for k, c in n_curves.items() if k != "n"},
                              f"Against n at alpha = {v['alpha']:g}", "n"), "rkhs_n")
    ds = [d for d in DS if d <= 2 ** m]
    with right:
        figure(*curves_figure(ds, {"probe on the top-d encoder": dimensions(m, t["n"], t["noise"], target, v["seed"])},
                              f"Against d at n = {t['n']}", "d", marker=(t["n"], "d = n")), "rkhs_d")
    probe_bounds(m, v["alpha"], target)
    compute_note(None, "float64", time.perf_counter() - start)


def probe_bounds(m: int, alpha: float, target: Target) -> None:
    eps, norm_g = isometry(target, m, alpha)
    rows = [(k, *regression.probe_approximation(target, m, alpha, k)) for k in (1, 2, 3)]
    st.markdown(
        f"The top-d encoders here are the Walsh polynomials of degree <= k (d = 1 + m, ...): with masking their "
        f"**span does not depend on alpha**, only the eigenvalues do. Assumption 1 for this target at alpha = "
        f"{alpha:g}: eps = {eps:.3f}, |g*|^2 = {norm_g:.3g}. The approximation residual of a degree-<=k encoder "
        "against its bound eps |g*|^2 / (1 - lambda_(d+1)): " + "; ".join(
            f"k = {k}: {r:.3f} <= {b:.3g}" for k, r, b in rows) + (
            f". The bound holds, at {min(b / max(r, 1e-12) for _, r, b in rows):.0f} times the residual or more."
            if all(r <= b for _, r, b in rows) else ". The bound fails here: a bug to report."))


def complexity(v: dict) -> None:
    st.header("4 · Augmentation complexity kappa: exact, and as the paper estimates it")
    m, alpha = v["m"], v["alpha"]
    n_aug = controls([Choice("n_aug", "augmentations sampled per estimate", (100, 1000, 10_000, 100_000), 1000)],
                     where=st)["n_aug"]
    start = time.perf_counter()
    grid, exact, mc, se, mean, run_se = monte_carlo(m, alpha, n_aug, v["seed"])
    figure(*kappa_figure(grid, exact, mc, se, n_aug, mean, run_se, kernel.kappa2(m, alpha), alpha), "rkhs_kappa",
           caption="Each Monte-Carlo term is p(a|x) / p(a) for a sampled view a of x; on the hypercube it equals "
                   "2^(#kept bits). Dashed: the exact (2 - alpha)^m.")
    rel = augmentation.relative_std(m, alpha)
    exact_here = kernel.kappa2(m, alpha)
    st.markdown(
        f"At m = {m}, alpha = {alpha:g}: exact kappa^2 = {exact_here:.4g}; the estimate from {n_aug:,} views is "
        f"{mean[-1]:.4g} ({100 * (mean[-1] / exact_here - 1):+.1f} %). One term's relative standard deviation is "
        f"{rel:.2f}, so a 1 % error needs about {(rel / 0.01) ** 2:,.0f} views, and the spread grows like "
        f"((4 - 3 alpha) / (2 - alpha)^2)^(m/2) with m. kappa^2 itself grows like (2 - alpha)^m: for 512 bits "
        f"masked at BERT's rate, alpha = 0.15, it would be 10^{512 * np.log10(2 - 0.15):.0f}.")
    compute_note(None, "float64", time.perf_counter() - start)


def real_digits(v: dict) -> None:
    st.header("5 · Real data: binarised digits")
    st.markdown("scikit-learn's 8x8 digits, pixel > 8 -> 1: 500 strings of 64 bits with their own P_X, masked the "
                "same way. No closed form now: K_X(x, x') = E_a[p(a|x') / p(a)] is estimated by Monte Carlo over 32 "
                "masks per digit (the paper's kappa estimator, run for every pair), then KRR and a top-20 probe "
                "classify the digits from n = 100 labels.")
    start = time.perf_counter()
    result = on_request(DIGITS, (DIGIT_ALPHAS, v["seed"]),
                        lambda progress: digits.sweep(DIGIT_ALPHAS, seed=v["seed"], progress=progress),
                        "Estimating the digits kernel...", "Run the digits view (a few seconds)")
    if result is None:
        return
    krr, probe = result.krr_accuracy, result.probe_accuracy
    st.markdown(
        f"Weak masking (alpha = {result.alphas[0]:g}): kappa^2 = {result.kappa2[0]:.0f} = N, no two digits share a "
        f"view, and KRR reaches {krr[0]:.0%}. The best KRR accuracy is {krr.max():.0%} at alpha = "
        f"{result.alphas[krr.argmax()]:g}, the best probe {probe.max():.0%} at alpha = "
        f"{result.alphas[probe.argmax()]:g}; at alpha = {result.alphas[-1]:g} they are {krr[-1]:.0%} and "
        f"{probe[-1]:.0%}.")
    figure(*digits_figure(result), "rkhs_digits")
    compute_note(None, "float64", time.perf_counter() - start)


def beyond_the_toy() -> None:
    st.header("6 · Beyond the toy: masked language models")
    st.markdown(
        "The paper's Section 5 applies the same Monte-Carlo estimator of kappa to BERT-style masking on "
        "**wikipedia-simple**: sample masked sentences a of x and average p(a|x) / p(a). That experiment needs "
        "the corpus (and BERT-scale vocabularies), so it is **not run here** (no downloads). What it found, as "
        "the reviewers summarised it: kappa for real masking is astronomically "
        "large (they quote about 10^100), so the bounds are vacuous as numbers; the theory's value is qualitative: "
        "stronger masking lowers kappa, too strong masking erases the signal, and masking pretraining favours "
        "low-order interactions (the top of the staircase in section 1).")



values = header()
augmentation_kernel(values)
pretraining(values)
downstream_section(values)
complexity(values)
real_digits(values)
beyond_the_toy()
