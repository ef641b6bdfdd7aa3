"""FARMS: Eigenspectrum Analysis of Neural Networks without Aspect Ratio Bias (ICML 2025): the page.

Widgets, layout, plots and text only; the compute is core/farms/, the figures ui/farms_figures.py. The
sections run top to bottom, in the order of the calls at the end of this module.
"""
import time

import numpy as np
import pandas as pd
import streamlit as st

from core import assets, farms
from core.device import pick_device
from core.farms import bias, digits, layers, schedules
from core.registry import by_slug
from ui import cache, jobs
from ui.conventions import (Choice, Slider, Toggle, compute_note, controls, explainers, figure, paper_header,
                            unbound)
from ui.farms_figures import (alpha_q_scatter, alpha_vs_q_figure, esd_figure, grid_figure, layer_alpha_figure,
                              lr_map_figure, sparsity_figure, training_figure)
from ui.navigation import use_app_navigation

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("farms")
QS = (1, 2, 4, 8, 16)
TRAINED = "trained layer"
CONTROLS = [
    Choice("source", "Matrix entries", (*bias.ENTRIES, TRAINED), "Gaussian", radio=True,
           help="i.i.d. noise, or the first Q*64 rows of the shipped MLP's 1024 x 64 input layer."),
    Slider("nu", "nu: Student-t degrees of freedom", 1.5, 10.0, 3.0, 0.5, help="Smaller = heavier-tailed entries."),
    Choice("m", "M: columns", (32, 64, 128, 256), 128, help="N = Q * M rows. The trained layer has M = 64."),
    Choice("window", "window size (rows = columns)", (8, 16, 32, 64, 128, 256), 64,
           help="Clamped to fit the matrix, as the official LLM code does."),
    Slider("ops", "windows per dimension (ops)", 1, 15, 10, 1, help="An ops x ops grid of overlapping windows."),
    Choice("q", "Q shown in section 2", QS, 4),
    Slider("seed", "seed", 0, 99, 0, 1),
    Toggle("peak", "also FARMS with xmin_peak (a few seconds more)", False),
]


@cache.resource(max_entries=1)  # the shipped MLP, 0.9 MB
def shipped_state():
    return assets.weights("farms", "mlp_digits.pt")


def matrix(source: str, nu: float, m: int, q: int, seed: int) -> np.ndarray:
    if source == TRAINED:
        return bias.tall_slice(shipped_state()["fc1.weight"].double().numpy(), q)
    return bias.random_matrix(q * m, m, source, nu, seed)


@cache.data(max_entries=32, spinner="Fitting alpha at five aspect ratios...")  # a few floats per entry
def sweep(source: str, nu: float, m: int, window: int, ops: int, seed: int, peak: bool) -> dict:
    methods = tuple(k for k in bias.METHODS if peak or k != "farms_peak")
    start = time.perf_counter()
    out = bias.sweep(lambda q: matrix(source, nu, m, q, seed), QS, window, ops, methods)
    return {**out, "seconds": time.perf_counter() - start}


@cache.data(max_entries=16)  # two eigenvalue arrays, at most ~40k floats
def spectra(source: str, nu: float, m: int, window: int, ops: int, q: int, seed: int):
    W = matrix(source, nu, m, q, seed)
    return farms.esd(W), farms.farms_esd(W, window, 1.0, ops), float(np.mean(W ** 2))


@cache.data(max_entries=4)  # five layer rows
def network_table(lr: float, lr_min: float, lr_max: float) -> pd.DataFrame:
    state = shipped_state()
    full = farms.layer_alphas(state, farms=False)
    pooled = farms.layer_alphas(state, farms=True, **digits.TB_FARMS)
    table = pd.DataFrame({"layer": [r["layer"].rsplit(".", 1)[0] for r in full], "shape": [r["shape"] for r in full],
                          "Q": [r["Q"] for r in full], "alpha_full": [r["alpha"] for r in full],
                          "alpha_farms": [r["alpha"] for r in pooled], "windows": [r["windows"] for r in pooled],
                          "params": [state[r["layer"]].numel() for r in full]})
    table["lr_full"] = schedules.tb_linear_map(table.alpha_full, lr, lr_min, lr_max)
    table["lr_farms"] = schedules.tb_linear_map(table.alpha_farms, lr, lr_min, lr_max)
    return table


