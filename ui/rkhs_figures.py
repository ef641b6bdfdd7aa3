"""Figures of the RKHS page: pure functions from core/rkhs/ results to (plotly figure, data).

Each returns the figure and the DataFrame of exactly what it plots (the page offers it as CSV).
"""
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.theme import ACCENT, MUTED, PRIMARY

GREEN = "#2F9E44"
HEATMAP_MAX = 256   # cells per side a browser draws comfortably (m <= 8); larger kernels show this corner


def graph_figure(G):
    """The bipartite augmentation graph: data x on top, masked views a below (ordered by #masks)."""
    data_nodes = sorted((n for n in G if n[0] == "x"), key=lambda n: n[1])
    aug_nodes = sorted((n for n in G if n[0] == "a"), key=lambda n: (G.nodes[n]["masks"], n[1]))
    pos = {n: (i - (len(data_nodes) - 1) / 2, 1.0) for i, n in enumerate(data_nodes)}
    scale = max(len(data_nodes) - 1, 1) / max(len(aug_nodes) - 1, 1)
    pos |= {n: ((i - (len(aug_nodes) - 1) / 2) * scale, 0.0) for i, n in enumerate(aug_nodes)}
    edges = pd.DataFrame([{"x": G.nodes[u]["label"], "a": G.nodes[v]["label"], "p(a|x)": w}
                          for u, v, w in G.edges(data="weight")])
    ex, ey = [], []
    for u, v in G.edges:
        ex += [pos[u][0], pos[v][0], None]
        ey += [pos[u][1], pos[v][1], None]
    fig = go.Figure(go.Scatter(x=ex, y=ey, mode="lines", line=dict(color="#CED4DA", width=0.6),
                               hoverinfo="skip", showlegend=False))
    for nodes, color, name in ((data_nodes, PRIMARY, "data x"), (aug_nodes, ACCENT, "augmentation a")):
        fig.add_scatter(x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes], mode="markers", name=name,
                        marker=dict(color=[G.nodes[n]["masks"] for n in nodes] if nodes is aug_nodes else color,
                                    colorscale="Oranges", size=9 if nodes is data_nodes else 7,
                                    line=dict(color="#495057", width=0.5)),
                        text=[G.nodes[n]["label"] for n in nodes], hovertemplate="%{text}<extra></extra>")
    fig.update_layout(title=f"The augmentation graph: {len(data_nodes)} strings, {len(aug_nodes)} masked views "
                            f"(M = masked), {G.number_of_edges()} edges", height=330, hovermode="closest",
                      xaxis=dict(visible=False), yaxis=dict(visible=False, range=[-0.25, 1.25]))
    return fig, edges


def kernel_figure(K: np.ndarray, m: int):
    shown = K[:HEATMAP_MAX, :HEATMAP_MAX]
    idx = np.arange(len(shown))
    labels = [format(i, f"0{m}b")[::-1] for i in idx]        # x_0 first, as bit j of the index
    data = pd.DataFrame(shown, index=labels, columns=labels).reset_index(names="x")
    fig = go.Figure(go.Heatmap(z=shown, x=labels, y=labels, colorscale="Blues",
                               colorbar=dict(title="K_X"), hovertemplate="x=%{y}, x'=%{x}: %{z:.4g}<extra></extra>"))
    corner = "" if len(shown) == len(K) else f" (the first {HEATMAP_MAX} of {len(K)} strings)"
    fig.update_layout(title=f"The kernel the masking induces, K_X(x, x'){corner}", height=430, hovermode="closest",
                      xaxis=dict(title="x'", showticklabels=m <= 4), yaxis=dict(title="x", autorange="reversed",
                                                                                showticklabels=m <= 4))
    return fig, data


def spectrum_figure(computed: np.ndarray, staircase: np.ndarray, alpha: float):
    idx = np.arange(1, len(computed) + 1)
    data = pd.DataFrame({"index": idx, "eigvalsh(K_X) / 2^m": computed, "staircase (1 - alpha)^|S|": staircase})
    fig = go.Figure()
    fig.add_scatter(x=idx, y=staircase, mode="lines", line=dict(shape="hv", color=ACCENT, width=2),
                    name="(1 - alpha)^|S|, C(m, |S|) times")
    fig.add_scatter(x=idx, y=computed, mode="markers", marker=dict(color=PRIMARY, size=5), name="computed")
    fig.update_layout(title=f"Spectrum of Gamma* Gamma at alpha = {alpha:g}: a staircase", height=360,
                      xaxis=dict(title="eigenvalue index", type="log" if len(idx) > 64 else "linear"),
                      yaxis=dict(title="lambda_i", type="log", exponentformat="power"))
    return fig, data


