"""Figures of the TopCoW page: pure functions from core/topcow results to (plotly figure, data).

Each figure builder returns the figure and the DataFrame of what it plots (the page offers it as CSV);
``slice_rgb`` returns an RGB array for st.image. No Streamlit here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from core import topcow as tc
from core.topcow import GROUP2_LABELS, LABELS
from ui.theme import ACCENT, MUTED, PRIMARY

COLORS = {1: "#8C564B", 2: "#1F77B4", 3: "#6BAED6", 4: "#D62728", 5: "#2CA02C", 6: "#FF9896", 7: "#98DF8A",
          8: "#9467BD", 9: "#C5B0D5", 10: "#E6AB02", 11: "#FF7F0E", 12: "#FFBB78", 15: "#17BECF"}
ERROR_COLORS = {"missed (false negative)": "#E03131", "extra (false positive)": "#1971C2",
                "wrong label": "#F59F00"}
SCENE = dict(aspectmode="data", xaxis_title="x (mm, to patient left)", yaxis_title="y (mm, to posterior)",
             zaxis_title="z (mm, up)", camera=dict(eye=dict(x=0.0, y=-1.1, z=1.7), up=dict(x=0, y=0, z=1)))
LIGHT = dict(ambient=0.45, diffuse=0.8, specular=0.25, roughness=0.6, fresnel=0.1)


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)], np.uint8)


LUT = np.zeros((256, 3), np.uint8)
for _label, _color in COLORS.items():
    LUT[_label] = _rgb(_color)


# ----------------------------------------------------------------------------- 3D

def _mesh_trace(label, verts, faces, opacity=1.0, color=None, legend=True):
    name = LABELS.get(label, str(label))
    return go.Mesh3d(x=verts[:, 0], y=verts[:, 1], z=verts[:, 2], i=faces[:, 0], j=faces[:, 1], k=faces[:, 2],
                     color=color or COLORS.get(label, MUTED), opacity=opacity, name=name, showlegend=legend,
                     hovertemplate=f"<b>{name}</b> (label {label})<extra></extra>", lighting=LIGHT,
                     flatshading=False)


def mesh_figure(meshes: dict, title: str, height: int = 560):
    """One Mesh3d per label: the legend toggles labels, hovering names the vessel."""
    fig = go.Figure([_mesh_trace(label, v, f) for label, (v, f) in sorted(meshes.items())])
    fig.update_layout(title=title, scene=SCENE, height=height, margin=dict(l=0, r=0, t=50, b=0),
                      legend=dict(orientation="v", x=1.0, xanchor="right", y=0.95, yanchor="top"),
                      hovermode="closest")
    data = pd.concat([pd.DataFrame({"label": label, "vessel": LABELS.get(label, str(label)),
                                    "x_mm": v[:, 0], "y_mm": v[:, 1], "z_mm": v[:, 2]})
                      for label, (v, _) in sorted(meshes.items())], ignore_index=True) if meshes else pd.DataFrame()
    return fig, data


def error_figure(gt_meshes: dict, points: dict, title: str, height: int = 560):
    """The ground truth as faint surfaces, the prediction's wrong voxels as coloured points."""
    traces = [_mesh_trace(label, v, f, opacity=0.18, color="#ADB5BD", legend=False)
              for label, (v, f) in sorted(gt_meshes.items())]
    for name, xyz in points.items():
        traces.append(go.Scatter3d(x=xyz[:, 0], y=xyz[:, 1], z=xyz[:, 2], mode="markers", name=f"{name}: {len(xyz)}",
                                   marker=dict(size=2.2, color=ERROR_COLORS[name]),
                                   hovertemplate=f"{name}<extra></extra>"))
    fig = go.Figure(traces)
    fig.update_layout(title=title, scene=SCENE, height=height, margin=dict(l=0, r=0, t=50, b=0),
                      legend=dict(orientation="v", x=1.0, xanchor="right", y=0.95, yanchor="top"),
                      hovermode="closest")
    data = pd.concat([pd.DataFrame({"error": name, "x_mm": p[:, 0], "y_mm": p[:, 1], "z_mm": p[:, 2]})
                      for name, p in points.items()], ignore_index=True) if points else pd.DataFrame(
        columns=["error", "x_mm", "y_mm", "z_mm"])
    return fig, data


