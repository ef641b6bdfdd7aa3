"""Figures of the Equiangular Basis Vectors page: pure functions from core/ebv results to (plotly figure, data).

Each returns the figure and the DataFrame of exactly what it plots (the page offers it as CSV).
"""
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.ebv import pairwise_abs_cos
from ui.theme import ACCENT, MUTED, PRIMARY

HEAD_COLORS = {"fc": MUTED, "ebv": PRIMARY}
HEAD_LABELS = {"fc": "FC + softmax", "ebv": "EBV head (fixed)"}


def history_figure(info, alpha: float, welch: float):
    """max and mean |cos| against the step, with alpha (the target) and the Welch bound (the floor)."""
    h = info.history
    data = pd.DataFrame({"step": np.arange(len(h["max_cos"])), "max |cos|": h["max_cos"], "mean |cos|": h["mean_cos"],
                         "loss": h["loss"]})
    fig = go.Figure()
    fig.add_scatter(x=data.step, y=data["max |cos|"], name="max |cos|", line=dict(color=PRIMARY))
    fig.add_scatter(x=data.step, y=data["mean |cos|"], name="mean |cos|", line=dict(color=MUTED))
    fig.add_hline(y=alpha, line=dict(color=ACCENT, dash="dash"), annotation_text=f"alpha = {alpha:g}")
    if welch > 0:
        fig.add_hline(y=welch, line=dict(color="#2F9E44", dash="dot"), annotation_text=f"Welch bound {welch:.4f}",
                      annotation_position="bottom right")
    fig.update_layout(title="Projected SGD: the largest and the mean |cos| between EBVs, step by step",
                      xaxis_title="SGD step", yaxis_title="|cos| between two EBVs", yaxis_rangemode="tozero")
    return fig, data


def angle_histogram(E, alpha: float, welch: float):
    """Every pairwise angle (folded to [0, 90] degrees: a line's angle), the Welch bound's angle marked."""
    C = pairwise_abs_cos(E)
    iu = np.triu_indices(len(C), 1)
    angles = np.degrees(np.arccos(np.clip(C[iu], 0, 1)))
    data = pd.DataFrame({"i": iu[0], "j": iu[1], "|cos|": C[iu], "angle (deg)": angles})
    fig = go.Figure(go.Histogram(x=data["angle (deg)"], nbinsx=60, marker_color=PRIMARY, name="pairs"))
    fig.add_vline(x=np.degrees(np.arccos(min(alpha, 1))), line=dict(color=ACCENT, dash="dash"),
                  annotation_text="arccos(alpha)")
    if welch > 0:
        fig.add_vline(x=np.degrees(np.arccos(welch)), line=dict(color="#2F9E44", dash="dot"),
                      annotation_text="arccos(Welch)", annotation_position="bottom left")
    fig.update_layout(title="Pairwise angles between the lines of the EBVs (90° = orthogonal)",
                      xaxis_title="angle between two EBV lines (degrees)", yaxis_title="pairs", showlegend=False)
    return fig, data


def sphere_figure(E):
    """The unit sphere in R^3 with every EBV drawn as a line through the origin (both ends)."""
    E = np.asarray(E, float)
    data = pd.DataFrame(E, columns=["x", "y", "z"]).assign(row=np.arange(len(E)))
    u, v = np.mgrid[0:2 * np.pi:30j, 0:np.pi:16j]
    fig = go.Figure(go.Surface(x=np.cos(u) * np.sin(v), y=np.sin(u) * np.sin(v), z=np.cos(v), opacity=0.12,
                               showscale=False, colorscale=[[0, MUTED], [1, MUTED]], hoverinfo="skip"))
    palette = [PRIMARY, ACCENT, "#2F9E44", "#AE3EC9", "#F59F00", "#1098AD", "#E64980", "#495057"]
    for i, (x, y, z) in enumerate(E):
        fig.add_scatter3d(x=[-x, x], y=[-y, y], z=[-z, z], mode="lines+markers", name=f"EBV {i}",
                          line=dict(width=6, color=palette[i % len(palette)]), marker=dict(size=3))
    fig.update_layout(title="The EBVs as lines through the sphere's centre", height=480,
                      scene=dict(aspectmode="cube", xaxis_title="x", yaxis_title="y", zaxis_title="z"))
    return fig, data