@cache.data(max_entries=64)  # a five-row table
def pruning(target: float, eps: float) -> tuple[pd.DataFrame, dict]:
    table = network_table(digits.RECIPE["lr"], 0.5, 1.5)[["layer", "shape", "params", "alpha_full", "alpha_farms"]]
    accs = {"uniform": digits.prune(shipped_state(), {l: target for l in table.layer})[1]}
    for name, col in (("full ESD", "alpha_full"), ("FARMS", "alpha_farms")):
        table[f"sparsity_{name}"] = schedules.alphapruning_sparsity(table[col], table.params, target, eps)
        accs[name] = digits.prune(shipped_state(), dict(zip(table.layer, table[f"sparsity_{name}"])))[1]
    return table, accs


def header() -> dict:
    paper_header(PAPER)
    st.markdown(
        "Heavy-tailed self-regularisation reads a layer's training quality off the **eigenvalues of W^T W** (its "
        "empirical spectral density, ESD): fit a power law to the tail, and a smaller exponent alpha means more "
        "structure learned. TempBalance sets each layer's learning rate from alpha; AlphaPruning sets each "
        "layer's sparsity from it. But the ESD of pure noise already depends on the matrix's **aspect ratio "
        "Q = N/M** (the Marchenko-Pastur law), so a tall layer and a square one get different alphas for no "
        "reason. **FARMS** samples an ops x ops grid of overlapping windows of *one* aspect ratio, pools all "
        "their eigenvalues into one ESD and fits alpha there:")
    st.latex(r"\hat\alpha = 1 + \frac{n}{\sum_{j\ge k}\ln\lambda_j - n\ln\lambda_k},\qquad "
             r"\lambda \in \bigcup_{\text{windows } w}\operatorname{eig}(W_w^\top W_w),\quad W_w\in"
             r"\mathbb{R}^{r\times r}")
    explainers(
        shows="""
* The full-matrix alpha is biased by the aspect ratio: equally random matrices of different shapes get
  different alphas, and every layer-wise rule built on alpha inherits the bias.
* FARMS (fixed-aspect-ratio windows, pooled ESD) removes it, and "uniformly improves" HT-SR diagnosis and
  hyper-parameter assignment: TempBalance on CIFAR-100 ResNets/VGGs, SciML fine-tuning, and AlphaPruning of
  LLaMA-7B/13B, with 17.3 % lower perplexity for LLaMA-7B in one pruning setting.""",
        try_this="""
1. Defaults (Gaussian noise): the full-ESD median alpha climbs with Q, FARMS stays flat (section 1).
2. **Student-t, nu = 3**: heavy-tailed entries, same drift. **nu = 1.5**: the entries themselves create a
   power-law tail that dominates the Marchenko-Pastur bulk, and the drift mostly goes.
3. **trained layer**: the same experiment on the shipped MLP's trained 1024 x 64 input layer.
4. **window size 8**: FARMS stays flat at about the same alpha: square windows of noise all follow the same
   Marchenko-Pastur shape (ratio 1) whatever their size, which is why FARMS fixes the aspect ratio, not the size.
5. Section 3: the tall input layer has the largest full-ESD alpha, so TempBalance gives it the largest
   learning rate; with FARMS the alphas' spread and their trend with Q shrink.
6. Upload your own state dict (section 6) and look for a trend of alpha with Q.
""",
        differs="""
* **Scale**: a 5-layer MLP on sklearn's 8x8 digits (1,437 training images, 30 epochs) instead of
  ResNet/VGG on CIFAR-100 (200 epochs) or LLaMA; TempBalance and AlphaPruning run for real on it, but
  accuracy differences of one or two test images (of 360) are noise, not a result.
* **Windows**: 32 x 32 windows, 9 per dimension for the MLP (the paper's 100 x 100 is larger than most of
  its sides); windows that do not fit are clamped, as in the official LLM code.
* **AlphaPruning** prunes by weight magnitude layer by layer (the paper: Wanda/SparseGPT on LLaMA, by block).
* **weightwatcher** is not run by the page: `bench/bench_farms.py` compares its alphas with ours, and a test
  checks that our Clauset search gives its default alpha.
* Eigenvalues in float64 (the official code uses float32).""")
    return controls(CONTROLS)


