"""Figures of the EigenTrajectory page: pure functions from core.eigentrajectory results to (figure, data).

Each returns the plotly figure and the DataFrame of exactly what it plots (the page offers it as CSV).
No Streamlit here; ``agent_from_selection`` turns a chart-click event (a dict in tests, an attribute
object in the browser, both indexable) into the clicked agent's id.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.theme import ACCENT, COLORWAY, MUTED, PRIMARY

INK = "#212529"


def agent_from_selection(event) -> int | None:
    """The agent id carried in ``customdata`` of the first selected point, if any."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points or []:
        data = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(data, dict):            # the browser sends a 2-D customdata row as {"0": id}
            data = list(data.values())
        if isinstance(data, (list, tuple)):
            data = data[0] if data else None
        if data is not None:
            try:
                return int(data)
            except (TypeError, ValueError):
                continue
    return None


def _figure(**kw) -> go.Figure:
    """A figure on the atlas template (ui/theme.py registers it pre-merged, so this is cheap)."""
    return go.Figure() if not kw else make_subplots(**kw)


def _paths(traj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Many polylines as one trace: x and y with a NaN gap between paths (arrays serialise fast)."""
    gap = np.full((len(traj), 1, 2), np.nan)
    flat = np.concatenate([traj, gap], 1).reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


def _long(kind: str, traj: np.ndarray, ids, extra: dict | None = None) -> pd.DataFrame:
    n, T, _ = traj.shape
    frame = pd.DataFrame({"kind": kind, "id": np.repeat(ids, T), "step": np.tile(np.arange(T), n),
                          "x": traj[..., 0].ravel(), "y": traj[..., 1].ravel()})
    for name, values in (extra or {}).items():
        frame[name] = np.repeat(values, T)
    return frame


# ----------------------------------------------------------------------------- the scene

def scene_figure(obs, future, agents, selected: int, samples, probs, label: str, layout=None):
    """World view of one window: everyone's 8 observed points and true futures, and the selected agent's
    S predicted futures with opacity by probability. ``layout``: (length, width, pillar) of a simulated
    corridor, drawn as walls; None for uploaded data."""
    sel = int(np.flatnonzero(agents == selected)[0])
    fig = _figure()
    if layout is not None:
        length, width, (px, py, pr) = layout
        for y in (0, width):
            fig.add_shape(type="line", x0=0, x1=length, y0=y, y1=y, line=dict(color=INK, width=3))
        fig.add_shape(type="circle", x0=px - pr, x1=px + pr, y0=py - pr, y1=py + pr, fillcolor="#CED4DA",
                      line=dict(color=INK))
    fx, fy = _paths(np.concatenate([obs[:, -1:], future], 1))
    fig.add_scatter(x=fx, y=fy, mode="lines", name="true futures (others)", line=dict(color=MUTED, dash="dot",
                    width=1), hoverinfo="skip")
    ox, oy = _paths(obs)
    fig.add_scatter(x=ox, y=oy, mode="lines", name="observed 3.2 s", line=dict(color=MUTED, width=2),
                    hoverinfo="skip")
    level = np.minimum((4 * probs / probs.max()).astype(int), 3)   # 4 opacity bands: one trace each
    for band in range(4):
        members = np.flatnonzero(level == band)
        if not len(members):
            continue
        paths = np.concatenate([np.repeat(obs[sel, -1:][None], len(members), 0), samples[members]], 1)
        px_, py_ = _paths(paths)
        text = np.repeat([f"sample {s + 1}: p = {probs[s]:.2f}" for s in members], paths.shape[1] + 1)
        fig.add_scatter(x=px_, y=py_, mode="lines", hoverinfo="text", text=text, legendgroup="pred",
                        line=dict(color=ACCENT, width=1 + band), opacity=0.3 + 0.23 * band,
                        name=f"{label} (opacity = probability)", showlegend=bool(band == level.max()))
    truth = np.concatenate([obs[sel, -1:], future[sel]])
    fig.add_scatter(x=truth[:, 0], y=truth[:, 1], mode="lines+markers", name="ground truth 4.8 s",
                    line=dict(color=INK, dash="dash", width=2), marker=dict(size=4))
    fig.add_scatter(x=obs[sel, :, 0], y=obs[sel, :, 1], mode="lines+markers", name=f"agent {selected}",
                    line=dict(color=PRIMARY, width=3), marker=dict(size=5))
    fig.add_scatter(x=obs[:, -1, 0], y=obs[:, -1, 1], mode="markers", name="agents (click one)",
                    customdata=agents, hovertemplate="agent %{customdata}<extra></extra>",
                    marker=dict(size=np.where(agents == selected, 16, 12), color=np.where(agents == selected,
                                PRIMARY, MUTED), line=dict(color="white", width=1.5)))
    fig.update_layout(title=f"Observed paths, ground truth and {len(probs)} predicted futures of agent {selected}",
                      height=470, hovermode="closest",
                      xaxis_title="x (m)", yaxis=dict(title="y (m)", scaleanchor="x", scaleratio=1),
                      legend=dict(orientation="h", y=-0.18, x=0, xanchor="left", yanchor="top"))
    data = pd.concat([_long("observed", obs, agents), _long("true future", future, agents),
                      _long("predicted", samples, np.arange(1, len(probs) + 1), {"probability": probs})])
    return fig, data


# ----------------------------------------------------------------------------- the ET space

def normalised_figure(obs: np.ndarray, future: np.ndarray):
    """A sample of training windows after normalisation: every history ends at the origin heading +x."""
    fig = _figure()
    hx, hy = _paths(obs)
    fx, fy = _paths(np.concatenate([obs[:, -1:], future], 1))
    fig.add_scatter(x=fx, y=fy, mode="lines", name="future (12 steps)", line=dict(color=PRIMARY, width=1), opacity=0.35)
    fig.add_scatter(x=hx, y=hy, mode="lines", name="history (8 steps)", line=dict(color=INK, width=1), opacity=0.5)
    fig.update_layout(title=f"{len(obs)} training windows in the normalised frame", height=380, hovermode="closest",
                      xaxis_title="along the heading (m)", yaxis=dict(title="sideways (m)", scaleanchor="x"))
    ids = np.arange(len(obs))
    return fig, pd.concat([_long("history", obs, ids), _long("future", future, ids)])


def eigen_figure(eigen: np.ndarray, singular_values: np.ndarray):
    """The paper's Fig. 3: eigen-trajectories u_1..u_k of the future as X-Y, T-X and T-Y curves."""
    k, T, _ = eigen.shape
    fig = make_subplots(1, 3, subplot_titles=("u_i as a path (x, y)", "x over time", "y over time"))
    t = np.arange(1, T + 1)
    for i in range(k):
        style = dict(color=COLORWAY[i % len(COLORWAY)], width=2.5 if i < 2 else 1.5)
        fig.add_scatter(x=eigen[i, :, 0], y=eigen[i, :, 1], mode="lines+markers", marker=dict(size=4),
                        line=style, name=f"u{i + 1} (s = {singular_values[i]:.0f})", legendgroup=str(i), row=1, col=1)
        for col, d in ((2, 0), (3, 1)):
            fig.add_scatter(x=t, y=eigen[i, :, d], mode="lines", line=style, showlegend=False,
                            legendgroup=str(i), row=1, col=col)
    fig.update_xaxes(title_text="x", row=1, col=1)
    fig.update_xaxes(title_text="future step", row=1, col=2)
    fig.update_xaxes(title_text="future step", row=1, col=3)
    fig.update_layout(title=f"Eigen-trajectories u1..u{k} of the future: the ET basis", height=380,
                      hovermode="closest", margin=dict(t=80),
                      legend=dict(orientation="h", y=-0.2, x=0, xanchor="left", yanchor="top"))
    ids = [f"u{i + 1}" for i in range(k)]
    return fig, _long("eigen-trajectory", eigen, ids, {"singular_value": singular_values[:k]})


def energy_figure(energy_obs: np.ndarray, energy_future: np.ndarray, k: int):
    data = pd.concat([pd.DataFrame({"part": part, "k": np.arange(1, len(e) + 1), "energy": e,
                                    "left_out": 1 - e}) for part, e in (("history", energy_obs),
                                                                       ("future", energy_future))])
    fig = _figure()
    for part, color in (("history", MUTED), ("future", PRIMARY)):
        d = data[data.part == part]
        fig.add_scatter(x=d.k, y=d.left_out.clip(lower=1e-7), mode="lines+markers", name=part, line=dict(color=color))
    fig.add_vline(x=k, line=dict(color=ACCENT, dash="dash"), annotation_text=f" k = {k}")
    fig.update_layout(title="Explained energy: share of sum(s²) left out by the first k", height=380,
                      xaxis_title="k", yaxis=dict(title="1 - explained energy (log)", type="log"), hovermode="x")
    return fig, data


def study_figure(study: pd.DataFrame, k: int):
    """Reconstruction error against parameter count: ET vs Bezier vs B-spline (the paper's Fig. 2)."""
    fig = make_subplots(2, 2, shared_xaxes=True, subplot_titles=("history (8 steps): ADE", "future (12 steps): ADE",
                                                                 "history: FDE", "future: FDE"))
    colours = {"ET": PRIMARY, "Bezier": ACCENT, "B-spline": "#2F9E44"}
    for col, part in ((1, "history"), (2, "future")):
        for row, metric in ((1, "ADE"), (2, "FDE")):
            for method, colour in colours.items():
                d = study[(study.part == part) & (study.method == method)]
                fig.add_scatter(x=d.n_params, y=d[metric], mode="lines+markers", name=method, line=dict(color=colour),
                                showlegend=row == col == 1, legendgroup=method, row=row, col=col)
    fig.add_vline(x=k, line=dict(color=MUTED, dash="dash"))
    fig.update_yaxes(type="log", title_text="m (log)", col=1)
    fig.update_yaxes(type="log")
    fig.update_xaxes(title_text="numbers per trajectory", row=2)
    fig.update_layout(title="Reconstruction error against number of parameters", height=540, hovermode="x",
                      margin=dict(t=80), legend=dict(orientation="h", y=-0.12, x=0, xanchor="left", yanchor="top"))
    return fig, study


def anchors_figure(paths: np.ndarray, counts: np.ndarray, coef: np.ndarray, labels: np.ndarray):
    """Anchors decoded to paths (normalised frame; width by cluster size) and the clustered coefficients."""
    S = len(paths)
    palette = [COLORWAY[i % len(COLORWAY)] for i in range(S)]
    fig = make_subplots(1, 2, column_widths=[0.58, 0.42],
                        subplot_titles=("anchor futures (normalised frame)", "training futures in ET space"))
    share = counts / counts.sum()
    for s in range(S):
        colour = palette[s]
        path = np.concatenate([np.zeros((1, 2)), paths[s]])
        fig.add_scatter(x=path[:, 0], y=path[:, 1], mode="lines", line=dict(color=colour, width=1 + 40 * share[s]),
                        name=f"anchor {s + 1}", hovertemplate=f"anchor {s + 1}: {100 * share[s]:.1f}% of futures"
                        "<extra></extra>", showlegend=False, row=1, col=1)
    scale = [[edge, palette[i]] for i in range(S) for edge in (i / S, (i + 1) / S)]   # one flat band per cluster
    fig.add_scatter(x=coef[:, 0], y=coef[:, 1], mode="markers", showlegend=False, hoverinfo="skip",
                    marker=dict(size=3, color=labels + 0.5, colorscale=scale, cmin=0, cmax=S, opacity=0.5),
                    row=1, col=2)
    fig.update_xaxes(title_text="along the heading (m)", row=1, col=1)
    fig.update_yaxes(title_text="sideways (m)", scaleanchor="x", row=1, col=1)
    fig.update_xaxes(title_text="c1 (on u1)", row=1, col=2)
    fig.update_yaxes(title_text="c2 (on u2)", row=1, col=2)
    fig.update_layout(title=f"{S} anchors: k-means on the ET coefficients of the training futures", height=400,
                      hovermode="closest", margin=dict(t=80))
    data = _long("anchor", paths, np.arange(1, S + 1), {"share": share})
    return fig, data


def heldout_figure(cells: dict, k: int, n_anchors: int):
    """Precomputed held-out best-of-S errors against the number of anchors, at the chosen k."""
    rows = [{"anchors": c["anchors"], "method": name, **m} for c in cells.values() if c["k"] == k
            for name, m in c["metrics"].items()]
    data = pd.DataFrame(rows).sort_values(["method", "anchors"])
    fig = make_subplots(1, 2, subplot_titles=("minADE (m)", "minFDE (m)"))
    colours = {"ET + anchors (trained)": PRIMARY, "no anchors (trained)": "#AE3EC9", "anchors only": ACCENT,
               "constant velocity": MUTED, "rank-k oracle": "#2F9E44"}
    for col, metric in ((1, "minADE"), (2, "minFDE")):
        for method, colour in colours.items():
            d = data[data.method == method]
            fig.add_scatter(x=d.anchors, y=d[metric], mode="lines+markers", name=method, line=dict(color=colour),
                            showlegend=col == 1, legendgroup=method, row=1, col=col)
        fig.add_vline(x=n_anchors, line=dict(color=MUTED, dash="dash"), row=1, col=col)
    fig.update_xaxes(title_text="anchors = samples S (best of S)")
    fig.update_layout(title=f"Held-out scenes, k = {k}: best-of-S error against the number of anchors",
                      height=400, hovermode="x", margin=dict(t=80),
                      legend=dict(orientation="h", y=-0.25, x=0, xanchor="left", yanchor="top"))
    return fig, data


def differs_text(summary: dict) -> str:
    """The page's "What differs" text, with the shipped run's numbers."""
    return f"""
* **Data**: ETH/UCY and SDD can't be downloaded here. A social-force corridor (walls, a pillar, groups,
  standing people, arrivals from both ends; core/eigentrajectory/crowd.py) stands in, sampled at 0.4 s with
  8 observed / 12 future steps. {len(summary['train_scenes'])} scenes ({summary['train_samples']:,} samples) train;
  {len(summary['heldout_scenes'])} other seeds are held out. Your own
  ETH/UCY file can be uploaded, but the network was trained on the simulator only.
* **Predictor**: a small MLP with max-pooled neighbours (their positions, steps and ET coefficients) instead
  of the 10 published baselines; trained {summary['epochs']} epochs (the paper: 256); all {len(summary['cells'])}
  cells of the k x anchors grid (two networks each) took {summary['total_cpu_seconds'] / 60:.0f} min of one CPU core.
  It also outputs a probability per sample (cross-entropy to the winner, as in MultiPath); the paper's
  samples carry none.
* **One descriptor**: no separate moving/slow descriptors and no speed scaling (the normaliser is origin +
  rotation only, as the paper's descriptor study); no y-flip augmentation; k-means n_init 3 (paper 10).
* **Evaluation**: held-out seeds of the same simulator, not leave-one-scene-out over five real scenes, so the
  numbers are not comparable with the paper's tables. The network sees no absolute position (the paper
  feeds it the position relative to the scene mean): it sees the people around, not the walls or the pillar.
* **Curves** fitted by least squares (closed form), not 100k Adam steps; B-splines take their best degree 1-3.
* **Yardsticks added here**: the Euclidean twin (section 6), a best-of-S noisy constant velocity (heading and
  speed noise tuned on the training samples) beside the single-sample one, and a collision rate (a predicted
  future within 2 body radii, 0.6 m, of a neighbour's true future); the paper reports none of the last two."""


def twin_table(cell: dict) -> pd.DataFrame:
    """The precomputed held-out comparison: one row per method."""
    rows = [{"method": m, **v} for m, v in cell["metrics"].items()]
    rows.append({"method": "true futures", "collision_rate": cell["true_future_collision_rate"]})
    return pd.DataFrame(rows)


def twin_sentence(cell: dict) -> str:
    """The verdict of the ET-vs-Euclidean comparison, built from the numbers."""
    m = cell["metrics"]
    et, euc = m["ET + anchors (trained)"], m["Euclidean twin (trained)"]
    free = m["ET, no anchors (trained)"]
    noisy = next(v for name, v in m.items() if name.startswith("noisy constant velocity"))
    better = et["minADE"] < euc["minADE"] and et["minFDE"] < euc["minFDE"]
    text = (f"Held out, at k = {cell['k']} and {cell['anchors']} samples: ET + anchors {et['minADE']:.3f} / "
            f"{et['minFDE']:.3f} m (minADE / minFDE), the same network in Euclidean space {euc['minADE']:.3f} / "
            f"{euc['minFDE']:.3f} m, ET without anchors {free['minADE']:.3f} / {free['minFDE']:.3f} m: "
            + ("the paper's claim holds here, the predictor does better in ET space"
               + (" even without anchors. " if free["minADE"] < euc["minADE"] and free["minFDE"] < euc["minFDE"]
                  else "; the gain comes with the anchors, without them the two spaces are about even. ")
               if better else "the paper's claim does not hold here: the Euclidean twin is as good or better. "))
    text += (f"The fair baseline, best-of-{noisy['samples']} noisy constant velocity, scores {noisy['minADE']:.3f} / "
             f"{noisy['minFDE']:.3f} m. Collision rates: ET {et['collision_rate']:.1%}, Euclidean "
             f"{euc['collision_rate']:.1%}, noisy constant velocity {noisy['collision_rate']:.1%}, against "
             f"{cell['true_future_collision_rate']:.1%} for the true futures (the simulated people themselves come "
             "that close): no method here is trained to avoid collisions, and the table says how often they predict one.")
    return text
