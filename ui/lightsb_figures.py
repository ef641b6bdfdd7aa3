"""Figures of the Light Schrödinger Bridge page: pure functions from core/lightsb results to
(plotly figure, DataFrame of exactly what is plotted)."""
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.theme import ACCENT, COLORWAY, MUTED, PRIMARY

START_COLORS = [ACCENT, "#2F9E44", "#AE3EC9", "#1098AD"]
BACKDROP = 300   # target points drawn as the faint grey backdrop of a panel (its shape, not its density)


def _points(fig, pts, name, color, row=1, col=1, size=3, opacity=0.5, legend=True, symbol="circle"):
    fig.add_scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=name, showlegend=legend, row=row, col=col,
                    marker=dict(color=color, size=size, opacity=opacity, symbol=symbol))


def _frame(parts):
    return pd.concat([pd.DataFrame({"panel": p, "series": s, "x": a[:, 0], "y": a[:, 1]}) for p, s, a in parts],
                     ignore_index=True)


def _square(fig, n_cols, height=430):
    fig.update_layout(height=height, hovermode="closest")
    for i in range(1, n_cols + 1):
        fig.update_yaxes(scaleanchor=f"x{'' if i == 1 else i}", row=1, col=i)


def samples_figure(target, model, starts, conditional):
    """Left: target vs model samples. Right: y ~ pi(. | x) from the start points, over the target."""
    fig = make_subplots(1, 2, subplot_titles=("target p1 vs LightSB samples y ~ pi(y | x), x ~ p0",
                                              "conditional plans pi(. | x) from four start points "
                                              f"(grey: {min(BACKDROP, len(target))} target points)"))
    _points(fig, target, "target p1", MUTED)
    _points(fig, model, "LightSB", PRIMARY)
    _points(fig, target[:BACKDROP], "target p1", MUTED, col=2, opacity=0.2, legend=False)
    parts = [("samples", "target", target), ("samples", "lightsb", model)]
    for i, (x, ys) in enumerate(zip(starts, conditional)):
        _points(fig, ys, f"y | x = ({x[0]:g}, {x[1]:g})", START_COLORS[i], col=2, size=4, opacity=0.6)
        _points(fig, x[None], "start x", START_COLORS[i], col=2, size=13, opacity=1, legend=False, symbol="x")
        parts.append(("conditional", f"start ({x[0]:g}, {x[1]:g})", ys))
    fig.update_layout(title="The learned plan: marginal and conditionals")
    _square(fig, 2)
    return fig, _frame(parts)


def paths_figure(paths, starts_t, t: float, target):
    """Left: Euler-Maruyama paths of the SB SDE. Right: Brownian-bridge marginal X_t (simulation-free)."""
    fig = make_subplots(1, 2, subplot_titles=("Euler-Maruyama paths dX = g(X, t) dt + sqrt(eps) dW",
                                              f"X_t at t = {t:g}: t y + (1-t) x + sqrt(eps t (1-t)) xi"))
    rows = []
    groups = np.array_split(np.arange(len(paths)), min(4, len(paths)))   # one trace per start point's paths,
    for g, idx in enumerate(groups):                                    # NaN rows between paths (fewer traces to draw)
        color = START_COLORS[g % 4] if len(paths) >= 4 else PRIMARY
        gap = np.full((len(idx), 1, 2), np.nan)
        xy = np.concatenate([paths[idx], gap], 1).reshape(-1, 2)
        fig.add_scatter(x=xy[:, 0], y=xy[:, 1], mode="lines", line=dict(color=color, width=1), opacity=0.6,
                        showlegend=False, connectgaps=False, row=1, col=1)
    for i, path in enumerate(paths):
        rows.append(pd.DataFrame({"panel": "paths", "series": f"path {i}", "step": np.arange(len(path)),
                                  "x": path[:, 0], "y": path[:, 1]}))
    _points(fig, target[:BACKDROP], f"target p1 ({min(BACKDROP, len(target))} points)", MUTED, col=2, opacity=0.2)
    _points(fig, starts_t, f"X_t, t = {t:g}", PRIMARY, col=2)
    rows.append(pd.DataFrame({"panel": "bridge", "series": f"t={t:g}", "step": -1, "x": starts_t[:, 0],
                              "y": starts_t[:, 1]}))
    fig.update_layout(title="The bridge in time: SDE paths and the marginal at time t")
    _square(fig, 2)
    return fig, pd.concat(rows, ignore_index=True)