def error_projection_figure(views: dict, shape, spacing, title: str):
    """The wrong voxels projected along z (axial) and y (coronal), over the ground truth in grey.

    ``views``: {"axial": (codes (x, y), counts), "coronal": (codes (x, z), counts)}, each from
    core.topcow.mesh.error_projection (codes 0 nothing, 1 vessel, 2 + k the k-th kind of error; counts: voxels
    of each kind). Heatmaps, not a 3D scene: a second WebGL scene per rerun costs the browser about a second
    of CPU without a GPU.
    """
    counts = views["axial"][1]
    axes = [(np.arange(n) - (n - 1) / 2) * s for n, s in zip(shape, spacing)]
    names = ["ground-truth vessel", *counts]
    colors = [MUTED, *(ERROR_COLORS[n] for n in counts)]
    scale = [[stop, c] for i, c in enumerate(colors) for stop in (i / len(colors), (i + 1) / len(colors))]
    fig = make_subplots(1, 2, subplot_titles=("Axial projection (seen from above, anterior at top)",
                                              "Coronal projection (seen from the front)"),
                        column_widths=[0.55, 0.45], horizontal_spacing=0.08)
    rows = []
    for col, (view, rows_mm) in enumerate((("axial", axes[1]), ("coronal", axes[2])), start=1):
        codes = views[view][0].T                                       # rows y / z, columns x
        z = np.where(codes > 0, codes, np.nan).astype(np.float32)
        text = np.array(["", "vessel", *(n.split(" (")[0] for n in counts)], dtype=object)[codes]  # short: per pixel
        fig.add_heatmap(z=z, x=axes[0], y=rows_mm, text=text, zmin=0.5, zmax=len(colors) + 0.5, colorscale=scale,
                        showscale=False, hoverongaps=False, row=1, col=col,
                        hovertemplate="%{text}<br>x %{x:.1f} mm, %{y:.1f} mm<extra></extra>")
        r, c = np.nonzero(codes)
        rows.append(pd.DataFrame({"view": view, "x_mm": axes[0][c], "y_or_z_mm": rows_mm[r],
                                  "what": [names[k - 1] for k in codes[r, c]]}))
    for name, color in zip(names, colors):                          # legend entries with the voxel counts
        fig.add_scatter(x=[None], y=[None], mode="markers", marker=dict(symbol="square", size=11, color=color),
                        name=name if name not in counts else f"{name}: {counts[name]} voxels", row=1, col=1)
    fig.update_yaxes(autorange="reversed", scaleanchor="x", title="y (mm)", row=1, col=1)
    fig.update_yaxes(scaleanchor="x2", title="z (mm)", row=1, col=2)
    fig.update_xaxes(title="x (mm, to patient left)", showgrid=False, zeroline=False)
    fig.update_yaxes(showgrid=False, zeroline=False)
    fig.update_layout(title=title, height=500, hovermode="closest", plot_bgcolor="white",
                      legend=dict(orientation="h", yanchor="top", y=-0.2), margin=dict(b=100))
    return fig, pd.concat(rows, ignore_index=True)


def anatomy_table(labels, spacing) -> pd.DataFrame:
    """The ground truth's components: voxels, Betti-0 and the labels each one touches."""
    rows = [(i, LABELS[i], int((labels == i).sum()), tc.betti0(labels == i), tc.neighbours(labels, i))
            for i in tc.present_labels(labels) if i in LABELS]
    table = pd.DataFrame(rows, columns=["label", "vessel", "voxels", "b0", "touches"])
    table["volume (mm³)"] = (table["voxels"] * float(np.prod(spacing))).round(1)
    table["touches"] = [", ".join(LABELS.get(j, str(j)) for j in t) for t in table["touches"]]
    return table


# ----------------------------------------------------------------------------- intensity views

