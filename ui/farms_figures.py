"""Figures of the FARMS page: pure functions from core/farms/ results to (plotly figure, data).

Each returns the figure and the DataFrame of exactly what it plots (the page offers it as CSV).
"""
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.farms.bias import METHODS
from core.farms.spectrum import mp_density
from ui.theme import ACCENT, MUTED, PRIMARY

METHOD_COLORS = {"full_median": ACCENT, "full_clauset": MUTED, "farms_median": PRIMARY, "farms_peak": "#2F9E44"}
SET_COLORS = {"full ESD": ACCENT, "FARMS": PRIMARY, "uniform": MUTED}


def alpha_vs_q_figure(sweep: dict, title: str):
    data = pd.DataFrame({"Q": sweep["Q"], **{m: sweep[m] for m in METHODS if m in sweep}})
    fig = go.Figure()
    for m in METHODS:
        if m in sweep:
            fig.add_scatter(x=data["Q"], y=data[m], name=METHODS[m][0], mode="lines+markers",
                            line=dict(color=METHOD_COLORS[m], width=3 if m.startswith("farms") else 2,
                                      dash="dot" if m.endswith(("clauset", "peak")) else "solid"))
    fig.update_layout(title=title, height=400, xaxis=dict(title="aspect ratio Q = N / M", type="log",
                      tickvals=data["Q"].tolist()), yaxis_title="fitted alpha", legend=dict(y=-0.35, x=0,
                      xanchor="left", yanchor="top"))
    return fig, data


def _log_hist(eigs: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Density of log10(eigenvalue) on ``bins`` (so a heavy tail and the bulk share one readable axis)."""
    counts, _ = np.histogram(np.log10(eigs), bins=bins, density=True)
    return counts


def esd_figure(full: np.ndarray, pooled: np.ndarray, full_shape, window_shape, sigma2: float):
    """Two panels: the full matrix's ESD and the pooled window ESD, each with its Marchenko-Pastur density."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        f"full {full_shape[0]} x {full_shape[1]}: {full.size} eigenvalues",
        f"windows {window_shape[0]} x {window_shape[1]}, pooled: {pooled.size} eigenvalues"))
    frames = []
    for col, (eigs, (n, m), name) in enumerate(((full, full_shape, "full"), (pooled, window_shape, "pooled")), 1):
        eigs = eigs[eigs > 0]
        bins = np.linspace(np.log10(eigs.min()), np.log10(eigs.max()), int(np.clip(np.sqrt(eigs.size) * 2, 15, 60)) + 1)
        centres = (bins[1:] + bins[:-1]) / 2
        hist = _log_hist(eigs, bins)
        x = 10 ** centres
        mp = mp_density(x, n, m, sigma2) * x * np.log(10)   # density of log10(lambda)
        fig.add_bar(x=centres, y=hist, marker_color=ACCENT if name == "full" else PRIMARY, opacity=0.75,
                    name=f"{name} ESD", row=1, col=col)
        fig.add_scatter(x=centres, y=mp, mode="lines", line=dict(color="#212529", width=2),
                        name="Marchenko-Pastur (same entry variance)", showlegend=col == 1, row=1, col=col)
        frames.append(pd.DataFrame({"panel": name, "log10_lambda": centres, "esd_density": hist, "mp_density": mp}))
    fig.update_layout(title="ESD of the full matrix vs the pooled FARMS windows (log10 eigenvalue axis)",
                      height=420, bargap=0, hovermode="closest", margin=dict(t=90),
                      legend=dict(y=-0.2, x=0, xanchor="left", yanchor="top"))
    fig.update_xaxes(title_text="log10 eigenvalue of W^T W")
    fig.update_yaxes(title_text="density", col=1)
    return fig, pd.concat(frames, ignore_index=True)


