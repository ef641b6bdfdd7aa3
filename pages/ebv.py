"""Equiangular Basis Vectors (Shen, Sun, Wei, CVPR 2023): the page.

Widgets, layout, plots and text only; the compute is core/ebv/, the figures ui/ebv_figures.py. The sections run
top to bottom, in the order of the calls at the end of this module.
"""
import numpy as np
import pandas as pd
import streamlit as st

from core import assets
from core import ebv as core_ebv
from core.ebv import experiments, reference
from core.registry import by_slug
from ui import cache
from ui.conventions import Choice, Slider, Toggle, compute_note, controls, explainers, figure, paper_header
from ui.ebv_figures import (HEAD_LABELS, angle_histogram, cosine_matrices, history_figure, seeds_figure,
                            sphere_figure, summary_table, sweep_figure)
from ui.jobs import cached, on_request, store
from ui.navigation import use_app_navigation

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("ebv")
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)
STARTS = ("random", "qr")
CONTROLS = [
    Slider("n", "N: number of vectors (classes)", 2, 500, 100, 1),
    Slider("d", "d: dimension of the space", 2, 256, 32, 1),
    Slider("alpha", "alpha: wanted max |cos|", 0.0, 0.95, 0.2, 0.005, format="%.3f",
           help="The stopping test: every pair of EBVs has |cos| <= alpha + 1e-4."),
    Choice("lr", "lr (plain SGD, as official)", LRS, 1e-2, help="The official default is 1e-3."),
    Choice("steps", "step cap", (100, 500, 1000, 2000, 5000), 2000, help="The official cap is 100 000."),
    Slider("seed", "seed", 0, 99, 0, 1),
    Choice("init", "start", STARTS, "random", radio=True,
           help="random: normalised Gaussian rows (official). qr: orthonormal rows from a QR factorisation (N <= d "
                "only; not in the official code)."),
    Toggle("unstall", "Un-stall collapsed pairs (departs from the official code)", False,
           help="Re-draw one row of any pair with |cos| > 0.99 as a fresh random vector (section 2 says why)."),
]
LINES = [Choice("lines_alpha", "alpha", (0.40, 0.447, 0.45, 0.46, 0.5), 0.46,
                help="1/sqrt(5) = 0.4472 is the best 6 lines in R^3 can do (icosahedron diagonals)."),
         Slider("lines_seed", "seed", 0, 99, 0, 1),
         Toggle("remedy", "Remedy: re-draw a row of a collapsed pair (not in the official code)", False)]
SURVEY_CAP = 1000                                     # steps per run in the seeds 0-9 table
RUNS = store("ebv.generate", max_entries=16)          # one run: N x d floats + a few x steps floats, < 1 MB
LIVE = store("ebv.live_training", max_entries=2)      # a few small tables

