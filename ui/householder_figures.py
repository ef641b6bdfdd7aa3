"""Figures of the Householder Projector page: pure functions returning (plotly figure, data) or images.

No Streamlit here. The traversal grids are images (numpy), everything else a plotly figure with the
DataFrame of exactly what it plots.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.householder import SCORED, shapes
from ui.theme import ACCENT, MUTED, PRIMARY


def grid_image(grid: np.ndarray, zoom: int = 3, gap: int = 2) -> np.ndarray:
    """(rows, cols, H, W, 3) in [0, 1] -> one uint8 image, cells enlarged ``zoom`` x, white gaps."""
    rows, cols, h, w, _ = grid.shape
    H, W = h * zoom + gap, w * zoom + gap
    out = np.ones((rows, H, cols, W, 3))
    out[:, :h * zoom, :, :w * zoom] = grid.repeat(zoom, 2).repeat(zoom, 3).transpose(0, 2, 1, 3, 4)
    return (out.reshape(rows * H, cols * W, 3)[:rows * H - gap, :cols * W - gap] * 255).round().astype(np.uint8)


def spectrum_figure(sefa_values: np.ndarray, hp_values: np.ndarray, layer_name: str):
    n = len(sefa_values)
    data = pd.DataFrame({"index": np.arange(n), "sefa_singular_value": sefa_values,
                         "householder_singular_value": hp_values[:n]})
    fig = go.Figure()
    fig.add_bar(x=data["index"], y=data.sefa_singular_value, name="trained A (SeFa reads these)", marker_color=MUTED)
    fig.add_bar(x=data["index"], y=data.householder_singular_value, name="Householder projector A",
                marker_color=PRIMARY)
    fig.update_layout(title=f"Singular values of the style affine A, {layer_name}", barmode="group",
                      xaxis_title="singular index (direction)", yaxis_title="singular value", height=320)
    return fig, data


def response_figure(M_sefa: np.ndarray, M_hp: np.ndarray):
    """Two heatmaps, directions x factors: how much each true factor moves along each direction."""
    k = M_sefa.shape[0]
    zmax = float(max(M_sefa.max(), M_hp.max(), 1e-6))
    fig = make_subplots(1, 2, subplot_titles=("SeFa directions", "Householder directions"), horizontal_spacing=0.08)
    for col, M in ((1, M_sefa), (2, M_hp)):
        fig.add_heatmap(z=M, x=list(SCORED), y=[f"dir {j}" for j in range(k)], zmin=0, zmax=zmax,
                        colorscale="Blues", showscale=col == 2, row=1, col=col,
                        hovertemplate="%{y} · %{x}: %{z:.3f}<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title="Factor response per direction (mean change of each true factor)", height=380,
                      hovermode="closest")
    rows = [dict(method=m, direction=j, **{f: float(M[j, i]) for i, f in enumerate(SCORED)})
            for m, M in (("sefa", M_sefa), ("householder", M_hp)) for j in range(k)]
    return fig, pd.DataFrame(rows)


def purity_figure(p_sefa: np.ndarray, p_hp: np.ndarray, s_sefa: np.ndarray, s_hp: np.ndarray):
    k = len(p_sefa)
    data = pd.DataFrame({"direction": np.arange(k), "sefa_purity": p_sefa, "householder_purity": p_hp,
                         "sefa_pixel_rms": s_sefa, "householder_pixel_rms": s_hp})
    fig = make_subplots(1, 2, subplot_titles=("purity: top factor's share (1 = one factor)",
                                              "strength: pixel RMS change"), horizontal_spacing=0.1)
    for name, colour, p, s in (("SeFa", MUTED, p_sefa, s_sefa), ("Householder", PRIMARY, p_hp, s_hp)):
        fig.add_bar(x=data.direction, y=p, name=name, marker_color=colour, row=1, col=1)
        fig.add_bar(x=data.direction, y=s, name=name, marker_color=colour, showlegend=False, row=1, col=2)
    fig.add_hline(y=1 / len(SCORED), line=dict(color=ACCENT, dash="dot"), row=1, col=1,
                  annotation_text="all factors equal", annotation_position="top left")
    fig.update_layout(title="Disentanglement per direction", barmode="group", height=360,
                      legend=dict(y=1.16), margin=dict(t=90))
    fig.update_xaxes(title="direction index")
    return fig, data


def gan_loss_figure(log: list, title: str):
    """D and G losses against step; ``log`` rows end with (d_loss, g_loss) after the step (and seconds)."""
    columns = ["step", "d_loss", "g_loss"] if len(log[0]) == 3 else ["step", "seconds", "d_loss", "g_loss"]
    data = pd.DataFrame(log, columns=columns)
    fig = go.Figure()
    fig.add_scatter(x=data.step, y=data.d_loss, name="D loss", line=dict(color=MUTED))
    fig.add_scatter(x=data.step, y=data.g_loss, name="G loss", line=dict(color=PRIMARY))
    fig.update_layout(title=title, xaxis_title="step", yaxis_title="loss", height=300)
    return fig, data


def readout_figure(cosines: np.ndarray):
    """|cos| between the Householder read-out (columns of Q_in) and an SVD read-out of the same A."""
    k = cosines.shape[0]
    fig = go.Figure(go.Heatmap(z=cosines, x=[f"svd {i}" for i in range(k)], y=[f"Q_in col {j}" for j in range(k)],
                               zmin=0, zmax=1, colorscale="Blues",
                               hovertemplate="%{y} · %{x}: %{z:.2f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title="Reading directions by SVD of the projector's A gives a rotated basis", height=360,
                      hovermode="closest")
    rows = [dict(householder_direction=j, svd_direction=i, abs_cosine=float(cosines[j, i]))
            for j in range(k) for i in range(k)]
    return fig, pd.DataFrame(rows)


def reflector_figure(Q: np.ndarray, m: int):
    """The orthogonal matrix built from m reflectors, and Q^T Q (the identity, whatever m)."""
    n = Q.shape[0]
    fig = make_subplots(1, 2, subplot_titles=(f"Q = H(v_1)...H(v_{m})" if m else "Q = I (no reflector yet)",
                                              "QᵀQ"), horizontal_spacing=0.12)
    for col, M in ((1, Q), (2, Q.T @ Q)):
        fig.add_heatmap(z=M, zmin=-1, zmax=1, colorscale="RdBu", showscale=col == 2, row=1, col=col,
                        hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title="A product of Householder reflections is orthogonal by construction", height=360,
                      hovermode="closest")
    rows = [dict(matrix=name, row=r, col=c, value=float(M[r, c]))
            for name, M in (("Q", Q), ("QtQ", Q.T @ Q)) for r in range(n) for c in range(n)]
    return fig, pd.DataFrame(rows)


def describe_mix(mix) -> str:
    """'50% squares, 28% circles, 22% triangles' for a shape mix."""
    return ", ".join(f"{share:.0%} {name}s" for name, share in zip(shapes.SHAPES, mix))


def shipped_responses(comparison: dict | None, model_key: tuple, layer: int, method: str, psi: float, n: int,
                      k_sefa: int) -> dict | None:
    """Section 4's factor responses as scripts/score_householder.py wrote them (the page's own call) when they
    match these generators and controls, in the shape of core.householder.compare_responses; else None."""
    r = (comparison or {}).get("responses")
    if (r is None or (r["base_step"], r["finetune_steps"]) != tuple(model_key) or abs(r["truncation"] - psi) > 1e-9
            or (r["sefa_method"], r["n"], r["k_sefa"]) != (method, n, k_sefa)):
        return None
    return {**{name: (np.array(r["layers"][layer][name]["M"]), np.array(r["layers"][layer][name]["strength"]))
               for name in ("sefa", "householder")}, "source": "asset", "seconds": r["seconds"], "n": n}


def response_source(resp: dict, shipped: dict | None) -> str:
    """Where section 4's responses come from, and how far a live recomputation lies from the shipped ones."""
    if resp["source"] == "asset":
        return (f"These responses were computed at asset-build time by scripts/score_householder.py, with the page's "
                f"own call at these controls ({resp['n']} latents per direction, fixed seeds); the button recomputes "
                "them live. Any other SeFa variant or psi is computed live.")
    if shipped is None:
        return "Computed live in this server process."
    gap = max(float(np.abs(resp[m][i] - shipped[m][i]).max()) for m in ("sefa", "householder") for i in (0, 1))
    return (f"Recomputed live in this server process; largest difference from the asset-build numbers "
            f"(scripts/score_householder.py): {gap:.2g}.")


