"""Figures of the SPE page: pure functions from core/spe results to (plotly figure, data).

Each returns the figure and the DataFrame of exactly what it plots (the page offers it as CSV).
"""
import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.spe import LABELS, METHODS
from core.spe.counting import PE_KINDS
from ui.theme import ACCENT, MUTED, PRIMARY

METHOD_COLORS = dict(zip(METHODS, (MUTED, "#AE3EC9", "#2F9E44", "#F59F00", PRIMARY, "#1098AD")))
PE_COLORS = {"none": MUTED, "signnet": "#2F9E44", "spe": PRIMARY}
FLOOR = 1e-17   # a log axis cannot show an exact zero; float64 round-off sits around 1e-16


def multiplicities(evals: np.ndarray, decimals: int = 6) -> np.ndarray:
    """How many eigenvalues share each one's value (to ``decimals``): 1 = simple, >1 = repeated."""
    rounded = np.round(evals, decimals)
    return np.array([(rounded == r).sum() for r in rounded])


def spectrum_figure(evals: np.ndarray, d: int, gamma: float):
    mult = multiplicities(evals)
    data = pd.DataFrame({"index": np.arange(1, len(evals) + 1), "eigenvalue": evals, "multiplicity": mult,
                         "kept": np.arange(len(evals)) < d})
    fig = go.Figure()
    for repeated, color, name in ((False, PRIMARY, "simple eigenvalue"),
                                  (True, ACCENT, "repeated (eigenspace dim > 1)")):
        part = data[(data.multiplicity > 1) == repeated]
        fig.add_scatter(x=part["index"], y=part.eigenvalue, mode="markers", name=name,
                        marker=dict(color=color, size=9, symbol="diamond" if repeated else "circle",
                                    opacity=np.where(part.kept, 1.0, 0.35)),
                        customdata=part.multiplicity,
                        hovertemplate="lambda_%{x} = %{y:.6f}<br>multiplicity %{customdata}")
    if d < len(evals):
        fig.add_vline(x=d + 0.5, line=dict(color=ACCENT if gamma < 1e-6 else MUTED, dash="dash"))
        fig.add_annotation(x=d + 0.5, y=1, yref="paper", showarrow=False, xanchor="left", yanchor="top",
                           text=f" d = {d}: gamma = lambda_{d + 1} - lambda_{d} = {gamma:.2g}")
    fig.update_layout(title="Spectrum of the normalised Laplacian L = I - D^-1/2 A D^-1/2", height=360,
                      xaxis_title="index i (ascending; faded: beyond d)", yaxis_title="lambda_i", hovermode="closest")
    return fig, data