def bias_section(values: dict) -> None:
    st.header("1 · The bias, live: alpha against the aspect ratio Q")
    source, m = values["source"], 64 if values["source"] == TRAINED else values["m"]
    nu = f"({values['nu']:g})" if source == "Student-t" else ""
    what = ("the first Q x 64 rows of the shipped MLP's trained 1024 x 64 input layer" if source == TRAINED else
            f"the first N = Q x {m} rows of one seeded {source}{nu} matrix (so the Q matrices are nested)")
    st.markdown(f"For each Q in {', '.join(map(str, QS))}: {what}; its full ESD fitted two ways, and the "
                f"pooled ESD of up to {values['ops']} x {values['ops']} windows of {min(values['window'], m)} x "
                f"{min(values['window'], m)} fitted with the median xmin (the paper's CV setting).")
    result = sweep(source, values["nu"], m, values["window"], values["ops"], values["seed"], values["peak"])
    full, pooled = bias.relative_change(result["full_median"]), bias.relative_change(result["farms_median"])
    cols = st.columns(3)
    cols[0].metric("full ESD, median xmin: Q 1 -> 16", f"{result['full_median'][0]:.2f} -> "
                   f"{result['full_median'][-1]:.2f}", f"{full:+.0%}", delta_color="off")
    cols[1].metric("FARMS, median xmin: Q 1 -> 16", f"{result['farms_median'][0]:.2f} -> "
                   f"{result['farms_median'][-1]:.2f}", f"{pooled:+.0%}", delta_color="off")
    clauset = result["full_clauset"]
    cols[2].metric("full ESD, Clauset search: range", f"{min(clauset):.2f} to {max(clauset):.2f}")
    figure(*alpha_vs_q_figure(result, "alpha against Q: the full ESD drifts, FARMS does not"), "farms_alpha_vs_q")
    if abs(pooled) < 0.1 and full > 0.2:
        st.markdown(f"Nothing about this matrix changes with Q but its shape, yet the full-ESD alpha moves by "
                    f"**{full:+.0%}** from Q = 1 to 16: a tall layer looks *less trained* (larger alpha) than a "
                    f"square one. FARMS moves by **{pooled:+.0%}**: its windows have the same shape at every Q.")
    else:
        st.warning(f"With these settings the paper's picture is not clean: from Q = 1 to 16 the full-ESD alpha "
                   f"changes by {full:+.0%} and FARMS by {pooled:+.0%}.", icon=":material/info:")
    if source != TRAINED:
        st.caption(f"The Clauset search (weightwatcher's default) ranges over {min(clauset):.2f}-{max(clauset):.2f}: "
                   "on a spectrum with no power-law tail (MP noise) the KS-optimal xmin jumps between finite-size "
                   "'fingers', so it is erratic rather than biased. The paper's CV runs use the median xmin.")
    compute_note(result["device"], "float64", result["seconds"])