SHOWS = """
* **A fixed classifier works as well as a trained one.** ResNet-50 on ImageNet with AdamW: fixed EBVs (d = 1000)
  77.14 / 77.52 % top-1 (settings 1 / 2) against 73.79-74.03 / 76.48 % for the trainable 1000-way FC + softmax; with
  SGD the EBV head reaches 78.73 % (official logs; table in section 6).
* **d can be much smaller than N**: with N = 1000 classes, d = 100 still gives 76.83 % (79.25 % with longer training),
  and accuracy hardly moves once d >= 300. The classifier's parameters do not grow with the number of classes.
* **How the EBVs are made**: projected SGD on the sphere minimising the hinge sum of |cos| above alpha, stopping when
  every pair is within alpha + 1e-4. For N > d the Welch bound limits how small alpha can be.
* **IJCV extension**: EBVs for new classes are appended, the old ones kept, and COCO/ADE20K heads work the same way."""
TRY_THIS = """
1. Defaults (N 100, d 32, alpha 0.2, lr 1e-2): the max |cos| meets alpha after 110 steps (1.37x the Welch bound).
2. **alpha 0.14**: below the Welch bound 0.1465 for N 100, d 32: the run can never meet the test (and says so).
   Alpha 0.17 (1.16x Welch), step cap 5 000: allowed by the bound, yet not met; the max |cos| stays near 0.21 (lr
   1e-3) or 0.24 (lr 1e-2), worse than the 0.2 that alpha 0.2 reaches. At alpha 0.161 (1.1x) it never falls
   below 0.54. With most pairs above alpha the loss is a plain sum of |cos| (an L1 penalty), which is as glad to
   push many pairs to 90° as to shrink the largest one: look at the angle histogram.
3. **N 10, d 10, alpha 0**: the official random start oscillates at |cos| ~ 4 lr; switch **start** to QR.
4. Section 2: seeds 0, 1, 4, 5, 9 stall with the official update; switch the remedy on. Then alpha 0.40 or 0.447.
5. **N 300, d 32, alpha 0.234** (1.4x Welch): a pair collapses (max |cos| ~1.0 at lr 1e-3 and 1e-2); the un-stall
   toggle brings it to 0.385 at lr 1e-2, and **alpha 0.30** converges in 40 steps. With **lr 0.1** every vector falls
   onto one line (mean |cos| 1.0): each step sums a push from every pair above alpha, so it grows with N.
6. Section 3: compare the FC head's parameter count on 10 vs 144 classes with the EBV head's."""
DIFFERS = """
* **Scale**: the EBVs here are N <= 500 in d <= 256 (paper: N = 1000, d = 100-2000, GPU, up to 100 000 steps); the
  classifiers are a two-conv CNN (24-73 k trainable parameters) trained for 6-15 epochs with Adam on MNIST-5k
  (14 x 14) and a 144-class procedural shapes set, not ResNet-50/Swin-T on ImageNet for 105-605 epochs with SGD, mixup,
  cutmix, TrivialAugment and random erasing.
* **Same loss on both heads**: label smoothing 0.1 for FC and EBV alike, so only the head differs (the paper's FC
  baselines ran other settings). EBVs for a training run: exact QR-orthonormal rows when N <= d, else the official
  SGD at the smallest alpha in 1.3, 1.4, ... x Welch that converges in 3 000 steps.
* **Not in the official code**: the un-stall remedy and the QR start (both off by default, both labelled).
* **The gradient is written out** (2 S W, S = sign(W W^T) on the pairs above alpha): the same step as the official
  autograd SGD (checked to float round-off); 13x less CPU at N 6, d 3, 2.8x at N 100, d 32, about even at N 1000.
* **Not run**: COCO detection, ADE20K segmentation, the 100 000-class set; their logged numbers are in section 6."""


@cache.resource(1)  # the shipped results: two small files
def shipped():
    return assets.json_file("ebv", "runs.json"), assets.npz("ebv", "cosines.npz")


def shipped_part(name: str):
    """One part of the shipped results, or None with a note saying how to make it."""
    try:
        runs, cosines = shipped()
    except assets.MissingAsset as err:
        st.warning(str(err))
        return None
    if name not in runs:
        st.warning(f"assets/ebv/runs.json has no '{name}' part yet: run `python scripts/train_ebv.py`.")
        return None
    return runs[name], runs, cosines


@cache.resource(48, ttl=cache.TTL_SECONDS)  # built (figure, data) pairs, < 0.2 MB each at the default N, shared
def built(name: str, key, _make):           # read-only: a rerun reuses them instead of rebuilding every figure
    return _make()


@cache.data(max_entries=16, spinner="Seeds 0-9, official update and remedy...")  # a 10-row table
def survey(alpha: float, steps: int) -> pd.DataFrame:
    return pd.DataFrame(core_ebv.seed_survey(6, 3, alpha, 1e-2, steps))


def run_generation(n, d, alpha, lr, steps, seed, init, unstall):
    key = (n, d, alpha, lr, steps, seed, init, unstall)
    # In a container of its own: the progress box a miss draws stays inside it, so the elements after it keep
    # their places and the browser does not rebuild every chart below when the next rerun is a hit.
    with st.container():
        E, info = cached(RUNS, key, lambda p: core_ebv.generate(n, d, alpha, lr, steps, seed, init=init,
                                                                unstall=unstall, progress=p),
                         f"Projected SGD on {n} vectors in R^{d}...")
    return E, info, key