def sweep_figure(sweep):
    """|dPE| / |PE(G)| against eps, log-log, with the theorem's slope-1 and slope-1/2 guides."""
    data = pd.DataFrame({"epsilon": sweep.epsilons, "delta_L_fro": sweep.delta_L})
    fig = go.Figure()
    for m in METHODS:
        rel = sweep.delta_pe[m] / max(sweep.pe_norm[m], FLOOR)
        data[f"{m}_abs"], data[f"{m}_rel"] = sweep.delta_pe[m], rel
        fig.add_scatter(x=sweep.epsilons, y=np.maximum(rel, FLOOR), name=LABELS[m], mode="lines+markers",
                        line=dict(color=METHOD_COLORS[m], width=3 if m.startswith("spe") else 2),
                        marker=dict(size=5))
    anchor_x, anchor_y = sweep.epsilons[len(sweep.epsilons) // 2], 1e-4
    for slope, dash, name in ((1.0, "dash", "slope 1: the |dL| term"), (0.5, "dot", "slope 1/2: the sqrt|dL| term")):
        guide = anchor_y * (sweep.epsilons / anchor_x) ** slope
        data[f"guide_slope_{slope:g}"] = guide
        fig.add_scatter(x=sweep.epsilons, y=guide, name=name, mode="lines",
                        line=dict(color="#212529", dash=dash, width=1))
    fig.update_layout(title="How far each encoding moves when the graph moves by epsilon", height=480,
                      xaxis=dict(type="log", title="epsilon (size of the perturbation)", exponentformat="power"),
                      yaxis=dict(type="log", title="|PE(G) - PE(G')|_F / |PE(G)|_F", exponentformat="power"),
                      hovermode="x", legend=dict(orientation="h", y=-0.22, x=0, xanchor="left", yanchor="top"))
    return fig, data


def kernel_figure(before: np.ndarray, after: np.ndarray, channel: str):
    """G and G' on one colour scale, their difference on its own (it is many orders smaller)."""
    diff = after - before
    fig = make_subplots(1, 3, subplot_titles=("G", "G' (perturbed)", f"G' - G (max |.| {np.abs(diff).max():.1e})"),
                        horizontal_spacing=0.1)
    for col, (z, axis) in enumerate(((before, "coloraxis"), (after, "coloraxis"), (diff, "coloraxis2")), 1):
        fig.add_heatmap(z=z, coloraxis=axis, row=1, col=col, hovertemplate="i=%{y}, j=%{x}: %{z:.3e}<extra></extra>")
    lim, dlim = max(np.abs(before).max(), np.abs(after).max(), 1e-12), max(np.abs(diff).max(), 1e-300)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=f"V diag(phi(lambda)) V^T, channel: {channel}", height=360, hovermode="closest",
                      coloraxis=dict(colorscale="RdBu_r", cmin=-lim, cmax=lim,
                                     colorbar=dict(x=0.64, xanchor="left", thickness=10, len=0.9)),
                      coloraxis2=dict(colorscale="RdBu_r", cmin=-dlim, cmax=dlim,
                                      colorbar=dict(x=1.01, xanchor="left", thickness=10, len=0.9, exponentformat="e")))
    n = before.shape[0]
    i, j = np.divmod(np.arange(n * n), n)
    return fig, pd.DataFrame({"i": i, "j": j, "G": before.ravel(), "G_prime": after.ravel(),
                              "difference": diff.ravel()})


def graph_figure(G: nx.Graph, pos: dict, before: np.ndarray, after: np.ndarray, method: str, channel: int):
    """The graph twice, nodes coloured by one PE channel, on one colour scale."""
    nodes = list(G)
    xy = np.array([pos[v] for v in nodes])
    lim = max(np.abs(before).max(), np.abs(after).max(), 1e-12)
    fig = make_subplots(1, 2, subplot_titles=("PE on G", "PE on G' (perturbed)"), horizontal_spacing=0.04)
    ex, ey = [], []
    for u, v in G.edges:
        ex += [pos[u][0], pos[v][0], None]
        ey += [pos[u][1], pos[v][1], None]
    labels = [G.nodes[v].get("label", str(v)) for v in nodes]
    for col, values in ((1, before), (2, after)):
        fig.add_scatter(x=ex, y=ey, mode="lines", line=dict(color="#CED4DA", width=1), hoverinfo="skip",
                        showlegend=False, row=1, col=col)
        fig.add_scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", showlegend=False, text=labels, row=1, col=col,
                        marker=dict(size=14, color=values, colorscale="RdBu_r", cmin=-lim, cmax=lim,
                                    line=dict(color="#495057", width=1), showscale=col == 2,
                                    colorbar=dict(thickness=10)),
                        hovertemplate="node %{text}: %{marker.color:.4f}<extra></extra>")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_yaxes(scaleanchor="x2", row=1, col=2)
    fig.update_layout(title=f"{LABELS[method]}, channel {channel + 1}: node colours before and after", height=400,
                      hovermode="closest")
    return fig, pd.DataFrame({"node": nodes, "label": labels, "x": xy[:, 0], "y": xy[:, 1], "G": before,
                              "G_prime": after})