def mip_figure(image, spacing, title: str):
    """Maximum-intensity projections: axial (along z) and coronal (along y), in mm."""
    axes = [(np.arange(n) - (n - 1) / 2) * s for n, s in zip(image.shape, spacing)]
    axial, coronal = image.max(axis=2).T, image.max(axis=1).T          # rows y / z, columns x
    fig = make_subplots(1, 2, subplot_titles=("Axial MIP (seen from above, anterior at top)",
                                              "Coronal MIP (seen from the front)"),
                        column_widths=[0.55, 0.45], horizontal_spacing=0.08)
    hi = float(np.percentile(image, 99.9))
    for col, (plane, rows) in enumerate(((axial, axes[1]), (coronal, axes[2])), start=1):
        fig.add_heatmap(z=plane, x=axes[0], y=rows, colorscale="gray", zmin=float(np.percentile(image, 1)), zmax=hi,
                        showscale=False, hovertemplate="x %{x:.1f} mm, %{y:.1f} mm: %{z:.0f}<extra></extra>",
                        row=1, col=col)
    fig.update_yaxes(autorange="reversed", scaleanchor="x", title="y (mm)", row=1, col=1)
    fig.update_yaxes(scaleanchor="x2", title="z (mm)", row=1, col=2)
    fig.update_xaxes(title="x (mm, to patient left)", showgrid=False)
    fig.update_yaxes(showgrid=False)
    fig.update_layout(title=title, height=430, hovermode="closest")
    xs, ys = np.meshgrid(axes[0], axes[1], indexing="xy")
    xc, zc = np.meshgrid(axes[0], axes[2], indexing="xy")
    data = pd.concat([pd.DataFrame({"view": "axial", "x_mm": xs.ravel(), "y_or_z_mm": ys.ravel(),
                                    "mip": axial.ravel()}),
                      pd.DataFrame({"view": "coronal", "x_mm": xc.ravel(), "y_or_z_mm": zc.ravel(),
                                    "mip": coronal.ravel()})], ignore_index=True)
    return fig, data


def slice_rgb(image, labels, axis: int, index: int, spacing, alpha: float = 0.55, width: int = 360) -> np.ndarray:
    """One slice as RGB: grey intensities with the label colours blended in, at true physical aspect.

    Axial (axis 2): anterior at top, patient right on screen left (radiological). Coronal (axis 1) and
    sagittal (axis 0): superior at top.
    """
    take = [slice(None)] * 3
    take[axis] = index
    img, lab = image[tuple(take)].astype(np.float32), labels[tuple(take)]
    lo, hi = np.percentile(image, [1, 99.9])
    grey = np.clip((img - lo) / max(hi - lo, 1e-6), 0, 1)[..., None] * 255
    colour = LUT[lab].astype(np.float32)
    rgb = np.where(lab[..., None] > 0, (1 - alpha) * grey + alpha * colour, grey)
    rgb = rgb.transpose(1, 0, 2)                                    # rows = second remaining axis
    if axis != 2:
        rgb = rgb[::-1]                                             # superior at the top
    cols, rows = [s for i, s in enumerate(spacing) if i != axis]
    height_mm, width_mm = rgb.shape[0] * rows, rgb.shape[1] * cols
    size = (width, max(1, int(round(width * height_mm / width_mm))))
    return np.asarray(Image.fromarray(rgb.astype(np.uint8)).resize(size, Image.NEAREST))


# ----------------------------------------------------------------------------- metrics

def class_table(report: dict) -> pd.DataFrame:
    """Per-class Dice, B0err, HD95, HD of a case report (scored classes and MergedBin)."""
    names = [n for n in [*LABELS.values(), "MergedBin"] if f"Dice_{n}" in report]
    return pd.DataFrame({"class": names, **{m: [report[f"{m}_{n}"] for n in names]
                                             for m in ("Dice", "B0err", "HD95", "HD")}})


def graph_table(report: dict) -> pd.DataFrame:
    """The anterior and posterior edge lists of ground truth and prediction, one row per edge."""
    graph = report["graph"]
    return pd.DataFrame({"edge": list(tc.ANTERIOR_EDGES) + list(tc.POSTERIOR_EDGES),
                         "ground truth": graph["anterior"]["gt_graph"] + graph["posterior"]["gt_graph"],
                         "prediction": graph["anterior"]["pred_graph"] + graph["posterior"]["pred_graph"]})


def cases_table(cases: list) -> pd.DataFrame:
    """One row per simulated test case: its variant classes, the model's mistakes, Dice, the topology verdicts."""
    return pd.DataFrame({
        "anterior": [tc.variant_class(k["graph"]["anterior"]["gt_graph"], "Ant") for k in cases],
        "posterior": [tc.variant_class(k["graph"]["posterior"]["gt_graph"], "Pos") for k in cases],
        "model mistakes": [", ".join(k["mistakes"]) or "none" for k in cases],
        "Dice": [round(k["ClsAvgDice"], 3) for k in cases],
        "topology match": [f"{k['topology_match']['anterior']} / {k['topology_match']['posterior']}" for k in cases]})