def header() -> dict:
    paper_header(PAPER)
    st.markdown(
        "A classifier's last layer is usually a trained N-way linear map followed by softmax: its size grows with "
        "the number of classes N. **Equiangular Basis Vectors** replace it with N *fixed* unit vectors in R^d, made "
        "once, before training, to be as close to orthogonal as possible. The network maps an image to a unit "
        "vector and learns to point it at its class's EBV; prediction is the nearest EBV by cosine. The EBVs come "
        "from projected SGD on the sphere:")
    st.latex(r"\min_{W\in\mathbb R^{N\times d}}\ \sum_{i\neq j}\max\big(0,\ |\langle w_i,w_j\rangle|-\alpha\big)"
             r"\quad\text{s.t. } \|w_i\|=1,\qquad \text{stop when } \max_{i\neq j}|\cos|\le\alpha+10^{-4}")
    st.latex(r"\text{Welch bound (}N>d\text{): } \max_{i\neq j}|\cos|\ \ge\ \sqrt{\frac{N-d}{d\,(N-1)}}")
    explainers(shows=SHOWS, try_this=TRY_THIS, differs=DIFFERS)
    return controls(CONTROLS)


def generation(v: dict) -> None:
    st.header("1 · Making EBVs: the official projected SGD, live")
    n, d, alpha = v["n"], v["d"], float(v["alpha"])
    welch = core_ebv.welch_bound(n, d)
    try:
        core_ebv.check_settings(n, d, alpha, v["lr"], v["steps"])
        if v["init"] == "qr" and n > d:
            raise core_ebv.SettingsError(f"The QR start needs N <= d (N = {n}, d = {d}); pick the random start.")
    except core_ebv.SettingsError as err:
        st.error(str(err), icon=":material/error:")
        return
    E, info, key = run_generation(n, d, alpha, v["lr"], v["steps"], v["seed"], v["init"], v["unstall"])
    h = info.history
    cols = st.columns(5)
    cols[0].metric("converged", "yes" if info.converged else "no")
    cols[1].metric("SGD steps", info.steps)
    cols[2].metric("max |cos|", f"{info.max_cos:.4f}")
    cols[3].metric("mean |cos|", f"{info.mean_cos:.4f}")
    cols[4].metric("Welch bound", f"{welch:.4f}", help="0 when N <= d: exactly orthogonal vectors exist.")
    if info.converged:
        st.success(f"Every pair of the {n} vectors has |cos| <= {info.max_cos:.4f} (alpha = {alpha:g}) after "
                   f"{info.steps} steps" + (f", {alpha / welch:.2f}x the Welch bound." if welch else "."))
    elif alpha < welch:
        st.warning(f"alpha = {alpha:g} is below the Welch bound {welch:.4f}: no {n} unit vectors in R^{d} have all "
                   f"|cos| <= alpha, so this run can never meet the stopping test. After {info.steps} steps the max "
                   f"|cos| is {info.max_cos:.4f}; the official script would end without writing a file.")
    elif n <= d and v["init"] == "random" and alpha < 4 * v["lr"]:
        st.warning(f"Not converged in {info.steps} steps: max |cos| {info.max_cos:.4f}. Orthogonal rows exist "
                   "(N <= d), but the hinge's step does not shrink near |cos| = 0, so the official update oscillates "
                   f"at about 4 lr = {4 * v['lr']:g}. A smaller lr shrinks the oscillation; the QR start (not "
                   "official) is exactly orthogonal at once.")
    else:
        st.warning(f"Not converged in {info.steps} steps: max |cos| {info.max_cos:.4f} > alpha + 1e-4 = "
                   f"{alpha + 1e-4:.4f}" + (" (a pair has collapsed: see section 2)." if info.stalled else
                                            ". More steps, another lr, or a larger alpha may help.") +
                   f" Meanwhile the loss went from {h['loss'][0]:.1f} to {h['loss'][-1]:.1f} while the max |cos| went "
                   f"from {h['max_cos'][0]:.3f} to {h['max_cos'][-1]:.3f}: the hinge sum can fall by pushing many "
                   "pairs towards 90° while a few grow (see the histogram).")
    left, right = st.columns(2)
    with left:
        figure(*built("history", key, lambda: history_figure(info, alpha, welch)), "ebv_history")
    with right:
        figure(*built("angles", key, lambda: angle_histogram(E, alpha, welch)), "ebv_angles")
    if d == 3:
        figure(*built("sphere", key, lambda: sphere_figure(E)), "ebv_sphere_live",
               caption="d = 3: the EBVs of this run as lines on the sphere.")
    compute_note(info.device, "float32", info.seconds)