def d_profile_figure(profile, d: int):
    data = pd.DataFrame({"d": profile.d, "gamma": profile.gamma,
                         **{m: profile.delta[m] for m in ("spe", "spe_heat", "lap_aligned")}})
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for m in ("spe", "spe_heat", "lap_aligned"):
        fig.add_scatter(x=data.d, y=np.maximum(data[m], FLOOR), name=f"|dPE|: {LABELS[m]}", mode="lines+markers",
                        line=dict(color=METHOD_COLORS[m]))
    gap = np.where(np.isfinite(data.gamma), data.gamma, np.nan)       # linear axis: a zero gap reads as zero
    fig.add_bar(x=data.d, y=gap, name="eigengap gamma at d", marker_color=ACCENT, opacity=0.3, secondary_y=True)
    fig.add_vline(x=d, line=dict(color="#212529", dash="dot"))
    fig.update_yaxes(type="log", title="|PE(G) - PE(G')|_F", exponentformat="power", secondary_y=False)
    fig.update_yaxes(title="gamma = lambda_{d+1} - lambda_d (bars)", secondary_y=True, showgrid=False,
                     rangemode="tozero", tickformat=".2f")
    fig.update_layout(title="SPE jumps only where d cuts a repeated eigenvalue (gamma ~ 0)", height=420,
                      xaxis_title="d: eigenpairs kept", hovermode="x",
                      legend=dict(orientation="h", y=-0.22, x=0, xanchor="left", yanchor="top"))
    return fig, data


def curves_figure(runs: list[dict]):
    """ID and OOD test MAE per epoch, mean over seeds, one colour per PE."""
    rows = []
    for r in runs:
        for epoch, (tr, i, o) in enumerate(zip(r["train_mae"], r["id_mae"], r["ood_mae"]), 1):
            rows.append({"pe": r["pe"], "seed": r["seed"], "epoch": epoch, "train": tr, "id": i, "ood": o})
    data = pd.DataFrame(rows)
    mean = data.groupby(["pe", "epoch"], as_index=False)[["train", "id", "ood"]].mean()
    fig = make_subplots(1, 2, subplot_titles=("In distribution (10-20 nodes)", "Out of distribution (25-40 nodes)"),
                        shared_yaxes=True)
    for pe in PE_KINDS:
        part = mean[mean.pe == pe]
        for col, split in ((1, "id"), (2, "ood")):
            fig.add_scatter(x=part.epoch, y=part[split], name=pe, legendgroup=pe, showlegend=col == 1,
                            line=dict(color=PE_COLORS[pe], width=3 if pe == "spe" else 2), row=1, col=col)
    fig.update_yaxes(type="log")
    fig.update_yaxes(title="test MAE (standardised counts)", col=1)
    fig.update_xaxes(title="epoch")
    fig.update_layout(title="Cycle counting: test error while training (mean over seeds)", height=420, hovermode="x",
                      margin=dict(t=80), legend=dict(orientation="h", y=-0.25, x=0, xanchor="left", yanchor="top"))
    return fig, data


def results_table(rows: list[dict]) -> pd.DataFrame:
    """The comparison as the page shows it: final MAE mean ± std over seeds, and the OOD - ID gap."""
    return pd.DataFrame({
        "PE": [r["PE"] for r in rows], "parameters": [r["params"] for r in rows], "seeds": [r["seeds"] for r in rows],
        "ID MAE (10-20 nodes)": [f"{r['id MAE']:.3f} ± {r['id MAE std']:.3f}" for r in rows],
        "OOD MAE (25-40 nodes)": [f"{r['ood MAE']:.3f} ± {r['ood MAE std']:.3f}" for r in rows],
        "OOD - ID": [f"{r['ood MAE'] - r['id MAE']:+.3f}" for r in rows],
        "OOD MAE by cycle length 3 / 4 / 5 / 6": [" / ".join(f"{r[f'ood {k}-cycles']:.2f}" for k in (3, 4, 5, 6))
                                                 for r in rows]})