def seeds_figure(table: pd.DataFrame):
    """Steps to converge (or the cap) per seed, official update vs the remedy."""
    fig = go.Figure()
    for col, color in (("official", MUTED), ("with remedy", PRIMARY)):
        fig.add_bar(x=table.seed, y=table[f"{col} steps"], name=col, marker_color=color,
                    customdata=table[f"{col} final max |cos|"],
                    hovertemplate="seed %{x}: %{y} steps, final max |cos| %{customdata:.4f}")
    fig.update_layout(title="6 lines in R^3: steps to meet the stopping test (bars at the cap never met it)",
                      xaxis_title="seed", yaxis_title="SGD steps", barmode="group", xaxis_dtick=1)
    return fig, table


def cosine_matrices(cos_fc: np.ndarray, cos_ebv: np.ndarray, title: str):
    """The class-mean cosine matrices of the learned features, FC next to EBV, one colour scale."""
    n = len(cos_fc)
    fig = make_subplots(1, 2, subplot_titles=("FC + softmax: backbone features", "EBV: normalised d-dim embedding"),
                        horizontal_spacing=0.08)
    for k, M in enumerate((cos_fc, cos_ebv)):
        fig.add_heatmap(z=M, zmin=-1, zmax=1, colorscale="RdBu_r", showscale=k == 1, row=1, col=k + 1,
                        hovertemplate="class %{y} vs %{x}: cos %{z:.3f}<extra></extra>")
        fig.update_yaxes(autorange="reversed", row=1, col=k + 1)
    fig.update_layout(title=title, height=430)
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    data = pd.DataFrame({"class i": i.ravel(), "class j": j.ravel(), "cos fc": cos_fc.ravel(),
                         "cos ebv": cos_ebv.ravel()})
    return fig, data


def sweep_figure(runs: pd.DataFrame, fc: pd.DataFrame, n_classes: int):
    """Our accuracy against the EBV dimension d at fixed N, the FC head's accuracy as a band."""
    data = runs[["d", "alpha", "accuracy"]].sort_values("d").reset_index(drop=True)
    fig = go.Figure()
    fig.add_scatter(x=data.d, y=data.accuracy, mode="lines+markers", name="EBV head", line=dict(color=PRIMARY),
                    customdata=data.alpha, hovertemplate="d %{x}: accuracy %{y:.3f} (EBV max |cos| %{customdata:.3f})")
    if len(fc):
        mean = fc.accuracy.mean()
        fig.add_hline(y=mean, line=dict(color=MUTED, dash="dash"), annotation_text=f"FC + softmax (mean {mean:.3f})")
    fig.add_vline(x=n_classes, line=dict(color=ACCENT, dash="dot"), annotation_text=f"d = N = {n_classes}")
    fig.update_layout(title=f"Accuracy against the EBV dimension d (N = {n_classes} classes fixed)",
                      xaxis_title="d (log scale)", yaxis_title="test accuracy", xaxis_type="log")
    return fig, data


def summary_table(rows: list[dict]) -> pd.DataFrame:
    """Mean and spread over seeds of each (dataset, head)."""
    df = pd.DataFrame(rows)
    out = df.groupby(["dataset", "head"], sort=False).agg(
        N=("n_classes", "first"), d=("d", "first"), seeds=("seed", "count"), accuracy=("accuracy", "mean"),
        acc_std=("accuracy", "std"), trainable=("trainable", "first"), head_params=("head_params", "first"),
        alpha=("alpha", "first")).reset_index()
    out["head"] = out["head"].map(HEAD_LABELS)
    out["acc_std"] = out["acc_std"].fillna(0.0)
    return out.rename(columns={"accuracy": "test accuracy (mean)", "acc_std": "± std over seeds",
                               "trainable": "trainable params", "head_params": "params after the backbone",
                               "alpha": "EBV max |cos|"})