def encoder_figure(run):
    data = pd.DataFrame({"step": run.steps, "max angle (deg)": run.max_angle, "mean angle (deg)": run.mean_angle,
                         "Ky-Fan trace": run.ky_fan, "loss": run.loss})
    fig = make_subplots(1, 2, subplot_titles=("principal angles to the top-d Walsh space",
                                              "Ky-Fan trace Tr(Phi^T Gamma*Gamma Phi)"))
    fig.add_scatter(x=run.steps, y=run.max_angle, name="largest angle", line=dict(color=PRIMARY), row=1, col=1)
    fig.add_scatter(x=run.steps, y=run.mean_angle, name="mean angle", line=dict(color=PRIMARY, dash="dot"),
                    row=1, col=1)
    fig.add_hline(y=5, line=dict(color=MUTED, dash="dash"), row=1, col=1)
    fig.add_scatter(x=run.steps, y=run.ky_fan, name="trained encoder", line=dict(color=GREEN), row=1, col=2)
    for level, name, color in ((run.optimal_ky_fan, "top-d eigenspace (optimum)", ACCENT),
                               (run.random_ky_fan, "random subspace (expected)", MUTED)):
        fig.add_scatter(x=[run.steps[0], run.steps[-1]], y=[level, level], mode="lines", name=name,
                        line=dict(color=color, dash="dash"), row=1, col=2)
    fig.update_xaxes(title="training step")
    fig.update_yaxes(title="degrees", row=1, col=1)
    fig.update_layout(title=f"Spectral contrastive pretraining, m = {run.m}, d = {run.d}: the encoder's span "
                            "converges", height=400, hovermode="x", margin=dict(t=85),
                      legend=dict(orientation="h", y=-0.25, x=0, xanchor="left", yanchor="top"))
    return fig, data


def kyfan_mix_figure(turns: np.ndarray, traces: np.ndarray, optimal: float, random: float):
    data = pd.DataFrame({"rotation (deg)": turns, "Ky-Fan trace": traces})
    fig = go.Figure(go.Scatter(x=turns, y=traces, mode="lines+markers", line=dict(color=PRIMARY),
                               name="cos(t) top-d + sin(t) random"))
    for level, name, color in ((optimal, "sum of the top d eigenvalues", ACCENT),
                               (random, "d kappa^2 / 2^m (random, expected)", MUTED)):
        fig.add_hline(y=level, line=dict(color=color, dash="dash"), annotation_text=name)
    fig.update_layout(title="Ky-Fan view: from the optimal encoder to a random one", height=330,
                      xaxis_title="t (degrees): 0 = top-d Walsh space, 90 = random", yaxis_title="trace")
    return fig, data


def ucurve_figure(sweep, alpha: float):
    data = pd.DataFrame({"alpha": sweep.alphas, "kappa": np.sqrt(sweep.kappa2), "test MSE (KRR)": sweep.mse,
                         "standard error": sweep.mse_se, "estimation driver kappa^2/n": sweep.estimation,
                         "approximation at the ridge": sweep.approximation, "eps (Assumption 1)": sweep.eps})
    fig = go.Figure()
    fig.add_scatter(x=sweep.alphas, y=sweep.mse, name="measured test MSE, KRR with K_X", mode="lines+markers",
                    line=dict(color=PRIMARY, width=3), error_y=dict(array=2 * sweep.mse_se, thickness=1))
    fig.add_scatter(x=sweep.alphas, y=sweep.estimation, name="estimation driver kappa^2 / n", mode="lines",
                    line=dict(color=MUTED, dash="dash"))
    fig.add_scatter(x=sweep.alphas, y=np.maximum(sweep.approximation, 1e-6), mode="lines",
                    name="approximation: KRR bias with n -> infinity", line=dict(color=ACCENT, dash="dot"))
    fig.add_hline(y=sweep.target_variance, line=dict(color="#212529", width=1),
                  annotation_text="Var f* (predicting 0)", annotation_position="bottom left")
    fig.add_vline(x=sweep.alphas[sweep.best], line=dict(color=GREEN, dash="dash"),
                  annotation_text=f"sweet spot alpha = {sweep.alphas[sweep.best]:g}")
    fig.add_vline(x=alpha, line=dict(color=MUTED, width=1), annotation_text="your alpha",
                  annotation_position="bottom right")
    fig.update_layout(title="Downstream test error against masking strength: the sweet spot", height=450,
                      xaxis_title="alpha (mask probability per bit)",
                      yaxis=dict(title="squared error", type="log", exponentformat="power", range=[-3, 1.5]),
                      legend=dict(orientation="h", y=-0.2, x=0, xanchor="left", yanchor="top"), hovermode="x")
    return fig, data