def loss_figure(loss):
    steps = np.arange(1, len(loss) + 1)
    window = max(1, len(loss) // 50)
    smooth = pd.Series(loss).rolling(window, min_periods=1).mean().to_numpy()
    data = pd.DataFrame({"step": steps, "loss": loss, "moving_average": smooth})
    fig = go.Figure()
    fig.add_scatter(x=steps, y=loss, name="L on the batch", line=dict(color=MUTED, width=1))
    fig.add_scatter(x=steps, y=smooth, name=f"moving average ({window} steps)", line=dict(color=PRIMARY, width=2))
    fig.update_layout(title="Training objective L(theta) = E_p0 log c(x) - E_p1 log v(y)", height=330,
                      xaxis_title="Adam step", yaxis_title="loss")
    return fig, data


def mixture_figure(weights, centres, target):
    order = np.argsort(weights)[::-1]
    data = pd.DataFrame({"rank": np.arange(1, len(weights) + 1), "weight": weights[order],
                         "r_x": centres[order, 0], "r_y": centres[order, 1]})
    fig = make_subplots(1, 2, subplot_titles=("mixture weights alpha_k / sum alpha, sorted",
                                              "centres r_k (size ~ weight) over the target"))
    fig.add_bar(x=data["rank"], y=data.weight, marker_color=PRIMARY, showlegend=False, row=1, col=1)
    _points(fig, target[:BACKDROP], f"target p1 ({min(BACKDROP, len(target))} points)", MUTED, col=2, opacity=0.2)
    fig.add_scatter(x=data.r_x, y=data.r_y, mode="markers", name="r_k", row=1, col=2,
                    marker=dict(color=ACCENT, size=4 + 40 * np.sqrt(data.weight / data.weight.max()), opacity=0.7))
    fig.update_layout(title="The learned potential v(y) = sum_k alpha_k N(y | r_k, eps S_k)", height=380,
                      hovermode="closest")
    fig.update_xaxes(title_text="component (by weight)", row=1, col=1)
    return fig, data


def gaussian_figure(records, S_star):
    """Learned S_d against S*_d and the KL gap L(theta) - L(theta*) as training runs."""
    steps = [r["step"] for r in records]
    data = pd.DataFrame({"step": steps, "kl_gap": [r["kl_gap"] for r in records]})
    fig = make_subplots(1, 2, subplot_titles=("learned S (solid) vs closed-form S* (dashed)",
                                              "KL(pi* || pi_theta) = L(theta) - L(theta*)"))
    for d, s in enumerate(S_star):
        color = COLORWAY[d % len(COLORWAY)]
        data[f"S_{d + 1}"] = [r["S"][d] for r in records]
        data[f"S*_{d + 1}"] = s
        fig.add_scatter(x=steps, y=data[f"S_{d + 1}"], name=f"S_{d + 1}", line=dict(color=color), row=1, col=1)
        fig.add_hline(y=s, line=dict(color=color, dash="dash"), row=1, col=1)
    fig.add_scatter(x=steps, y=np.maximum(data.kl_gap, 1e-8), name="KL gap", line=dict(color=ACCENT, width=3),
                    row=1, col=2)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_layout(title="Gaussian to Gaussian: the exact answer is known", height=360)
    fig.update_xaxes(title_text="Adam step")
    return fig, data


def benchmark_figure(cells, live=None):
    """cBW2-UVP (%) against training steps, one line per (D, eps); Sinkhorn as a marker at the end."""
    rows, fig = [], go.Figure()
    dashes = {0.1: "solid", 1.0: "dash", 10.0: "dot"}
    dims = sorted({c["dim"] for c in cells})
    for c in cells:
        color = COLORWAY[dims.index(c["dim"]) % len(COLORWAY)]
        name = f"D={c['dim']}, eps={c['epsilon']:g}"
        fig.add_scatter(x=c["steps"], y=c["cbw2_uvp"], name=name, mode="lines+markers", marker=dict(size=4),
                        line=dict(color=color, dash=dashes.get(c["epsilon"], "solid")))
        rows.append(pd.DataFrame({"series": name, "source": "precomputed", "step": c["steps"],
                                  "cbw2_uvp": c["cbw2_uvp"]}))
        if "sinkhorn_cbw2_uvp" in c:
            fig.add_scatter(x=[c["steps"][-1] * 1.04], y=[c["sinkhorn_cbw2_uvp"]], mode="markers", showlegend=False,
                            marker=dict(color=color, symbol="square-open", size=9), name=f"Sinkhorn {name}")
            rows.append(pd.DataFrame({"series": name, "source": "sinkhorn n=1000", "step": [-1],
                                      "cbw2_uvp": [c["sinkhorn_cbw2_uvp"]]}))
    if live is not None:
        steps, uvp, name = live
        fig.add_scatter(x=steps, y=uvp, name=f"live: {name}", line=dict(color="black", width=3))
        rows.append(pd.DataFrame({"series": name, "source": "live", "step": steps, "cbw2_uvp": uvp}))
    fig.update_layout(title="cBW2-UVP (%) of LightSB against training steps (squares: Sinkhorn, n = 1000)",
                      height=430, xaxis_title="Adam step", yaxis_title="cBW2-UVP, % (log)", hovermode="closest")
    fig.update_yaxes(type="log")
    return fig, pd.concat(rows, ignore_index=True)


def baseline_figure(starts, lightsb_cond, sinkhorn_cond, target):
    fig = make_subplots(1, 2, subplot_titles=("LightSB: pi_theta(. | x)", "Sinkhorn: rows of the discrete plan"))
    parts = []
    for col, (conds, label) in enumerate(((lightsb_cond, "lightsb"), (sinkhorn_cond, "sinkhorn")), start=1):
        _points(fig, target[:BACKDROP], f"target p1 ({min(BACKDROP, len(target))} points)", MUTED, col=col,
                opacity=0.15, legend=col == 1)
        for i, (x, ys) in enumerate(zip(starts, conds)):
            _points(fig, ys, f"y | x = ({x[0]:g}, {x[1]:g})", START_COLORS[i], col=col, size=4, opacity=0.6,
                    legend=col == 1)
            _points(fig, x[None], "start", START_COLORS[i], col=col, size=13, opacity=1, legend=False, symbol="x")
            parts.append((label, f"start ({x[0]:g}, {x[1]:g})", ys))
    fig.update_layout(title="Conditional samples: a continuous plan vs a discrete one")
    _square(fig, 2)
    return fig, _frame(parts)


def digits_figure(inputs, outputs):
    """A mosaic: each row an input digit, then draws from pi(. | x); images 8x8 in [0, 1]."""
    n, m = outputs.shape[:2]
    tiles = np.concatenate([inputs[:, None], outputs], 1)                  # (n, 1 + m, 8, 8)
    mosaic = np.full((n * 9 - 1, (m + 1) * 9 + 1), np.nan)
    rows = []
    for i in range(n):
        for j in range(m + 1):
            c0 = j * 9 + (1 if j else 0)
            mosaic[i * 9:i * 9 + 8, c0:c0 + 8] = tiles[i, j]
            rows.append({"row": i, "tile": "input" if j == 0 else f"draw {j}",
                         **{f"p{k}": v for k, v in enumerate(tiles[i, j].ravel())}})
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale="Greys", showscale=False, zmin=0, zmax=1,
                               hovertemplate="%{z:.2f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", showticklabels=False, showgrid=False, scaleanchor="x")
    fig.update_xaxes(showticklabels=False, showgrid=False)
    fig.update_layout(title="Input digit | draws from the learned plan, decoded from the PCA latent",
                      height=70 * n + 60, hovermode="closest", margin=dict(l=10, r=10, t=50, b=10))
    return fig, pd.DataFrame(rows)


def tradeoff_figure(rows):
    data = pd.DataFrame(rows)
    fig = make_subplots(1, 2, subplot_titles=("faithfulness vs diversity (latent units)",
                                              "decoded images classified as the target digit"))
    fig.add_scatter(x=data.epsilon, y=data.displacement, name="mean |y - x|", mode="lines+markers", row=1, col=1,
                    line=dict(color=PRIMARY))
    fig.add_scatter(x=data.epsilon, y=data.diversity, name="mean sqrt tr Cov(y | x)", mode="lines+markers",
                    row=1, col=1, line=dict(color=ACCENT))
    fig.add_scatter(x=data.epsilon, y=data.random_displacement, name="random pairing |y - x|", mode="lines",
                    row=1, col=1, line=dict(color=MUTED, dash="dash"))
    fig.add_scatter(x=data.epsilon, y=100 * data.target_rate, name="% target class", mode="lines+markers",
                    row=1, col=2, line=dict(color="#2F9E44"))
    fig.update_xaxes(type="log", title_text="epsilon")
    fig.update_layout(title="The eps trade-off of the digit translation", height=360)
    return fig, data