def class_bar_figure(report: dict, title: str):
    """Per-class Dice, Betti-0 error and HD95 of one prediction."""
    table = class_table(report)
    fig = make_subplots(3, 1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=("Dice (higher is better)", "Betti-0 error |b0 pred - b0 gt|",
                                        "HD95 (mm; 90 = class missing on one side)"))
    colors = [COLORS.get(next((i for i, n in LABELS.items() if n == c), 0), MUTED) for c in table["class"]]
    for row, metric in enumerate(("Dice", "B0err", "HD95"), start=1):
        fig.add_bar(x=table["class"], y=table[metric], marker_color=colors, name=metric, showlegend=False,
                    hovertemplate="%{x}: %{y:.3g}<extra></extra>", row=row, col=1)
    fig.update_yaxes(range=[0, 1.05], row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=2, col=1)
    fig.update_yaxes(rangemode="tozero", row=3, col=1)
    if table["B0err"].max() <= 5:
        fig.update_yaxes(dtick=1, row=2, col=1)                     # counts of pieces: whole numbers
    fig.update_layout(title=title, height=560, hovermode="closest")
    return fig, table


def cohort_figure(summary: dict, title: str):
    """Detection F1 per Group-2 label; plain against variant-balanced accuracy of graphs and topology."""
    det = summary["detection"]
    fig = make_subplots(1, 2, subplot_titles=("Group-2 detection F1 over the cohort",
                                              "Plain vs variant-balanced accuracy"), column_widths=[0.45, 0.55])
    names = [LABELS[label] for label in GROUP2_LABELS] + ["mean"]
    f1 = [det[label]["f1_score"] for label in GROUP2_LABELS] + [det["f1_mean"]]
    fig.add_bar(x=names, y=f1, marker_color=[COLORS[label] for label in GROUP2_LABELS] + [ACCENT],
                showlegend=False, hovertemplate="%{x}: F1 %{y:.2f}<extra></extra>", row=1, col=1)
    rows = []
    for metric, key in (("graph", "graph_var_bal_acc"), ("topology", "topo_var_bal_acc")):
        for region in ("anterior", "posterior"):
            rows.append((f"{metric} {region}", summary[key][f"{region}_plain"], summary[key][region]))
    acc = pd.DataFrame(rows, columns=["what", "plain accuracy", "variant-balanced accuracy"])
    fig.add_bar(x=acc["what"], y=acc["plain accuracy"], name="plain accuracy", marker_color=MUTED, row=1, col=2)
    fig.add_bar(x=acc["what"], y=acc["variant-balanced accuracy"], name="variant-balanced", marker_color=PRIMARY,
                row=1, col=2)
    fig.update_yaxes(range=[0, 1.05])
    fig.update_layout(title=title, height=420, barmode="group", hovermode="closest")
    det_rows = pd.DataFrame({"what": [f"F1 {n}" for n in names], "plain accuracy": np.nan,
                             "variant-balanced accuracy": f1})
    return fig, pd.concat([det_rows, acc], ignore_index=True)


def lesson_text(n: dict, region: str, total: int) -> str:
    """Plain against variant-balanced accuracy of one region, stated from core.topcow.cohort.plain_versus_balanced."""
    common = n["common"]
    if not n["rest_cases"]:
        return f"{region.capitalize()}: one class only ({common['cls']}), so plain and balanced agree."
    verdict = ("overstates the model: the rare classes fail more, and plain accuracy is mostly the common class"
               if n["plain"] > n["balanced"] else
               "does not overstate it here: the rare classes do not fail more than the common one")
    return (f"{region.capitalize()}: plain {n['plain']:.2f}, variant-balanced {n['balanced']:.2f}. The commonest "
            f"class {common['cls']} ({common['cases']} of {total} cases) matches {common['accuracy']:.0%} of the time, "
            f"the other classes {n['rest_accuracy']:.0%} on average ({n['rest_cases']} cases): plain accuracy {verdict}.")


def error_split_text(cases: list, rates) -> str:
    """How often the simulated model erred on rare-variant cases and on the others."""
    rare = [c for c in cases if c["rare"]]
    common = [c for c in cases if not c["rare"]]
    wrong = lambda group: f"{np.mean([bool(c['mistakes']) for c in group]):.0%}" if group else "n/a"  # noqa: E731
    return (f"Errors here depend on vessel radius (exponent {rates.thin_power:g}) and on the variant (x"
            f"{rates.rare_factor:g} on rare classes): {len(rare)} of {len(cases)} cases are rare variants; the model "
            f"erred on {wrong(rare)} of them and on {wrong(common)} of the others.")