def shipped_checks(comparison: dict | None, model_key: tuple, n: int) -> dict | None:
    """The fidelity checks scripts/score_householder.py wrote for exactly these generators (base step,
    fine-tune steps) and sample count, in the shape of core.householder.quality_checks; None when absent."""
    q = (comparison or {}).get("quality")
    if q is None or (q["base_step"], q["finetune_steps"]) != tuple(model_key) or q["n"] != n:
        return None
    return {"fd": tuple(q["fd"]), "iou": tuple(q["iou"]), "mix": tuple(np.array(m) for m in q["mix"]),
            "iou_renders": q["iou_renders"], "psi": {round(p, 4): (np.array(mix), iou) for p, mix, iou in q["psi"]},
            "seconds": q["seconds"], "source": "asset"}


def psi_source(psi: float, checks: dict, n_psi: int, n: int) -> str:
    """Where the traversal caption's two shape mixes come from (psi 1 and the default psi: section 1's checks)."""
    when = "at asset-build time (scripts/score_householder.py)" if checks["source"] == "asset" else "live"
    if psi == 1:
        return f"Both: {n} samples, computed {when} with section 1's numbers."
    if round(psi, 4) in checks["psi"]:
        return f"Psi {psi:g}: {n_psi} samples, psi 1: {n}, both computed {when} with section 1's numbers."
    return f"Psi {psi:g}: {n_psi} samples, computed live; psi 1: {n} samples, section 1's numbers."