def esd_section(values: dict) -> None:
    q, source = values["q"], values["source"]
    m = 64 if source == TRAINED else values["m"]
    st.header(f"2 · Inside one matrix: Q = {q}, N x M = {q * m} x {m}")
    W = matrix(source, values["nu"], m, q, values["seed"])
    full, pooled, sigma2 = spectra(source, values["nu"], m, values["window"], values["ops"], q, values["seed"])
    grid = farms.window_grid(W.shape, values["window"], 1.0, values["ops"])
    figure(*esd_figure(full, pooled, W.shape, (grid.rows, grid.cols), sigma2), "farms_esd",
           caption="Black: the Marchenko-Pastur density of pure noise with the same entry variance, for the "
                   "full shape (left) and the window shape (right). The window ESD's shape is the same at every Q.")
    last_row, last_col = (max(c[i] for c in grid.corners) for i in (0, 1))
    figure(*grid_figure(W, grid), "farms_grid", caption=f"Official fixed_sampling rule: row step {grid.row_step}, "
           f"column step {grid.col_step}; the windows cover rows 0-{last_row + grid.rows - 1} of {W.shape[0]} and "
           f"columns 0-{last_col + grid.cols - 1} of {W.shape[1]} (the steps are rounded down).")
    fits = {name: farms.alpha_hill(e, "median") for name, e in (("full", full), ("pooled", pooled))}
    st.markdown(f"Median-xmin fits at this Q: full ESD alpha = **{fits['full'][0]:.2f}** ({full.size} eigenvalues, "
                f"KS distance {fits['full'][2]:.3f}); FARMS alpha = **{fits['pooled'][0]:.2f}** ({pooled.size} "
                f"pooled eigenvalues, KS distance {fits['pooled'][2]:.3f}).")


def network_section() -> pd.DataFrame:
    st.header("3 · A trained network: per-layer alpha and the TempBalance learning rates")
    meta = assets.json_file("farms", "mlp_digits.json")
    st.markdown(f"The shipped MLP {'-'.join(map(str, meta['widths']))} on sklearn's digits (plain SGD, "
                f"{meta['recipe']['epochs']} epochs, test accuracy {meta['test_acc']:.1%}; "
                "scripts/train_farms.py). Its layers have very different shapes; alpha is fitted live with the "
                "median xmin, on the full ESD and with FARMS.")
    left, right = st.columns(2)
    ratios = controls([Slider("lr_min", "TempBalance lr_min_ratio", 0.1, 1.0, 0.5, 0.1)], where=left)
    ratios |= controls([Slider("lr_max", "TempBalance lr_max_ratio", 1.0, 1.9, 1.5, 0.1)], where=right)
    start = time.perf_counter()
    lr = digits.RECIPE["lr"]
    table = network_table(lr, ratios["lr_min"], ratios["lr_max"])
    figure(*layer_alpha_figure(table, "Per-layer alpha: full ESD vs FARMS"), "farms_layers")
    top_full, top_farms = table.layer[table.alpha_full.idxmax()], table.layer[table.alpha_farms.idxmax()]
    corr = np.corrcoef(np.log(table.Q), table.alpha_full)[0, 1], np.corrcoef(np.log(table.Q), table.alpha_farms)[0, 1]
    st.markdown(f"Full-ESD alphas span {table.alpha_full.min():.2f}-{table.alpha_full.max():.2f} (largest: "
                f"**{top_full}**); FARMS alphas span {table.alpha_farms.min():.2f}-{table.alpha_farms.max():.2f} "
                f"(largest: **{top_farms}**). Correlation of alpha with log Q across the layers: "
                f"{corr[0]:+.2f} for the full ESD, {corr[1]:+.2f} with FARMS.")
    figure(*lr_map_figure(table, lr), "farms_lr_map",
           caption="lr_l = interp(alpha_l, [min alpha, max alpha], [lr_min_ratio, lr_max_ratio] x lr): the layer "
                   "with the largest alpha gets the largest learning rate. Shown at the start lr "
                   f"{lr:g} (the run follows a cosine schedule and recomputes the map every epoch).")
    compute_note(pick_device(), "float64", time.perf_counter() - start)
    return table.assign(lr_min=ratios["lr_min"], lr_max=ratios["lr_max"])


