"""Householder Projector vs SeFa on a StyleGAN2 trained here (Song et al., ICCV 2023): the page.

Widgets, layout, plots and text only; the maths is core/householder/. The sections run top to bottom,
in the order of the calls at the end of this module.
"""
import time
from types import SimpleNamespace

import numpy as np
import streamlit as st

from core import assets
from core import householder as hp
from core.householder import shapes
from core.householder.stylegan import GConfig, build_generator, load_checkpoint_bytes
from core.registry import by_slug
from core.spectral import householder_product
from ui import cache
from ui.conventions import Choice, Slider, compute_note, controls, explainers, figure, paper_header, unbound
from ui.householder_figures import (INTRO, SHOWS, comparison_table, describe_mix, differs_text, gan_loss_figure,
                                    grid_image, psi_source, purity_figure, quality_source, readout_figure, recheck_text,
                                    reflector_figure, response_figure, response_source, shipped_checks,
                                    shipped_responses, spectrum_figure, try_this_text)
from ui.jobs import cached, on_request, store
from ui.navigation import use_app_navigation

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("householder")
LAYERS = ("8x8", "16x16", "32x32")
COLS = 7                      # traversal steps per row (the official apply_factor uses 7)
MAX_UPLOAD_MB = 50            # the app's server.maxUploadSize
FT_SECONDS_PER_STEP = 0.7     # measured 0.66 s: one projector GAN step, batch 16, one thread (bench (c))
QUALITY_SAMPLES, RESPONSE_LATENTS = hp.QUALITY_SAMPLES, hp.RESPONSE_LATENTS  # shared with score_householder.py
MIN_SHAPE_SHARE = 0.2        # the renderer draws each of the 3 shapes 1/3 of the time; below this, a mode is missing
CONTROLS = [
    Choice("layer", "Layer: the block's upsampling conv", LAYERS, "16x16",
           help="The paper puts a projector on the first (upsampling) conv of every block; a direction of "
                "that layer edits only the W+ slot feeding it (slot 2i+1)."),
    Slider("direction", "Direction index j", 0, 9, 0, 1, help="SeFa: j-th singular vector. Householder: "
           "j-th column of Q_in (all k directions have the same singular value)."),
    Choice("sefa", "SeFa variant", ("per layer", "global"), "per layer", radio=True,
           help="per layer: SVD of this layer's A (HouseholderGAN's baseline). global: all conv modulation "
                "weights stacked, the edit applied to every W+ slot (rosinality's closed_form_factorization)."),
    Slider("reach", "Traversal reach (in std of v.w)", 1.0, 6.0, 3.0, 0.5,
           help="Steps are in units of the spread of the latents along the direction, so both methods "
                "get comparable step sizes (official scripts use +-5 for SeFa, +-20 for HP)."),
    Slider("rows", "Latents (rows)", 2, 8, 5, 1),
    Slider("truncation", "Truncation psi", 0.3, 1.0, hp.DEFAULT_PSI, 0.05),
    Slider("seed", "Latent seed", 0, 99, 0, 1),
]
REFLECTORS = Slider("reflectors", "Reflectors applied (8 x 8 example)", 0, 8, 3, 1)
FT_STEPS = Choice("ft_steps", "Fine-tune steps", (10, 50, 100, 200), 50)
RESPONSES = store("householder.responses", max_entries=12)
FINETUNES = store("householder.finetunes", max_entries=2)
LIVE_SCORES = store("householder.live_scores", max_entries=8)
QUALITY = store("householder.quality", max_entries=2)  # live re-checks of the fidelity numbers: a few floats each


@cache.resource(1)  # ~3 MB of weights, shared by every session
def shipped():
    """The shipped base generator, its Householder fine-tune and the factor regressor (CPU, fp32)."""
    base, tuned, reg = (assets.weights("householder", name) for name in
                        ("generator_base.pt", "generator_hp.pt", "factor_regressor.pt"))
    cfg = GConfig.from_dict(base["g_cfg"])
    return (base, tuned, reg, build_generator(cfg, base["g_ema"]),
            hp.build_projector_generator(cfg, tuned["g_ema"], tuned["k"]), hp.factor_net_from_state(reg["state"]))