def quality_source(checks: dict) -> str:
    """Where the fidelity numbers come from, said next to them."""
    if checks["source"] == "asset":
        return (f"Computed at asset-build time by scripts/score_householder.py ({checks['seconds']:.0f} s on one CPU "
                "thread), with fixed seeds: the button in section 5 re-checks them live.")
    return "Computed live in this server process."


def recheck_text(live: dict, shipped: dict | None) -> str:
    """How far the live re-check lies from the asset-build numbers (fixed seeds: only float round-off)."""
    if shipped is None:
        return "No asset-build numbers are shipped for these generators: the numbers above are the only ones."
    ious = lambda q: [*q["iou"], q["iou_renders"], *(iou for _, iou in q["psi"].values())]  # noqa: E731
    mixes = lambda q: [*q["mix"], *(mix for mix, _ in q["psi"].values())]  # noqa: E731
    gaps = {"Fréchet distance": max(abs(a - b) for a, b in zip(live["fd"], shipped["fd"])),
            "re-render IoU": max(abs(a - b) for a, b in zip(ious(live), ious(shipped))),
            "shape share": max(float(np.abs(a - b).max()) for a, b in zip(mixes(live), mixes(shipped)))}
    return ("Live re-check against the asset-build numbers (scripts/score_householder.py), largest differences: "
            + ", ".join(f"{name} {gap:.2g}" for name, gap in gaps.items()) + ".")


INTRO = ("SeFa finds a GAN's semantic directions in closed form: the style of every modulated conv is `s = A w + b`, "
         "so the directions that change s the most are the top right singular vectors of A. The Householder Projector "
         "paper argues that A is neither orthogonal nor low-rank, so these directions mix several attributes and most "
         "of them do little. It replaces A by `Q_out[:, :k] Q_in[:k, :]`, with each Q a product of Householder "
         "reflections `H(v) = I - 2vvᵀ/|v|²`: exactly orthogonal, rank k, all k singular values equal. A short "
         "fine-tune with the unchanged GAN loss then lets the generator put one attribute on each direction. No "
         "pretrained StyleGAN can be downloaded here, so this page runs on a small StyleGAN2 trained by the project on "
         "rendered shapes, whose true factors (shape, size, position, rotation, colour, background) are known: a "
         "factor regressor measures what each direction really changes.")

SHOWS = """
* **Traversal figures** (StyleGAN2 on FFHQ, LSUN Church and Cat; StyleGAN3 on AFHQv2, MetFaces, SHHQ):
  SeFa's top eigenvectors change several attributes at once; after the projector fine-tune each of the
  k = 10 directions of a layer changes one attribute (pose, smile, hair colour, ...).
* **Headline tables**: FID stays about equal to the pretrained model's, while PPL and PIPL (the paper's
  new path length along eigen-directions) drop: smoother, more precise edits.
* The abstract's claim: "Within only 1 % of the original training steps for fine-tuning, our projector
  helps StyleGANs to discover more disentangled and precise semantic attributes without sacrificing
  image fidelity." The projector starts from the SVD of the pretrained A."""