def tempbalance_section(table: pd.DataFrame) -> None:
    st.header("4 · Training with TempBalance driven by each alpha")
    shipped = assets.csv("farms", "tempbalance.csv")
    summary = shipped.groupby("run", sort=False).test_acc.agg(["mean", "std", "count"]).reset_index()
    st.markdown("Precomputed by scripts/train_farms.py (same init per seed): final test accuracy on the 360 "
                "held-out digits, with the class-default lr ratios 0.5 / 1.5 and with the paper's ResNet-18 pairs "
                "(0.6 / 1.4 for TempBalance on full-ESD alphas, 0.1 / 1.9 with FARMS).")
    st.dataframe(summary.rename(columns={"mean": "mean test acc", "std": "std over seeds", "count": "seeds"}),
                 hide_index=True, column_config={"mean test acc": st.column_config.NumberColumn(format="%.4f"),
                                                 "std over seeds": st.column_config.NumberColumn(format="%.4f")})
    spread = summary["mean"].max() - summary["mean"].min()
    noise = summary["std"].max()
    verdict = (f"less than the spread between seeds (std up to {noise:.2%}): at this scale the paper's TempBalance "
               "gains (on CIFAR-100) do not show; the page shows the mechanism, not the gain" if spread <= noise else
               f"more than the largest std over seeds ({noise:.2%}), with only {int(summary['count'].min())} seeds")
    st.markdown(f"The {len(summary)} means differ by at most {spread:.2%} (about {spread * 360:.1f} test images), "
                f"{verdict}.")
    lo, hi = float(table.lr_min[0]), float(table.lr_max[0])
    runs = {"plain": None, "TempBalance (full ESD)": "full", "TempBalance (FARMS)": "farms"}

    def compute(progress):
        out = {}
        for i, (name, tb) in enumerate(runs.items()):
            out[name] = digits.train(tb, lr_min_ratio=lo, lr_max_ratio=hi,
                                     progress=lambda f, i=i: progress((i + f) / len(runs)))
        return out
    live = jobs.on_request(jobs.store("farms.tempbalance", max_entries=8), (lo, hi), compute,
                           "Training plain, TB (full ESD) and TB (FARMS)...",
                           f"Train the three runs live (seed 0, lr ratios {lo:g} / {hi:g}, about 15 CPU-seconds)")
    if live is not None:
        figure(*training_figure({k: v["history"] for k, v in live.items()}), "farms_training")
        st.markdown(" · ".join(f"{k}: **{v['test_acc']:.2%}**" for k, v in live.items()))
        compute_note(live["plain"]["device"], "float32")


def pruning_section() -> None:
    st.header("5 · AlphaPruning: layer-wise sparsity from each alpha set")
    left, right = st.columns(2)
    knobs = controls([Slider("sparsity", "target sparsity", 0.1, 0.9, 0.6, 0.05)], where=left)
    knobs |= controls([Slider("eps", "epsilon (allocation spread)", 0.05, 0.6, 0.3, 0.05)], where=right)
    start = time.perf_counter()
    table, accs = pruning(knobs["sparsity"], knobs["eps"])
    figure(*sparsity_figure(table, knobs["sparsity"]), "farms_sparsity",
           caption="ratio = (alpha - min)/(max - min) (2 eps) + 1 - eps, rescaled so that the parameter-weighted "
                   "mean is the target: larger alpha, more pruning. Ratios above 1 are clipped (official rule).")
    reached = {n: schedules.achieved_sparsity(table[f"sparsity_{n}"], table.params) for n in ("full ESD", "FARMS")}
    st.markdown(f"Magnitude-pruning the shipped MLP to {knobs['sparsity']:.0%} of its weights: test accuracy "
                f"**{accs['uniform']:.1%}** with the same sparsity in every layer, **{accs['full ESD']:.1%}** with "
                f"the full-ESD allocation (reached {reached['full ESD']:.1%}), **{accs['FARMS']:.1%}** with the "
                f"FARMS allocation (reached {reached['FARMS']:.1%}).")
    best, gap = max(accs, key=accs.get), accs["FARMS"] - accs["full ESD"]
    if max(accs.values()) - min(accs.values()) < 1e-9:
        st.markdown("All three allocations give the same accuracy at this sparsity.")
    else:
        st.markdown(f"FARMS allocation minus full-ESD allocation: **{gap:+.1%}** (the paper's claim is that FARMS "
                    f"wins). Best here: **{best}** (one test image is 0.28 %; one network, so read small gaps as "
                    "noise). With five layers the paper's setting (LLaMA blocks at 70-85 % sparsity) is far away.")
    compute_note(pick_device(), "float32", time.perf_counter() - start)


