"""Figures of the Eigen-CAM page: pure functions from core/eigencam/ results to (plotly figure, data).

Each returns the figure and the DataFrame of exactly what it plots. Saliency maps are drawn as a
semi-transparent heat-map over the image (go.Image + go.Heatmap on the same axes), so hovering reads the
map's value; the renderer's object mask, when there is one, is a white contour.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.theme import ACCENT, MUTED, PRIMARY

HEAT = "Turbo"
DIVERGING = "RdBu_r"
METHOD_COLORS = {"Eigen-CAM": PRIMARY, "Grad-CAM": ACCENT, "Grad-CAM++": "#2F9E44", "random map": MUTED}


def _rgb(image: np.ndarray) -> np.ndarray:
    """(C, H, W) in [0, 1] -> (H, W, 3) uint8 for go.Image (grey images repeated)."""
    img = np.repeat(image, 3, axis=0) if image.shape[0] == 1 else image
    return (np.clip(img.transpose(1, 2, 0), 0, 1) * 255).astype(np.uint8)


def _long(name: str, grid: np.ndarray) -> pd.DataFrame:
    rows, cols = np.indices(grid.shape)
    return pd.DataFrame({"panel": name, "row": rows.ravel(), "col": cols.ravel(), "value": grid.ravel()})


def _overlay(fig, image, cam, mask, row, col, opacity=0.55, showscale=False):
    fig.add_trace(go.Image(z=_rgb(image), hoverinfo="skip"), row=row, col=col)
    if cam is not None:
        fig.add_trace(go.Heatmap(z=cam, colorscale=HEAT, zmin=0, zmax=1, opacity=opacity, showscale=showscale,
                                 hovertemplate="row %{y}, col %{x}: %{z:.2f}<extra></extra>"), row=row, col=col)
    if mask is not None:
        fig.add_trace(go.Contour(z=mask.astype(float), contours=dict(start=0.5, end=0.5, coloring="lines"),
                                 colorscale=[[0, "white"], [1, "white"]], line=dict(width=2), showscale=False,
                                 hoverinfo="skip"),
                      row=row, col=col)


def _square_axes(fig):
    """Every panel square (pixels are square), no tick labels, rows counted from the top as in an image."""
    for name in fig.layout:
        if name.startswith("xaxis"):
            fig.layout[name].update(showticklabels=False, scaleanchor="y" + name[5:], constrain="domain")
    fig.update_yaxes(showticklabels=False, autorange="reversed", constrain="domain")


def maps_figure(image, maps: dict, mask, title: str):
    """The image (mask contour) and one overlay per method."""
    names = list(maps)
    fig = make_subplots(1, len(names) + 1, subplot_titles=["input" + (" (white: true mask)" if mask is not None
                                                                      else "")] + names, horizontal_spacing=0.02)
    _overlay(fig, image, None, mask, 1, 1)
    for i, name in enumerate(names, 2):
        _overlay(fig, image, maps[name], mask, 1, i, showscale=i == len(names) + 1)
    _square_axes(fig)
    fig.update_layout(title=title, height=300, margin=dict(l=10, r=10, t=70, b=10))
    data = pd.concat([_long(n, m) for n, m in maps.items()], ignore_index=True)
    return fig, data


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
    titles = ["4 · X v1 as returned", "5 · sign rule" + (" (flipped)" if flipped else " (kept)"),
              "6 · ReLU", "7 · min-max", "8 · upsample + overlay"]
    fig = make_subplots(1, 5, subplot_titles=titles, horizontal_spacing=0.02)
    lim = float(max(np.abs(raw).max(), 1e-12))
    for i, z in enumerate((raw, signed), 1):
        fig.add_trace(go.Heatmap(z=z, colorscale=DIVERGING, zmid=0, zmin=-lim, zmax=lim, showscale=i == 1,
                                 colorbar=dict(x=-0.06, len=0.8),
                                 hovertemplate="%{z:.3f}<extra></extra>"), row=1, col=i)
    fig.add_trace(go.Heatmap(z=relu, colorscale=HEAT, zmin=0, showscale=False,
                             hovertemplate="%{z:.3f}<extra></extra>"), row=1, col=3)
    fig.add_trace(go.Heatmap(z=scaled, colorscale=HEAT, zmin=0, zmax=1, showscale=False,
                             hovertemplate="%{z:.3f}<extra></extra>"), row=1, col=4)
    _overlay(fig, image, upsampled, None, 1, 5)
    _square_axes(fig)
    fig.update_layout(title="Step 4-8: the PC1 projection becomes a saliency map", height=300,
                      margin=dict(l=40, r=10, t=80, b=10))
    data = pd.concat([_long("projection_as_returned", raw), _long("after_sign_rule", signed), _long("relu", relu),
                      _long("min_max", scaled)], ignore_index=True)
    return fig, data


def classes_figure(image, per_class: dict, eigen, mask):
    """Grad-CAM for every class beside the one Eigen-CAM map (it has no class input)."""
    names = [f"Grad-CAM: {c}" for c in per_class] + ["Eigen-CAM (any class)"]
    fig = make_subplots(1, len(names), subplot_titles=names, horizontal_spacing=0.02)
    for i, cam in enumerate(list(per_class.values()) + [eigen], 1):
        _overlay(fig, image, cam, mask, 1, i)
    _square_axes(fig)
    fig.update_layout(title="Class-specific (Grad-CAM) against class-agnostic (Eigen-CAM)", height=280,
                      margin=dict(l=10, r=10, t=70, b=10))
    data = pd.concat([_long(n, m) for n, m in zip(names, list(per_class.values()) + [eigen])], ignore_index=True)
    return fig, data


def robustness_figure(image, adv_image, clean: dict, attacked: dict, corr: dict, mask, eps: float):
    """Row 1: clean image and maps; row 2: FGSM image and maps; titles carry each method's correlation."""
    names = list(clean)
    titles = ["clean"] + names + [f"FGSM eps {eps:g}"] + [f"{n}: corr {corr[n]:.2f}" for n in names]
    fig = make_subplots(2, len(names) + 1, subplot_titles=titles, horizontal_spacing=0.02, vertical_spacing=0.08)
    _overlay(fig, image, None, mask, 1, 1)
    _overlay(fig, adv_image, None, mask, 2, 1)
    for i, n in enumerate(names, 2):
        _overlay(fig, image, clean[n], mask, 1, i)
        _overlay(fig, adv_image, attacked[n], mask, 2, i)
    _square_axes(fig)
    fig.update_layout(title="The same maps after an adversarial step that targets the classifier", height=520,
                      margin=dict(l=10, r=10, t=80, b=10))
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