DIFFERS = """
* **Generator and data**: a ~270k-parameter StyleGAN2 (rosinality's layout: mapping MLP, modulated and demodulated
  3x3 convs, noise, ToRGB skips) trained here on 32x32 rendered shapes, instead of pretrained FFHQ / LSUN models:
  3.63M images at batch 128 (23 minutes on one H200 GPU for 3.1M of them, 4.3 hours on a 2-core CPU for 0.56M). R1
  gamma 0.05 every 16 steps, a compact residual discriminator, no path-length regulariser, style mixing 0.5 instead
  of 0.9. The paper's models saw tens of millions of images. **Quality**: the samples are squares, circles and
  triangles with soft corners; some are lopsided, and some squares come out as four-pointed stars (section 5's
  re-render IoU scores this per sample, against the same score on rendered images). About half of them are squares,
  a quarter circles, a fifth triangles (section 1 shows the shape mix of both generators, computed at asset-build
  time and re-checked live by section 5's button; the renderer draws a third of each). Past 3M images the IoU stopped rising (about 0.79, renders 0.91) at every batch size tried (128 to
  1024); our untested guess is the capacity of this small GAN (32 channels at 32x32 in G and D). Every run first
  drew blobs, then drifted to mostly circles for a while (0.1M to 1M images) before the corners and the other shapes
  came back, so the trainer keeps the checkpoint with the best-balanced shape mix, not the last one.
* **Projector**: k reflectors per factor (they already reach every orthonormal k-frame) instead of the
  official full n x n products; a fixed scalar gain (the mean top-k singular value of the trained A) keeps
  the k singular values equal but at the trained scale (the StyleGAN3 code keeps a 1/sqrt(512) gain, the
  StyleGAN2 code none). The initialisation uses the correct unit-lower geqrf vectors, so the start equals
  the trained top-k SVD (the official copy of the raw geqrf output does not). {finetune}
* **Metrics**: FID and PIPL need Inception / LPIPS weights that cannot be downloaded here; a Fréchet
  distance on the factor regressor's features, a per-sample re-render IoU (is this a shape the renderer
  could draw?) and a ground-truth factor response replace them. The PIPL analogue in section 4's verdict is
  a path length along each direction in the regressor's feature space (|f(w + (t + d)v) - f(w + tv)|^2 / d^2).
* **Read-out**: directions are the columns of Q_in, read from the Householder factor, never from an SVD
  of the fine-tuned A (its equal singular values make that an arbitrary rotation).
"""


def differs_text(comparison: dict | None) -> str:
    """The page's "What differs" with the shipped fine-tune's length and learning rate."""
    if comparison is None:
        return DIFFERS.format(finetune="")
    run = comparison["run"]
    finetune = (f"The shipped fine-tune ran {run['finetune_steps']:,} steps at batch {run['batch']} and lr "
                f"{run['lr']:g} (the base's learning rate is 0.002), {run['images_fraction']:.2%} of the base's "
                f"images (the paper: about 1 % of its steps)"
                + (f", stopped at step {run['finetune_steps']:,} of a planned {run['planned_steps']:,} to meet a "
                   "deadline on a shared 2-core CPU." if run["planned_steps"] > run["finetune_steps"] else "."))
    return DIFFERS.format(finetune=finetune)


def try_this_text(comparison: dict | None) -> str:
    """Try this, with item 3 stated from the shipped per-direction strengths."""
    third = ("3. Step through **Direction index** and watch the strength panel: SeFa's directions are ranked by "
             "singular value; the Householder ones share one singular value in A.")
    if comparison is not None:
        strength = {m: [r["strength"] for r in comparison["rows"] if r["method"] == m] for m in ("SeFa", "Householder")}
        h, s = strength["Householder"], strength["SeFa"]
        third += (f" That does not make their edits equally strong in pixels: over all layers the Householder "
                  f"directions move pixels by {min(h):.3f} to {max(h):.3f} (RMS), SeFa's by {min(s):.3f} to "
                  f"{max(s):.3f}. One gain in the style affine is not one effect on the image.")
    return "\n".join([
        "1. Compare the **purity** and **MIG-style gap** metrics of section 4, SeFa vs Householder, then switch",
        "   **Layer**: which factors does each resolution carry? (In face StyleGANs coarse layers hold pose and",
        "   shape, fine layers colour and texture.) The verdict under it gives the numbers over every layer.",
        "2. Set **SeFa variant = global**: rosinality's directions come from all layers at once and edit every",
        "   W+ slot; compare their factor response with the per-layer ones.",
        third,
        "4. Run the **live fine-tune** and check that |QᵀQ - I| stays at float32 round-off whatever the steps."])


def comparison_table(result: dict) -> pd.DataFrame:
    """Per layer and method: mean cosine to the SVD start, purity, MIG-style gap, PIPL (precomputed)."""
    rows = pd.DataFrame(result["rows"])
    table = rows.groupby(["layer", "method"], sort=False).agg(
        cos_to_init=("cos_to_init", "mean"), min_cos_to_init=("cos_to_init", "min"), purity=("purity", "mean"),
        mig_gap=("layer_mig_gap", "first"), pipl=("pipl", "mean"), strength=("strength", "mean")).reset_index()
    table["layer"] = table["layer"].map({0: "8x8", 1: "16x16", 2: "32x32"})
    return table.round(3)