def curves_figure(x, curves: dict, title: str, xtitle: str, log_x: bool = True, marker=None):
    data = pd.DataFrame({xtitle: x} | {name: y for name, y in curves.items()})
    fig = go.Figure()
    for (name, y), color in zip(curves.items(), (PRIMARY, ACCENT, GREEN, "#AE3EC9", MUTED)):
        fig.add_scatter(x=x, y=y, name=name, mode="lines+markers", line=dict(color=color))
    if marker is not None:
        fig.add_vline(x=marker[0], line=dict(color=MUTED, dash="dash"), annotation_text=marker[1])
    fig.update_layout(title=title, height=380, xaxis=dict(title=xtitle, type="log" if log_x else "linear"),
                      yaxis=dict(title="test MSE", type="log", exponentformat="power"), hovermode="x",
                      legend=dict(orientation="h", y=-0.22, x=0, xanchor="left", yanchor="top"))
    return fig, data


def kappa_figure(alphas, exact, mc, mc_se, n_aug: int, mean, se, exact_at: float, alpha: float):
    data = pd.DataFrame({"alpha": alphas, "kappa^2 exact": exact, f"kappa^2 Monte Carlo ({n_aug})": mc,
                         "standard error": mc_se})
    fig = make_subplots(1, 2, subplot_titles=("kappa^2 = (2 - alpha)^m against alpha",
                                              f"the estimate at alpha = {alpha:g} as samples accumulate"))
    fig.add_scatter(x=alphas, y=exact, name="exact (2 - alpha)^m", line=dict(color=ACCENT), row=1, col=1)
    fig.add_scatter(x=alphas, y=mc, name=f"Monte Carlo, {n_aug:,} augmentations", mode="markers",
                    error_y=dict(array=2 * np.asarray(mc_se)), marker=dict(color=PRIMARY), row=1, col=1)
    count = np.arange(1, len(mean) + 1)
    keep = np.unique(np.geomspace(1, len(mean), 200).astype(int)) - 1
    fig.add_scatter(x=count[keep], y=mean[keep] + 2 * se[keep], line=dict(width=0), showlegend=False,
                    hoverinfo="skip", row=1, col=2)
    fig.add_scatter(x=count[keep], y=mean[keep] - 2 * se[keep], fill="tonexty", line=dict(width=0),
                    fillcolor="rgba(76,110,245,0.15)", name="+- 2 standard errors", row=1, col=2)
    fig.add_scatter(x=count[keep], y=mean[keep], name="running estimate", line=dict(color=PRIMARY), row=1, col=2)
    fig.add_hline(y=exact_at, line=dict(color=ACCENT, dash="dash"), row=1, col=2)
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=1)
    fig.update_xaxes(title="alpha", row=1, col=1)
    fig.update_xaxes(title="augmentations sampled", type="log", row=1, col=2)
    fig.update_layout(title="Augmentation complexity, exact and by the paper's Monte-Carlo estimator", height=420,
                      margin=dict(t=85),
                      hovermode="x", legend=dict(orientation="h", y=-0.25, x=0, xanchor="left", yanchor="top"))
    running = pd.DataFrame({"augmentations": count[keep], "running estimate": mean[keep], "standard error": se[keep]})
    return fig, pd.concat([data, running], axis=1)


def digits_figure(result):
    data = pd.DataFrame({"alpha": result.alphas, "kappa^2 (max estimated K_X(x, x))": result.kappa2,
                         "KRR accuracy": result.krr_accuracy, f"top-{result.d} probe accuracy": result.probe_accuracy})
    fig = make_subplots(1, 2, subplot_titles=("test accuracy (10 classes)", "kappa^2, estimated"))
    fig.add_scatter(x=result.alphas, y=result.krr_accuracy, name="KRR with the estimated K_X",
                    line=dict(color=PRIMARY), row=1, col=1)
    fig.add_scatter(x=result.alphas, y=result.probe_accuracy, name=f"linear probe, top-{result.d} eigenvectors",
                    line=dict(color=GREEN), row=1, col=1)
    fig.add_scatter(x=result.alphas, y=result.kappa2, name="kappa^2", line=dict(color=ACCENT), row=1, col=2)
    fig.add_hline(y=result.pool, line=dict(color=MUTED, dash="dash"), row=1, col=2,
                  annotation_text=f"N = {result.pool}: every digit alone")
    fig.update_xaxes(title="alpha (mask probability per pixel)")
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_layout(title=f"Binarised digits, {result.pool} images, n = {result.n} labelled", height=400,
                      margin=dict(t=85),
                      hovermode="x", legend=dict(orientation="h", y=-0.25, x=0, xanchor="left", yanchor="top"))
    return fig, data