@cache.resource(1)  # the precomputed per-direction comparison (scripts/score_householder.py), or None
def comparison():
    found = (assets.ASSETS / "householder" / "comparison.json").exists()
    return assets.json_file("householder", "comparison.json") if found else None


@cache.resource(1)  # the verdict's table, built once from the shipped comparison (read-only)
def verdict_table():
    return comparison_table(comparison()).style.format(precision=3)


@cache.resource(2)  # two 4x8 grids of 32x32 images as uint8 (~0.1 MB each): the same for every visitor
def sample_grids(model_key: tuple) -> tuple:
    return tuple(grid_image(g, zoom=2) for g in (hp.sample_images(shipped()[3], 4, 8, seed=123),
                                                 hp.rendered_images(4, 8, seed=123)))


@cache.resource(48, ttl=cache.TTL_SECONDS)  # two traversal images (uint8, <= 0.3 MB) and seconds, read-only
def traversal_grids(model_key: tuple, layer: int, method: str, j: int, steps: tuple, rows: int, psi: float,
                    seed: int, k: int, k_sefa: int) -> tuple:
    (G_base, G_hp), start, grid = shipped()[3:5], time.perf_counter(), dict(rows=rows, truncation=psi, seed=seed)
    sefa = hp.traverse(G_base, hp.directions(G_base, method, layer, k_sefa)[j], None if method == "global" else layer,
                       np.array(steps), **grid)
    seconds = time.perf_counter() - start
    householder = hp.traverse(G_hp, hp.directions(G_hp, "householder", layer, k)[j], layer, np.array(steps), **grid)
    return grid_image(sefa), grid_image(householder), seconds


def live_quality(progress=None) -> dict:  # both generators' feature Fréchet distance, re-render IoU, shape mix
    return dict(hp.quality_checks(*shipped()[3:], QUALITY_SAMPLES, (hp.DEFAULT_PSI,)), source="live")