def six_lines() -> None:
    st.header("2 · Six lines in R^3, and a stall in the official update")
    st.markdown("Six lines through the centre of a sphere can be at most arccos(1/sqrt(5)) = 63.4° apart "
                "pairwise: the icosahedron's diagonals, max |cos| = 0.4472 (the Welch bound for N 6, d 3). "
                "The official update with lr 1e-2 and a 3 000-step cap:")
    left, right = st.columns([1, 2])
    v = controls(LINES, where=left)
    E, info, key = run_generation(6, 3, v["lines_alpha"], 1e-2, 3000, v["lines_seed"], "random", v["remedy"])
    left.metric("converged", f"yes, {info.steps} steps" if info.converged else "no (3 000 steps)")
    left.metric("final max |cos|", f"{info.max_cos:.4f}")
    if info.stalled:
        left.warning(f"Stalled: a pair of rows has |cos| = {info.max_cos:.4f}. Its hinge gradient points along the "
                     "other row, almost radially, so the renormalisation removes it; the moment the pair separates, "
                     "the other pairs' hinges switch on and push it back. The loss sits at 2 (1 - alpha) "
                     f"= {2 * (1 - v['lines_alpha']):.2f}.")
    with right:
        figure(*built("sphere", key, lambda: sphere_figure(E)), "ebv_sphere")
    table = survey(float(v["lines_alpha"]), SURVEY_CAP)
    stalls = table.loc[~table["official converged"], "seed"].tolist()
    fixed = int(table["with remedy converged"].sum())
    st.markdown(f"**Seeds 0-9 at alpha {v['lines_alpha']:g}** (cap {SURVEY_CAP:,} steps): the official update "
                f"converges for {10 - len(stalls)} of 10 seeds (fails for {', '.join(map(str, stalls)) or 'none'}); "
                f"with the remedy (not in the official code) {fixed} of 10 converge.")
    figure(*built("seeds", (v["lines_alpha"], SURVEY_CAP), lambda: seeds_figure(table)), "ebv_seeds")


def comparison() -> None:
    st.header("3 · A fixed EBV head against a trained FC head (precomputed)")
    got = shipped_part("comparison")
    if got is None:
        return
    _, runs, cosines = got
    st.markdown("The same small CNN (two conv layers, 64 features) with an N-way FC + softmax head, or with a "
                "linear map to d dimensions and fixed EBVs (cosine logits / 0.07). Both: cross-entropy with label "
                f"smoothing 0.1, Adam, seeds {', '.join(map(str, runs['config']['seeds']))}. Shipped numbers from "
                "scripts/train_ebv.py (precomputed, not rerun on page load):")
    table = summary_table(runs["comparison"])
    st.dataframe(table, hide_index=True)
    for name, part in table.groupby("dataset", sort=False):
        fc, eb = part.iloc[0], part.iloc[1]
        acc_fc, acc_eb = fc["test accuracy (mean)"], eb["test accuracy (mean)"]
        st.markdown(f"* **{name}** (N = {fc.N}): EBV {acc_eb:.3f} vs FC {acc_fc:.3f} ({acc_eb - acc_fc:+.3f});"
                    f" parameters after the backbone: {eb['params after the backbone']:,} (EBV, d = {eb.d:.0f}) vs "
                    f"{fc['params after the backbone']:,} (FC).")
    which = controls([Choice("cos_data", "Class-mean cosines of", ("MNIST-5k", "shapes"), "MNIST-5k",
                             radio=True)], where=st)["cos_data"]
    fc_cos, eb_cos = cosines[f"{which}_fc"], cosines[f"{which}_ebv"]
    off = ~np.eye(len(fc_cos), dtype=bool)
    n_cls, eps = len(fc_cos), 0.1
    margin = 0.07 * np.log((1 - eps + eps / n_cls) / (eps / n_cls))   # smoothed CE is optimal at this cosine gap
    figure(*built("cosines", which, lambda: cosine_matrices(
        fc_cos, eb_cos, f"{which}: cosine between class means of the features (test set)")), "ebv_cosines",
           caption=f"Mean |cos| between different classes' means: FC {np.abs(fc_cos[off]).mean():.3f}, "
           f"EBV {np.abs(eb_cos[off]).mean():.3f} (the EBVs themselves: max |cos| "
           f"{table.loc[table.N == n_cls, 'EBV max |cos|'].max():.3f}). With temperature 0.07 and label smoothing "
           f"0.1 the loss is lowest once an image's own-class cosine beats the others by 0.07 ln(...) = {margin:.2f} "
           f"(N = {n_cls}), so nothing pulls an embedding all the way onto its EBV. FC features are ReLU outputs: "
           "their cosines are all >= 0.")
    live_rerun()


