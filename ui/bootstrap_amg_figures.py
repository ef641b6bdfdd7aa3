"""Figures of the Bootstrap AMG clustering page: pure functions from core/bootstrap_amg results to
(plotly figure, DataFrame of exactly what is plotted)."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.theme import ACCENT, COLORWAY, MUTED, PRIMARY

PALETTE = ["#4C6EF5", "#F76707", "#2F9E44", "#AE3EC9", "#1098AD", "#E03131", "#F59F00", "#5C940D", "#862E9C",
           "#364FC7"]


def snowball(A, size: int, seed: int = 0) -> np.ndarray:
    """Up to ``size`` vertices reached breadth-first from random starts (a connected-looking sample, so
    the drawing shows structure edges; a uniform sample of a sparse graph has almost none)."""
    rng = np.random.default_rng(seed)
    n = A.shape[0]
    seen, order = np.zeros(n, bool), []
    for start in rng.permutation(n):
        if len(order) >= size:
            break
        if seen[start]:
            continue
        queue, seen[start] = [start], True
        while queue and len(order) < size:
            v = queue.pop(0)
            order.append(v)
            fresh = [u for u in rng.permutation(A.indices[A.indptr[v]:A.indptr[v + 1]]) if not seen[u]][:3]
            seen[fresh] = True                       # a few neighbours each: a bushier, wider sample
            queue.extend(fresh)
    return np.array(order)


def augmentation_sample(A, attributes, size: int = 60, seed: int = 0, value_names=()) -> tuple[np.ndarray, nx.Graph]:
    """A snowball sample of structure vertices, the induced edges, and their attribute vertices (first
    attribute column): the part of the augmented graph the figure draws."""
    picked = snowball(A, size, seed)
    G = nx.Graph()
    G.add_nodes_from(int(v) for v in picked)
    sub = A[picked][:, picked].tocoo()
    G.add_edges_from((int(picked[i]), int(picked[j])) for i, j in zip(sub.row, sub.col) if i < j)
    if attributes is not None:
        for v in picked:
            code = int(attributes[v, 0])
            name = value_names[code] if code < len(value_names) else f"value {code}"
            G.add_node(name, code=code)
            G.add_edge(int(v), name, attribute=True)
    return picked, G


def augmentation_figure(A, attributes, colour, omega: float, attribute_name: str, seed: int = 0, value_names=()):
    picked, G = augmentation_sample(A, attributes, seed=seed, value_names=value_names)
    pos = nx.kamada_kawai_layout(G) if nx.is_connected(G) else nx.spring_layout(G, seed=seed, iterations=100)
    rows = []
    for u, v, d in G.edges(data=True):
        rows.append({"kind": "attribute edge" if d.get("attribute") else "structure edge", "node": f"{u}-{v}",
                     "x": pos[u][0], "y": pos[u][1], "x2": pos[v][0], "y2": pos[v][1], "group": ""})
    for v in G.nodes:
        is_value = isinstance(v, str)
        rows.append({"kind": "attribute vertex" if is_value else "structure vertex", "node": str(v),
                     "x": pos[v][0], "y": pos[v][1], "x2": np.nan, "y2": np.nan,
                     "group": str(G.nodes[v]["code"]) if is_value else str(colour[v])})
    data = pd.DataFrame(rows)
    fig = go.Figure()
    for kind, colour_, width, dash in (("structure edge", "#ADB5BD", 1, "solid"),
                                       ("attribute edge", ACCENT, max(0.5, 1.5 * omega ** 0.5), "dot")):
        part = data[data.kind == kind]
        xs = np.column_stack([part.x, part.x2, np.full(len(part), np.nan)]).ravel()
        ys = np.column_stack([part.y, part.y2, np.full(len(part), np.nan)]).ravel()
        fig.add_scatter(x=xs, y=ys, mode="lines", name=f"{kind} (weight {omega:g})" if "attr" in kind else kind,
                        line=dict(color=colour_, width=width, dash=dash), hoverinfo="skip",
                        visible=True if omega > 0 or "struct" in kind else "legendonly")
    nodes = data[data.kind == "structure vertex"]
    fig.add_scatter(x=nodes.x, y=nodes.y, mode="markers", name="structure vertex (colour: known block)",
                    marker=dict(size=8, color=[PALETTE[int(g) % len(PALETTE)] for g in nodes.group],
                                line=dict(color="white", width=0.5)), text=nodes.node,
                    hovertemplate="vertex %{text}<extra></extra>")
    values = data[data.kind == "attribute vertex"]
    fig.add_scatter(x=values.x, y=values.y, mode="markers+text", name=f"attribute vertex ({attribute_name})",
                    marker=dict(size=22, symbol="square", color=[PALETTE[int(g) % len(PALETTE)] for g in values.group],
                                line=dict(color="#212529", width=2)), text=values.node, textposition="top center")
    fig.update_layout(title=f"The augmented graph around {len(picked)} structure vertices: one vertex per attribute "
                            "value", height=560, hovermode="closest", xaxis=dict(visible=False),
                      yaxis=dict(visible=False, scaleanchor="x"),
                      legend=dict(orientation="h", y=-0.02, x=0, xanchor="left", yanchor="top"))
    return fig, data


def hierarchy_figure(rho, complexity, levels):
    data = pd.DataFrame({"hierarchy": np.arange(1, len(rho) + 1), "composite convergence rate rho": rho,
                         "operator complexity": complexity[:len(rho)], "levels": levels[:len(rho)]})
    fig = make_subplots(1, 2, subplot_titles=("convergence rate rho = |x15|_L / |x14|_L",
                                              "operator complexity (levels on the bars)"))
    fig.add_scatter(x=data.hierarchy, y=data["composite convergence rate rho"], mode="lines+markers",
                    name="rho", line=dict(color=PRIMARY), row=1, col=1)
    fig.add_bar(x=data.hierarchy, y=data["operator complexity"], name="operator complexity",
                marker_color=MUTED, text=[f"{lv}" for lv in data.levels], textposition="inside", textangle=0,
                row=1, col=2)
    fig.update_yaxes(type="log", title_text="rho (1 = no convergence)", exponentformat="power", row=1, col=1)
    fig.update_xaxes(title_text="hierarchies in the composite solver", row=1, col=1)
    fig.update_xaxes(title_text="hierarchy", row=1, col=2)
    fig.update_layout(title="The bootstrap: each new hierarchy is fitted to the error the previous ones "
                            "could not reduce", height=380, showlegend=False, margin=dict(t=90))
    return fig, data


def capture_figure(curves: pd.DataFrame):
    """curves: columns graph, smooth vectors, captured fraction."""
    fig = go.Figure()
    for i, (graph, part) in enumerate(curves.groupby("graph", sort=False)):
        fig.add_scatter(x=part["smooth vectors"], y=part["captured fraction"], mode="lines+markers", name=graph,
                        line=dict(color=[PRIMARY, ACCENT, MUTED][i % 3]))
    fig.add_hline(y=0.9, line=dict(color="#212529", dash="dot", width=1))
    fig.update_layout(title="Share of the lowest Laplacian eigenspace the smooth vectors span (mean cos^2 of the "
                            "principal angles)", height=400, xaxis_title="smooth vectors (w_0 = 1 first)",
                      hovermode="x unified", yaxis=dict(title="captured fraction", range=[0, 1.02]),
                      legend=dict(orientation="h", y=-0.2, x=0, xanchor="left", yanchor="top"))
    return fig, curves


def localisation_figure(frame: pd.DataFrame):
    data = frame.copy()
    fig = go.Figure()
    for column, colour in (("vertices", MUTED), ("combinatorial L", ACCENT), ("normalised adjacency", PRIMARY)):
        label = {"vertices": "share of the vertices",
                 "combinatorial L": "weight of the lowest modes of L = D - A",
                 "normalised adjacency": "weight of the top eigenvectors of D^-1/2 A D^-1/2"}[column]
        fig.add_bar(x=data.degree, y=data[column], name=label, marker_color=colour)
    fig.update_layout(title="Where the low modes live, by vertex degree", barmode="group", height=360,
                      xaxis_title="vertex degree", yaxis_title="share", hovermode="x unified",
                      legend=dict(orientation="h", y=-0.25, x=0, xanchor="left", yanchor="top"))
    return fig, data


def scores_figure(table: pd.DataFrame, measure: str):
    data = table[["method", measure] + (["NMI with the attribute"] if "NMI with the attribute" in table else [])]
    fig = go.Figure()
    fig.add_bar(y=data.method, x=data[measure], orientation="h", name=f"{measure} against the planted blocks"
                if measure in ("NMI", "ARI") else measure, marker_color=PRIMARY,
                text=[f"{v:.3f}" for v in data[measure]], textposition="outside")
    if "NMI with the attribute" in data:
        fig.add_scatter(y=data.method, x=data["NMI with the attribute"], mode="markers", marker=dict(
            symbol="diamond", size=13, color=ACCENT), name="NMI with the attribute partition (1 = is the attribute)")
    fig.update_layout(title=f"Every method on this graph: {measure}", height=80 + 48 * len(data),
                      yaxis=dict(autorange="reversed"), xaxis=dict(range=[min(0, float(data[measure].min())), 1.12]),
                      hovermode="y unified", legend=dict(orientation="h", y=-0.15, x=0, xanchor="left", yanchor="top"),
                      margin=dict(l=330))
    return fig, data


def sweep_figure(frame: pd.DataFrame, parameter: str, current: float, score: str = "NMI"):
    data = frame[[parameter, "method", score]]
    fig = go.Figure()
    for i, (method, part) in enumerate(data.groupby("method", sort=False)):
        dash = "dot" if method == "attribute alone" else "solid"
        fig.add_scatter(x=part[parameter], y=part[score], mode="lines+markers", name=method,
                        line=dict(color=COLORWAY[i % len(COLORWAY)], dash=dash))
    fig.add_vline(x=current, line=dict(color=MUTED, dash="dash", width=1))
    against = " against the planted blocks" if score != "modularity" else " of the original graph"
    fig.update_layout(title=f"{score}{against} as {parameter} varies (one SBM per value)",
                      height=420, xaxis_title=parameter,
                      yaxis=dict(title=score, range=[min(0, float(data[score].min())), 1.02]),
                      legend=dict(orientation="h", y=-0.2, x=0, xanchor="left", yanchor="top"))
    return fig, data


def speed_figure(table: pd.DataFrame, title: str):
    data = table[["graph", "solver", "seconds", "quality", "measure", "operator complexity"]]
    fig = go.Figure()
    for i, (solver, part) in enumerate(data.groupby("solver", sort=False)):
        fig.add_bar(x=part.graph, y=part.seconds, name=solver, marker_color=[PRIMARY, "#2F9E44", ACCENT][i % 3],
                    text=[f"{s:.2f} s<br>{m} {q:.2f}" for s, m, q in zip(part.seconds, part.measure, part.quality)],
                    textposition="outside")
    fig.update_layout(title=title, barmode="group", height=420, yaxis=dict(type="log", title="wall seconds (log)"),
                      hovermode="x unified", legend=dict(orientation="h", y=-0.2, x=0, xanchor="left", yanchor="top"))
    return fig, data


def contingency_figure(truth, labels, name: str):
    table = pd.crosstab(pd.Series(truth, name="planted block"), pd.Series(labels, name="cluster"))
    data = table.stack().rename("vertices").reset_index()
    fig = go.Figure(go.Heatmap(z=table.to_numpy(), x=[f"cluster {c}" for c in table.columns],
                               y=[f"block {b}" for b in table.index], colorscale="Blues", texttemplate="%{z}",
                               hovertemplate="%{y}, %{x}: %{z} vertices<extra></extra>"))
    fig.update_layout(title=f"Planted blocks against the clusters of {name}", height=340, hovermode="closest",
                      yaxis=dict(autorange="reversed"))
    return fig, data
