"""Figures of the Eigen-CAM page: pure functions from core/eigencam/ results to (plotly figure, data).

Each returns the figure and the DataFrame of exactly what it plots (maps as one row of the grid per line:
panel, row, then the values of columns 0...W-1). Saliency maps are drawn as a semi-transparent heat-map over
the image (go.Image + go.Heatmap on the same axes), so hovering reads the map's value; the renderer's object
mask, when there is one, is painted into the image as a white outline. Images travel as small PNG data URIs
rather than arrays of numbers: a page rerun with seven image panels stays cheap to build and to send.
"""
from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.theme import ACCENT, MUTED, PRIMARY

HEAT = "Turbo"
DIVERGING = "RdBu_r"
METHOD_COLORS = {"Eigen-CAM": PRIMARY, "Grad-CAM": ACCENT, "Grad-CAM++": "#2F9E44", "random map": MUTED}


def _rgb(image: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """(C, H, W) in [0, 1] -> (H, W, 3) uint8 (grey repeated), the mask's outline painted white."""
    img = np.repeat(image, 3, axis=0) if image.shape[0] == 1 else image
    rgb = (np.clip(img.transpose(1, 2, 0), 0, 1) * 255).astype(np.uint8)
    if mask is not None:                     # outline: dilation minus erosion (4-neighbours), 2 px wide
        grow, shrink = mask.copy(), mask.copy()
        for a, b in (((slice(1, None),), (slice(None, -1),)), ((slice(None, -1),), (slice(1, None),)),
                     ((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
                     ((slice(None), slice(None, -1)), (slice(None), slice(1, None)))):
            grow[a] |= mask[b]
            shrink[a] &= mask[b]
        rgb[grow & ~shrink] = 255
    return rgb


def _png(rgb: np.ndarray) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _long(name: str, grid: np.ndarray) -> pd.DataFrame:
    """One line per grid row: panel, row, col_0 ... col_{W-1} (values rounded to 4 decimals)."""
    frame = pd.DataFrame(np.round(grid, 4), columns=[f"col_{j}" for j in range(grid.shape[1])])
    frame.insert(0, "row", np.arange(grid.shape[0]))
    frame.insert(0, "panel", name)
    return frame


LAYERS = {"overlay": dict(colorscale=HEAT, zmin=0, zmax=1, opacity=0.55),   # a map over its image
          "map": dict(colorscale=HEAT, zmin=0, opacity=1.0),                # a map alone, 0 to its own max
          "signed": dict(colorscale=DIVERGING, zmid=0, opacity=1.0)}        # a signed map alone


def mosaic(rows: list[list[dict]], title: str, height: int, gap: int = 3, title_space: int = 12):
    """Panels laid out on ONE pair of axes: one image trace for all pictures, one heat-map per map panel.

    A panel is {"title", "image": (C, S, S) or None, "mask", "map": (h, w) or None, "kind"}; a map coarser than
    S is drawn with cells S/h pixels wide (its own values, no resampling). One axis pair instead of a subplot
    grid keeps building the figure cheap (plotly's per-axis objects dominate the cost of a subplot grid).
    """
    size = max(p["image"].shape[-1] if p.get("image") is not None else p["map"].shape[-1] for r in rows for p in r)
    n_cols = max(len(r) for r in rows)
    step_x, step_y = size + gap, size + title_space
    width, total = n_cols * step_x - gap, len(rows) * step_y
    canvas = np.full((total, width, 3), 255, np.uint8)
    signed = [p["map"] for r in rows for p in r if p.get("kind") == "signed"]
    lim = max([float(np.abs(g).max()) for g in signed] + [1e-12])
    traces, notes, scale_shown = [], [], set()
    for r, row in enumerate(rows):
        for c, panel in enumerate(row):
            y0, x0 = r * step_y + title_space, c * step_x
            if panel.get("image") is not None:
                canvas[y0:y0 + size, x0:x0 + size] = _rgb(panel["image"], panel.get("mask"))
            if panel.get("map") is not None:
                kind, grid = panel.get("kind", "overlay"), panel["map"]
                k = size / grid.shape[0]
                style = dict(LAYERS[kind], **(dict(zmin=-lim, zmax=lim) if kind == "signed" else {}))
                show = kind != "map" and kind not in scale_shown
                scale_shown.add(kind)
                traces.append(go.Heatmap(z=grid, x0=x0 + (k - 1) / 2, dx=k, y0=y0 + (k - 1) / 2, dy=k, showscale=show,
                                         colorbar=dict(x=1.0 if kind == "overlay" else -0.08, len=0.8),
                                         hovertemplate="%{z:.3f}<extra></extra>", **style))
            notes.append(dict(x=x0 + size / 2 - 0.5, y=y0 - 1.5, text=panel["title"], showarrow=False,
                              xanchor="center", yanchor="bottom", font=dict(size=13)))
    fig = go.Figure([go.Image(source=_png(canvas), hoverinfo="skip")] + traces)
    fig.update_xaxes(visible=False, range=[-0.5, width - 0.5], constrain="domain")
    fig.update_yaxes(visible=False, range=[total - 0.5, -0.5], scaleanchor="x", constrain="domain")
    fig.update_layout(title=title, height=height, annotations=notes, margin=dict(l=10, r=10, t=50, b=10),
                      plot_bgcolor="white")
    return fig


def maps_figure(image, maps: dict, mask, title: str):
    """The image (mask outline) and one overlay per method."""
    first = {"title": "input" + (" (white: true mask)" if mask is not None else ""), "image": image, "mask": mask}
    panels = [first] + [{"title": n, "image": image, "mask": mask, "map": m} for n, m in maps.items()]
    data = pd.concat([_long(n, m) for n, m in maps.items()], ignore_index=True)
    return mosaic([panels], title, 320), data


def matrix_figure(matrix: np.ndarray, singular: np.ndarray, centred: bool):
    """The activation matrix X (H*W rows x C columns) and its singular spectrum."""
    share = singular**2 / max((singular**2).sum(), 1e-300)
    fig = make_subplots(1, 2, column_widths=[0.6, 0.4], horizontal_spacing=0.16,
                        subplot_titles=(f"X: {matrix.shape[0]} positions x {matrix.shape[1]} channels"
                                        + (" (centred)" if centred else " (raw)"),
                                        f"singular values (PC1 carries {share[0]:.0%} of the variance)"))
    lim = float(np.abs(matrix).max()) or 1.0
    fig.add_trace(go.Heatmap(z=matrix, colorscale=DIVERGING if centred else "Viridis", zmid=0 if centred else None,
                             zmin=-lim if centred else None, zmax=lim if centred else None,
                             colorbar=dict(x=0.52, len=0.9),
                             hovertemplate="position %{y}, channel %{x}: %{z:.3f}<extra></extra>"), row=1, col=1)
    k = np.arange(1, len(singular) + 1)
    fig.add_trace(go.Bar(x=k, y=singular, marker_color=[PRIMARY] + [MUTED] * (len(k) - 1),
                         customdata=share, hovertemplate="sigma_%{x} = %{y:.3f} (%{customdata:.1%})<extra></extra>"),
                  row=1, col=2)
    fig.update_yaxes(autorange="reversed", title="position (row-major h*W + w)", row=1, col=1)
    fig.update_xaxes(title="channel c", row=1, col=1)
    fig.update_xaxes(title="k", row=1, col=2)
    fig.update_yaxes(title="sigma_k", row=1, col=2)
    fig.update_layout(title="Step 1-3: the activations as a matrix, centred, and its SVD", height=420,
                      showlegend=False, margin=dict(t=80))
    data = pd.DataFrame({"k": k, "singular_value": singular, "variance_share": share})
    return fig, data


def pipeline_figure(raw, signed, relu, scaled, upsampled, image, flipped: bool):
    """Steps 4-8: projection as the SVD gave it, after the sign rule, ReLU, min-max, upsampled overlay."""
    panels = [{"title": "4 · X v1 as returned", "map": raw, "kind": "signed"},
              {"title": "5 · sign rule" + (" (flipped)" if flipped else " (kept)"), "map": signed, "kind": "signed"},
              {"title": "6 · ReLU", "map": relu, "kind": "map"},
              {"title": "7 · min-max", "map": scaled, "kind": "map"},
              {"title": "8 · upsample, overlay", "image": image, "map": upsampled}]
    fig = mosaic([panels], "Step 4-8: the PC1 projection becomes a saliency map", 300)
    data = pd.concat([_long("projection_as_returned", raw), _long("after_sign_rule", signed), _long("relu", relu),
                      _long("min_max", scaled)], ignore_index=True)
    return fig, data


def classes_figure(image, per_class: dict, eigen, mask):
    """Grad-CAM for every class beside the one Eigen-CAM map (it has no class input)."""
    names = [f"Grad-CAM: {c}" for c in per_class] + ["Eigen-CAM (any class)"]
    grids = list(per_class.values()) + [eigen]
    panels = [{"title": n, "image": image, "mask": mask, "map": g} for n, g in zip(names, grids)]
    fig = mosaic([panels], "Class-specific (Grad-CAM) against class-agnostic (Eigen-CAM)", 300)
    return fig, pd.concat([_long(n, g) for n, g in zip(names, grids)], ignore_index=True)


def robustness_figure(image, adv_image, clean: dict, attacked: dict, corr: dict, mask, eps: float):
    """Row 1: clean image and maps; row 2: FGSM image and maps; titles carry each method's correlation."""
    names = list(clean)
    rows = [[{"title": "clean", "image": image, "mask": mask}] +
            [{"title": n, "image": image, "mask": mask, "map": clean[n]} for n in names],
            [{"title": f"FGSM eps {eps:g}", "image": adv_image, "mask": mask}] +
            [{"title": f"{n}: corr {corr[n]:.2f}", "image": adv_image, "mask": mask, "map": attacked[n]}
             for n in names]]
    fig = mosaic(rows, "The same maps after an adversarial step that targets the classifier", 560)
    data = pd.concat([_long(f"clean {n}", clean[n]) for n in names] + [_long(f"fgsm {n}", attacked[n]) for n in names],
                     ignore_index=True)
    return fig, data


def probabilities_figure(classes, clean, attacked=None):
    data = pd.DataFrame({"class": list(classes), "clean": clean})
    fig = go.Figure(go.Bar(x=data["class"], y=data.clean, name="clean", marker_color=PRIMARY))
    if attacked is not None:
        data["fgsm"] = attacked
        fig.add_trace(go.Bar(x=data["class"], y=data.fgsm, name="after FGSM", marker_color=ACCENT))
    fig.update_layout(title="Classifier probabilities", height=260, yaxis=dict(range=[0, 1], title="p"),
                      barmode="group", margin=dict(t=50, b=30))
    return fig, data


def scores_frame(rows: list[dict]) -> pd.DataFrame:
    """The localisation table, one row per condition and method."""
    frame = pd.DataFrame(rows)
    return frame.rename(columns={"pointing": "pointing game", "iou": "IoU", "energy": "energy in mask"})


def sweep_figure(frame: pd.DataFrame, eps: float):
    """Held-out accuracy and each method's clean/attacked map correlation against epsilon (precomputed)."""
    fig = make_subplots(1, 2, subplot_titles=("held-out accuracy", "mean |corr(clean map, FGSM map)|"))
    fig.add_trace(go.Scatter(x=frame.eps, y=frame.accuracy, mode="lines+markers", name="accuracy",
                             line=dict(color="#212529")), row=1, col=1)
    for m in ("Eigen-CAM", "Grad-CAM", "Grad-CAM++"):
        fig.add_trace(go.Scatter(x=frame.eps, y=frame[m], mode="lines+markers", name=m,
                                 line=dict(color=METHOD_COLORS[m])), row=1, col=2)
    for c in (1, 2):
        fig.add_vline(x=eps, line=dict(color=MUTED, dash="dot"), row=1, col=c)
        fig.update_xaxes(title="FGSM epsilon", row=1, col=c)
    fig.update_yaxes(range=[0, 1.02])
    fig.update_layout(title="Precomputed on the held-out scenes: the classifier falls, which maps stay?", height=340)
    return fig, frame