def upload_section() -> None:
    st.header("6 · Your checkpoint")
    st.markdown("Upload a PyTorch **state dict** (`torch.save(model.state_dict(), ...)`, read with "
                "`weights_only=True`: nothing in it can run) or a **.safetensors** file. Linear weights are "
                "windowed 100 x 100, 9 per dimension (the paper's CV setting); conv weights follow the official "
                "conv path (kh*kw slices scaled by sqrt 0.5; with FARMS, square row blocks, layer alpha = mean).")
    file = st.file_uploader("State dict (.pt/.pth/.bin) or .safetensors", type=["pt", "pth", "bin", "safetensors"],
                            key=unbound("upload", "an uploaded checkpoint cannot travel in a link"),
                            help=f"At most {layers.MAX_UPLOAD_BYTES // 2**20} MB.")
    rule = controls([Choice("xmin", "xmin rule", farms.XMIN_RULES, "median", radio=True,
                            help="clauset: weightwatcher's default full KS search (slow on big conv layers)")],
                    where=st)["xmin"]
    if file is None:
        st.info("No file yet: the table will show each layer's alpha with and without FARMS.")
        return
    raw = file.getvalue()
    try:
        checkpoint = farms.load_checkpoint(raw, file.name)
    except farms.CheckpointError as err:
        st.error(f"This file cannot be analysed: {err}.", icon=":material/error:")
        return
    for note in checkpoint.notes[:10]:
        st.warning(note, icon=":material/block:")
    start = time.perf_counter()

    def compute(progress):
        full = farms.layer_alphas(checkpoint, farms=False, xmin=rule, progress=lambda f: progress(f / 2))
        pooled = farms.layer_alphas(checkpoint, farms=True, xmin=rule, progress=lambda f: progress(0.5 + f / 2))
        return full, pooled
    full, pooled = jobs.cached(jobs.store("farms.upload", max_entries=8), (cache.digest(raw), rule), compute,
                               f"Fitting {len(checkpoint.layers)} layers twice...")
    table = pd.DataFrame(full).rename(columns={"alpha": "alpha_full"})
    table["alpha_farms"] = [r["alpha"] for r in pooled]
    table["windows"] = [r.get("windows", "") for r in pooled]
    st.dataframe(table[["layer", "kind", "shape", "Q", "n_eigs", "alpha_full", "alpha_farms", "windows"]],
                 hide_index=True)
    figure(*alpha_q_scatter(table), "farms_upload")
    if len(table) > 2 and table.Q.nunique() > 1:
        corr = [np.corrcoef(np.log(table.Q), table[c])[0, 1] for c in ("alpha_full", "alpha_farms")]
        st.markdown(f"{len(table)} layers. Correlation of alpha with log Q: **{corr[0]:+.2f}** on the full ESD, "
                    f"**{corr[1]:+.2f}** with FARMS (a trend with Q in the full-ESD column is the bias).")
    compute_note(pick_device(), "float64", time.perf_counter() - start)


values = header()
bias_section(values)
esd_section(values)
table = network_section()
tempbalance_section(table)
pruning_section()
upload_section()