def grid_figure(W: np.ndarray, grid, max_cells: int = 40_000):
    """The matrix as a heat-map (every k-th row/column when large) with the window grid drawn over it."""
    n, m = W.shape
    step = max(1, int(np.ceil(np.sqrt(n * m / max_cells))))
    rows, cols = np.arange(0, n, step), np.arange(0, m, step)
    z = W[::step, ::step]
    lim = float(np.quantile(np.abs(z), 0.99)) or 1.0
    fig = go.Figure(go.Heatmap(z=z, x=cols, y=rows, colorscale="RdBu", zmin=-lim, zmax=lim, showscale=False,
                               hovertemplate="row %{y}, col %{x}: %{z:.3g}<extra></extra>"))
    # Every window outlined, the first one bold. One list set at once: add_shape in a loop re-validates every
    # earlier shape each time (2.4 s for this figure at the default grid).
    fig.layout.shapes = [dict(type="rect", x0=c - 0.5, x1=c + grid.cols - 0.5, y0=r - 0.5, y1=r + grid.rows - 0.5,
                              line=dict(color=ACCENT if i else "#212529", width=3 if i == 0 else 1),
                              opacity=1.0 if i == 0 else 0.5) for i, (r, c) in enumerate(grid.corners)]
    k = len(grid.corners)
    fig.update_layout(title=f"{k} window{'s' if k > 1 else ''} of {grid.rows} x {grid.cols} over the {n} x {m} matrix "
                            "(first window in black)", height=520, hovermode="closest",
                      yaxis=dict(autorange="reversed", title="row", scaleanchor="x", constrain="domain"),
                      xaxis=dict(title="column", constrain="domain"))
    data = pd.DataFrame([{"window": i, "row_start": r, "col_start": c, "rows": grid.rows, "cols": grid.cols}
                         for i, (r, c) in enumerate(grid.corners)])
    return fig, data


def layer_alpha_figure(table: pd.DataFrame, title: str):
    """Per-layer alpha, full ESD vs FARMS, layers labelled with their shape and Q."""
    fig = go.Figure()
    labels = [f"{layer}<br>{shape} (Q={q:.3g})" for layer, shape, q in zip(table.layer, table["shape"], table.Q)]
    for col, name in (("alpha_full", "full ESD"), ("alpha_farms", "FARMS")):
        fig.add_bar(x=labels, y=table[col], name=name, marker_color=SET_COLORS[name])
    fig.update_layout(title=title, barmode="group", height=380, yaxis_title="alpha (PL_Alpha_Hill)")
    return fig, table


def alpha_q_scatter(table: pd.DataFrame):
    """Every layer's alpha against its aspect ratio: the bias shows as a trend in the full-ESD points."""
    fig = go.Figure()
    for col, name in (("alpha_full", "full ESD"), ("alpha_farms", "FARMS")):
        fig.add_scatter(x=table.Q, y=table[col], mode="markers", name=name, text=table.layer,
                        marker=dict(color=SET_COLORS[name], size=9),
                        hovertemplate="%{text}: Q %{x:.3g}, alpha %{y:.3g}")
    fig.update_layout(title="Layer alpha against the layer's aspect ratio", height=380, hovermode="closest",
                      xaxis=dict(title="Q = larger side / smaller side", type="log"), yaxis_title="alpha")
    return fig, table[["layer", "Q", "alpha_full", "alpha_farms"]]


def lr_map_figure(table: pd.DataFrame, base_lr: float):
    fig = go.Figure()
    for col, name in (("lr_full", "full ESD"), ("lr_farms", "FARMS")):
        fig.add_bar(x=table.layer, y=table[col], name=f"from {name} alphas", marker_color=SET_COLORS[name])
    fig.add_hline(y=base_lr, line=dict(color=MUTED, dash="dash"), annotation_text="plain lr")
    fig.update_layout(title="TempBalance learning rate per layer (tb_linear_map)", barmode="group", height=340,
                      yaxis_title="learning rate")
    return fig, table[["layer", "alpha_full", "alpha_farms", "lr_full", "lr_farms"]]


def training_figure(histories: dict):
    """Test accuracy per epoch of each run."""
    frames = [pd.DataFrame(h).assign(run=name) for name, h in histories.items()]
    data = pd.concat(frames, ignore_index=True)[["run", "epoch", "test_acc", "loss"]]
    fig = go.Figure()
    colors = {"plain": MUTED, "TempBalance (full ESD)": ACCENT, "TempBalance (FARMS)": PRIMARY}
    for name, part in data.groupby("run", sort=False):
        fig.add_scatter(x=part.epoch, y=part.test_acc, name=name, mode="lines", line=dict(color=colors.get(name)))
    fig.update_layout(title="Test accuracy while training (one seed, live)", height=340, xaxis_title="epoch",
                      yaxis_title="test accuracy")
    return fig, data


def sparsity_figure(table: pd.DataFrame, target: float):
    fig = go.Figure()
    for name in ("full ESD", "FARMS"):
        fig.add_bar(x=table.layer, y=table[f"sparsity_{name}"], name=f"AlphaPruning from {name} alphas",
                    marker_color=SET_COLORS[name])
    fig.add_hline(y=target, line=dict(color=MUTED, dash="dash"), annotation_text="uniform")
    fig.update_layout(title="Layer-wise sparsity allocated by AlphaPruning", barmode="group", height=340,
                      yaxis=dict(title="fraction of weights pruned", range=[0, 1]))
    return fig, table