def live_rerun() -> None:
    cfg = experiments.LIVE
    key = tuple(sorted((k, str(v)) for k, v in cfg.items()))
    live = on_request(LIVE, key, lambda p: [r.row() for r in experiments.comparison(cfg, progress=p)],
                      "Training FC and EBV heads...", f"Rerun live: 1 seed, {cfg['digits']['epochs']} and "
                      f"{cfg['shapes']['epochs']} epochs (about 15 CPU-seconds)")
    if live is not None:
        st.dataframe(summary_table(live), hide_index=True)
        st.caption("The live rerun: one seed and fewer epochs than the shipped table, so lower and noisier.")


def dimension_sweep() -> None:
    st.header("4 · How small can d be? Accuracy against d at N = 144 (precomputed)")
    got = shipped_part("sweep")
    if got is None:
        return
    sweep, runs, _ = got
    sweep = pd.DataFrame(sweep)
    fc = pd.DataFrame(runs["comparison"]).query("head == 'fc' and n_classes == 144")
    figure(*built("sweep", 144, lambda: sweep_figure(sweep, fc, 144)), "ebv_dim_sweep")
    best, worst = sweep.loc[sweep.accuracy.idxmax()], sweep.loc[sweep.accuracy.idxmin()]
    fc_mean = fc.accuracy.mean()
    above = sweep[sweep.accuracy >= fc_mean].sort_values("d")
    passing = (f"From d = {above.d.iloc[0]:.0f} on ({above.head_params.iloc[0]:,} parameters after the backbone, "
               f"FC: {fc.head_params.iloc[0]:,}) the fixed head matches or beats the FC head's {fc_mean:.3f}."
               if len(above) else f"No d here reaches the FC head's {fc_mean:.3f}.")
    st.markdown(f"One seed per d (the FC line is the 3-seed mean). Best here d = {best.d:.0f} ({best.accuracy:.3f}); "
                f"lowest d = {worst.d:.0f} ({worst.accuracy:.3f}), where the EBVs' max |cos| is {worst.alpha:.3f}. "
                f"{passing} The paper's N = 1000 sweep is flat from d = 300 on and still competitive at d = 100 "
                "(section 6); " + ("here, at N = 144, accuracy rises with every step up in d."
                                   if sweep.sort_values("d").accuracy.is_monotonic_increasing else
                                   "here, at N = 144, accuracy does not rise steadily with d."))


def adding_classes() -> None:
    st.header("5 · Adding classes: append EBVs, keep the old ones (precomputed)")
    got = shipped_part("growth")
    if got is None:
        return
    g = pd.DataFrame(got[0])
    r = g.iloc[0]
    st.markdown(f"Train on {r.n_old} classes (discs and squares), then add {r.n_new} (triangles). EBV: the new "
                "EBVs are optimised against the old ones, which do not move; FC: new rows (PyTorch's default random "
                "initialisation) are added to the trained layer. Then fine-tune on the new classes' images plus "
                "`replay` old images per old class. Old-class accuracy is read over all classes (a new class can take "
                "an old image).")
    g["head"] = g["head"].map(HEAD_LABELS)
    st.dataframe(g, hide_index=True)
    for _, row in g.iterrows():
        st.markdown(f"* {row['head']}, replay {row.replay}: old classes {row['old acc before']:.3f} -> "
                    f"{row['old acc appended']:.3f} on appending -> {row['old acc after']:.3f} after the fine-tune; "
                    f"new classes {row['new acc after']:.3f}.")


def paper_numbers() -> None:
    st.header("6 · The paper's own numbers (reference, not computed here)")
    st.caption(f"Copied from the {reference.SOURCE}; ImageNet top-1 is the best epoch on the validation set.")
    left, right = st.columns(2)
    left.dataframe(reference.imagenet_table(), hide_index=True)
    right.dataframe(reference.dim_sweep_table(), hide_index=True)
    right.dataframe(reference.downstream_table(), hide_index=True)
    st.markdown("The official EBV files (N = 1000) against the Welch bound:")
    st.dataframe(reference.official_ebv_table(), hide_index=True)


values = header()
generation(values)
six_lines()
comparison()
dimension_sweep()
adding_classes()
paper_numbers()