@cache.data(8)  # a shape mix and an IoU per psi
def truncated_scores(truncation: float, model_key: tuple) -> tuple:
    """Shape mix and re-render IoU of the base at this psi (half the samples of ``quality``: one per psi)."""
    return hp.shape_scores(shipped()[3], shipped()[5], QUALITY_SAMPLES // 2, truncation=truncation)


def header() -> dict:
    paper_header(PAPER)
    st.markdown(INTRO)
    st.latex(r"\text{SeFa: } n^\star_j = v_j(A),\; A = U\Sigma V^\top \qquad "
             r"\text{HP: } A = Q_{out}[:, :k]\,Q_{in}[:, :k]^\top,\; "
             r"Q = \prod_i \Big(I - 2\frac{v_i v_i^\top}{\|v_i\|^2}\Big)")
    explainers(shows=SHOWS, try_this=try_this_text(comparison()), differs=differs_text(comparison()))
    return controls(CONTROLS)


def load(values: dict) -> SimpleNamespace:
    """The shipped models and everything the sections share (c.layer, c.j, c.steps ...)."""
    try:
        base, tuned, reg, G_base, G_hp, net = shipped()
    except assets.MissingAsset as exc:
        st.error(f"{exc} (scripts/*householder* rebuild assets/householder/)", icon=":material/error:")
        st.stop()
    k, model_key = tuned["k"], (int(base["step"]), int(tuned["steps"]))
    # the fidelity numbers: a live re-check if one ran, else the asset-build ones, else computed live now
    checks = QUALITY.get(model_key) or shipped_checks(comparison(), model_key, QUALITY_SAMPLES) or cached(
        QUALITY, model_key, live_quality, "Fréchet distances, shape fidelity and shape mix (none shipped)...")
    return SimpleNamespace(values=values, layer=LAYERS.index(values["layer"]), j=min(int(values["direction"]), k - 1),
                           k=k, k_sefa=10, steps=np.linspace(-values["reach"], values["reach"], COLS), base=base,
                           tuned=tuned, reg=reg, G_base=G_base, G_hp=G_hp, net=net, checks=checks, model_key=model_key)


def the_generator(c: SimpleNamespace):
    base, tuned, checks = c.base, c.tuned, c.checks
    st.header("1 · The generator and its style affines")
    cols = st.columns(4)
    cols[0].metric("base training steps", f"{base['step']:,}", help=f"batch {base['batch']}")
    cols[1].metric("base training time", f"{base['train_seconds'] / 3600:.1f} h",
                   help="Wall-clock hours of the training run, GPU and CPU time together (see What differs).")
    ft_share = tuned["steps"] * tuned["batch"] / max(base["step"] * base["batch"], 1)  # in images: batches differ
    cols[2].metric("Householder fine-tune steps", f"{tuned['steps']:,}",
                   help=f"batch {tuned['batch']}: {ft_share:.1%} of the base's training images")
    cols[3].metric("rank k", c.k)
    samples, renders = sample_grids(c.model_key)
    left, right = st.columns(2)
    left.image(samples, caption="Random samples of the base generator (live, no truncation).")
    right.image(renders, caption="Rendered training images, for comparison.")
    st.caption(f"Shape mix of {QUALITY_SAMPLES} samples as the factor regressor reads them (the renderer draws a "
               f"third of each). Base: {describe_mix(checks['mix'][0])}. Householder fine-tune: "
               f"{describe_mix(checks['mix'][1])}. Re-render IoU (section 5): base {checks['iou'][0]:.2f}, rendered "
               f"images {checks['iou_renders']:.2f}. {quality_source(checks)}")
    for name, mix in zip(("base", "Householder fine-tuned"), checks["mix"]):
        rarest = int(np.argmin(mix))
        if mix[rarest] < MIN_SHAPE_SHARE:
            st.warning(f"The shipped {name} generator under-draws {shapes.SHAPES[rarest]}s ({mix[rarest]:.0%} of its "
                       "samples, a third of the training images): a partial mode collapse, so the comparisons below "
                       "see fewer of them than the data has (What differs says how far training went).",
                       icon=":material/warning:")
    figure(*gan_loss_figure(base["log"], "Base generator training: GAN losses"), "householder_training",
           caption="Losses of the base training run (non-saturating logistic G loss, logistic D loss with lazy R1), "
                   "as logged in the checkpoint.")
    sefa_vals, hp_vals = (np.linalg.svd(hp.layer_weights(G)[c.layer], compute_uv=False) for G in (c.G_base, c.G_hp))
    figure(*spectrum_figure(sefa_vals, hp_vals, f"{c.values['layer']} block"), "householder_spectrum",
           caption="SeFa sorts directions by these singular values; the projector has k equal ones and no others.")


def reflections():
    st.header("2 · A product of reflections")
    st.markdown("Each reflection `H(v) = I - 2vvᵀ/|v|²` is orthogonal, so any product of them is too: the "
                "projector is orthogonal by construction, with no penalty term and no re-orthonormalisation. "
                "k reflectors already reach every orthonormal k-frame (Householder QR), which is how the "
                "projector is initialised from the trained A's top-k singular vectors.")
    n_reflect = controls([REFLECTORS], where=st)["reflectors"]
    toy_Q = householder_product(np.random.default_rng(0).normal(size=(8, 8))[:, :n_reflect])
    cols = st.columns(2)
    cols[0].metric("max |QᵀQ - I|", f"{np.abs(toy_Q.T @ toy_Q - np.eye(8)).max():.1e}")
    cols[1].metric("det Q", f"{np.linalg.det(toy_Q):+.0f}", help="Each reflection flips the orientation: (-1)^m.")
    figure(*reflector_figure(toy_Q, n_reflect), "householder_reflectors")


def traversals(c: SimpleNamespace) -> float:
    values, checks, method = c.values, c.checks, c.values["sefa"]
    st.header("3 · Traversals: SeFa vs Householder")
    grid_sefa, grid_hp, grid_seconds = traversal_grids(c.model_key, c.layer, method, c.j, tuple(c.steps),
                                                       values["rows"], values["truncation"], values["seed"], c.k, c.k_sefa)
    left, right = st.columns(2)
    left.image(grid_sefa, caption=f"SeFa ({method}) direction {c.j}: base generator")
    right.image(grid_hp, caption=f"Householder direction {c.j}: fine-tuned generator")
    psi = values["truncation"]  # psi 1 and the default psi come with section 1's numbers; any other psi is live
    psi_mix, psi_iou = (checks["mix"][0], checks["iou"][0]) if psi == 1 else checks["psi"].get(round(psi, 4)) or \
        truncated_scores(psi, c.model_key)
    st.caption(f"Rows: latents (seed {values['seed']}, psi {values['truncation']:g}); columns: "
               f"{COLS} steps from -{values['reach']:g} to +{values['reach']:g} std of v.w. "
               f"One {values['rows']}x{COLS} grid rendered in {grid_seconds:.2f} s. Truncation pulls every latent "
               f"toward the mean one: at psi {values['truncation']:g} the base draws {describe_mix(psi_mix)} "
               f"(re-render IoU {psi_iou:.2f}); at psi 1, {describe_mix(checks['mix'][0])} ({checks['iou'][0]:.2f}). "
               + psi_source(psi, checks, QUALITY_SAMPLES // 2, QUALITY_SAMPLES))
    return grid_seconds


def factor_response(c: SimpleNamespace):
    st.header("4 · Which factors does each direction move?")
    st.markdown(f"For every direction, {RESPONSE_LATENTS} latents are pushed 2 std back and forth along it, and the "
                "factor regressor (a small CNN trained on the renderer) reads the true factors at both ends. "
                "**Purity** = the share of a direction's total response carried by its top factor "
                "(1 = it moves one factor only, 1/7 = all equally). **MIG-style gap** = for each factor, its "
                "share in its best direction minus in the second best (1 = one direction owns it).")
    method, psi = c.values["sefa"], c.values["truncation"]
    key = (c.layer, method, psi, c.tuned["steps"], c.base["step"])
    compute = lambda progress: dict(hp.compare_responses(  # noqa: E731
        c.G_base, c.G_hp, c.net, method, c.layer, c.k_sefa, RESPONSE_LATENTS, psi, progress), source="live")
    shipped_resp = shipped_responses(comparison(), c.model_key, c.layer, method, psi, RESPONSE_LATENTS, c.k_sefa)
    resp = RESPONSES.get(key) or shipped_resp or cached(RESPONSES, key, compute, "Scoring directions...")
    (M_s, s_s), (M_h, s_h) = resp["sefa"], resp["householder"]
    cols = iter(st.columns(4))
    for name, score in (("mean purity", hp.purity), ("MIG-style gap", hp.mig_gap)):
        next(cols).metric(f"SeFa {name}", f"{score(M_s).mean():.2f}")
        next(cols).metric(f"Householder {name}", f"{score(M_h).mean():.2f}",
                          delta=f"{score(M_h).mean() - score(M_s).mean():+.2f}")
    st.caption(response_source(resp, shipped_resp))
    if resp["source"] == "asset" and on_request(RESPONSES, key, compute, "Scoring directions live...", "Recompute "
                                                 f"these responses live (about {resp['seconds']:.0f} s)") is not None:
        st.rerun()  # computed just now: show the live numbers
    errors = c.reg["errors"]
    figure(*response_figure(M_s, M_h), "householder_factor_response",
           caption="Mean absolute change of each factor on a [0, 1] scale (shape: change of class probabilities). "
                   f"The regressor on held-out renders: shape accuracy {errors['shape_acc']:.3f}, mean absolute "
                   f"error at most {max(v for key, v in errors.items() if key.endswith('_mae')):.3f} for scale, "
                   "position, hue and background.")
    figure(*purity_figure(hp.purity(M_s), hp.purity(M_h), s_s, s_h), "householder_purity")
    verdict()


def verdict() -> None:
    result = comparison()
    if result is None:
        st.info("The per-direction comparison (assets/householder/comparison.json) is not shipped: run "
                "scripts/score_householder.py.")
        return
    run, n_dirs = result["run"], sum(r["method"] == "Householder" for r in result["rows"])
    st.markdown(f"**The verdict, over all {n_dirs} directions of the 3 layers** (precomputed by "
                f"scripts/score_householder.py, {result['n_latents']} latents per direction; fine-tune "
                f"{run['finetune_steps']:,} steps). {result['verdict']['text']}")
    st.table(verdict_table(), hide_index=True, alt="The verdict's numbers per layer and method")  # static: 9 rows


def fidelity(c: SimpleNamespace):
    st.header("5 · Orthogonality and fidelity")
    checks, (fd_base, fd_hp), (iou_base, iou_hp) = c.checks, c.checks["fd"], c.checks["iou"]
    cols = st.columns(3)
    cols[0].metric("max |QᵀQ - I| (live)", f"{hp.orthogonality_error(c.G_hp):.1e}",
                   help="Over the full Householder products Q_out and Q_in of every projector layer, float32.")
    cols[1].metric("Fréchet distance, base", f"{fd_base:.3f}")
    cols[2].metric("Fréchet distance, Householder", f"{fd_hp:.3f}", delta=f"{fd_hp - fd_base:+.3f}",
                   delta_color="inverse")
    cols = st.columns(3)
    cols[0].metric("re-render IoU, rendered images", f"{checks['iou_renders']:.3f}",
                   help="The ceiling: the regressor's own reading errors keep it below 1.")
    cols[1].metric("re-render IoU, base", f"{iou_base:.3f}")
    cols[2].metric("re-render IoU, Householder", f"{iou_hp:.3f}", delta=f"{iou_hp - iou_base:+.3f}")
    figure(*readout_figure(hp.readout_cosines(c.G_hp, c.layer)), "householder_readout",
           caption="Both bases span the same k-dimensional subspace (each row's squared cosines sum to 1), but "
                   "the SVD of a matrix with k equal singular values picks an arbitrary basis of it. The page "
                   "reads directions from Q_in itself.")
    st.caption(f"Fréchet distance: FID's formula on the factor regressor's 64-d penultimate features, "
               f"{QUALITY_SAMPLES} generated vs {QUALITY_SAMPLES} rendered images, the paper's FID stand-in (Inception "
               "weights cannot be downloaded here). Re-render IoU: the regressor reads each sample's factors, the "
               "renderer draws them, and the two objects' masks are compared: soft, lopsided or star-shaped samples "
               "match no rendered shape, but a round blob matches a circle (the shape mix catches a generator that "
               f"draws only those). Shape mix after the fine-tune: {describe_mix(checks['mix'][1])}. "
               + quality_source(checks))
    recheck = on_request(QUALITY, c.model_key, live_quality, "Re-checking fidelity live...", f"Re-check these "
                         f"numbers live ({QUALITY_SAMPLES} samples per generator, about {checks.get('seconds', 3):.0f} s)")
    if recheck is not None and checks["source"] == "asset":
        st.rerun()  # computed just now: show the live numbers in every section
    if checks["source"] == "live":
        st.caption(recheck_text(checks, shipped_checks(comparison(), c.model_key, QUALITY_SAMPLES)))


def live_finetune(c: SimpleNamespace):
    values, base = c.values, c.base
    st.header("6 · Fine-tune a projector live")
    st.markdown("Start again from the base generator: attach projectors (SVD initialisation), then train G "
                f"and D with the same GAN loss. The shipped fine-tune above ran the same code offline at batch "
                f"{c.tuned['batch']}; here batch 16 keeps a step under a second.")
    ft_steps = controls([FT_STEPS], where=st)["ft_steps"]
    run = on_request(FINETUNES, (ft_steps, base["step"]), lambda progress: hp.finetune_projector(
        base["g_ema"], base["d"], c.G_base.cfg, k=c.k, steps=ft_steps, progress=progress,
        lr=c.tuned.get("lr", hp.FINETUNE_LR)),
        "Fine-tuning...", f"Run {ft_steps} fine-tune steps (about {round(ft_steps * FT_SECONDS_PER_STEP) + 5} s)")
    if run is None:
        return
    G_live, log = run
    cols = st.columns(3)
    cols[0].metric("max |QᵀQ - I| after live fine-tune", f"{hp.orthogonality_error(G_live):.1e}")
    live_dirs = hp.householder_directions(G_live, c.layer)
    M_live, fd_live = cached(LIVE_SCORES, (ft_steps, base["step"], c.layer, values["truncation"]), lambda _: (
        hp.factor_response(G_live, c.net, live_dirs, c.layer, n=16, truncation=values["truncation"])[0],
        hp.fidelity(G_live, c.net)), "Scoring the live fine-tune...")
    cols[1].metric("live mean purity (this layer)", f"{hp.purity(M_live).mean():.2f}",
                   help="16 latents per direction (the shipped comparison above uses more).")
    cols[2].metric("live Fréchet distance", f"{fd_live:.3f}")
    figure(*gan_loss_figure(log, "Live Householder fine-tune: GAN losses"), "householder_live_finetune")
    st.image(grid_image(hp.traverse(G_live, live_dirs[c.j], c.layer, c.steps, rows=values["rows"],
                                    truncation=values["truncation"], seed=values["seed"])),
             caption=f"Live fine-tune, Householder direction {c.j} of the {values['layer']} block.")


def own_stylegan(c: SimpleNamespace):
    st.header("7 · Bring your own StyleGAN2")
    st.markdown("Upload a rosinality stylegan2-pytorch checkpoint (`.pt`, only `g_ema` is read) for its global SeFa "
                f"directions and a traversal on the CPU (up to {MAX_UPLOAD_MB} MB, the app's upload limit). It is read "
                "with `torch.load(weights_only=True)`: no code in the file can run. NVlabs `.pkl` files embed "
                "Python source and are refused.")
    upload = st.file_uploader("rosinality StyleGAN2 checkpoint", type=["pt", "pth", "pkl"],
                              key=unbound("upload", "an uploaded checkpoint cannot travel in a link"))
    if upload is None:
        return
    if upload.size > MAX_UPLOAD_MB * 2**20:
        st.error(f"The file is larger than {MAX_UPLOAD_MB} MB.", icon=":material/error:")
        return
    try:
        user_state, user_cfg = load_checkpoint_bytes(upload.getvalue())
    except ValueError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    G_user = build_generator(user_cfg, user_state)
    Vt, svals = hp.sefa_global(G_user, 10)
    st.success(f"Loaded a {user_cfg.size}x{user_cfg.size} generator, w-dim {user_cfg.style_dim}, "
               f"{sum(p.numel() for p in G_user.parameters()):,} parameters.")
    figure(*spectrum_figure(svals, np.zeros_like(svals), "your generator (global SeFa)"), "householder_user_spectrum")
    rows, steps = (2, np.linspace(-5, 5, 5)) if user_cfg.size > 64 else (c.values["rows"], c.steps)
    start = time.perf_counter()
    grid = hp.traverse(G_user, Vt[c.j], None, steps, rows=rows, truncation=c.values["truncation"],
                       seed=c.values["seed"])
    st.image(grid_image(grid, zoom=max(1, 96 // user_cfg.size)), caption=f"Global SeFa direction {c.j}, steps +-5 std "
             f"(rosinality's default degree), {time.perf_counter() - start:.1f} s on the CPU.")

values = header()
c = load(values)
the_generator(c)
reflections()
grid_seconds = traversals(c)
factor_response(c)
fidelity(c)
live_finetune(c)
own_stylegan(c)
compute_note(next(c.G_base.parameters()).device, "float32", grid_seconds)
