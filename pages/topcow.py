"""TopCoW (Yang et al., arXiv 2312.17670): the page. A 3D Circle-of-Willis viewer and the challenge's
topology-aware evaluation, on a phantom or on the visitor's own NIfTI files.

Widgets, layout, plots and text only; the phantom, the degradations and the metrics are core/topcow.
"""
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import streamlit as st

from core import topcow as tc
from core.registry import by_slug
from ui import cache
from core.topcow import cohort, degrade, mesh, nifti
from ui.conventions import Choice, Slider, Toggle, compute_note, controls, explainers, figure, paper_header, unbound
from ui.jobs import on_request, store
from ui.navigation import use_app_navigation
from ui.topcow_figures import (anatomy_table, cases_table, class_bar_figure, cohort_figure, error_figure,
                               error_projection_figure, error_split_text, graph_table, lesson_text, mesh_figure,
                               mip_figure, slice_rgb)

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("topcow")
MAX_MB = 50  # the server's upload limit (server.maxUploadSize in .streamlit/config.toml)
SOURCE = Choice("source", "Data", ("phantom", "my NIfTI files"), "phantom", radio=True,
                help="A generated Circle-of-Willis phantom, or your own image / label / prediction files.")
PHANTOM = [
    Choice("variant", "Circle-of-Willis variant", tuple(tc.VARIANTS), "complete", radio=True,
           help="The anatomical variants the challenge's graph classes tell apart."),
    Choice("grid", "Voxel grid (mm)", tuple(tc.GRIDS), "iso 0.4",
           help="MRA 0.3x0.3x0.6 is the real TopCoW MRA spacing; coarser grids thin out small vessels."),
    Slider("seed", "Subject (seed)", 0, 99, 0, 1, help="Moves the anatomy slightly and redraws the noise."),
]
DETAIL = Choice("detail", "3D mesh detail", ("auto", "fine", "coarse"), "auto", radio=True,
                help="Marching-cubes step: fine = every voxel, coarse = every 2nd (4x fewer triangles).")
FAILURE = Choice("failure", "How the prediction fails", tuple(degrade.FAILURES), "gap in a vessel", radio=True)
VESSEL = Choice("vessel", "Vessel for the gap / spur", tuple(tc.LABELS.values()), "L-Pcom", radio=True)
GAP = Choice("gap", "Gap length (mm)", (0.5, 1.0, 1.5, 2.0, 3.0, 5.0), 1.0)
ERRORS_3D = Toggle("errors_3d", "Errors in 3D", False, help="A rotatable 3D view of the wrong voxels instead of "
                   "two projections (a second WebGL scene: slower to draw, most of all without a GPU).")
SLICES = [Slider("sx", "Sagittal slice (% of x)", 0, 100, 50, 1), Slider("sy", "Coronal slice (% of y)", 0, 100, 35, 1),
          Slider("sz", "Axial slice (% of z)", 0, 100, 50, 1)]
COHORT = [Slider("cases", "Cases in the test set", 10, 60, 20, 2),
          Slider("miss_pcom", "P(model misses a present Pcom)", 0.0, 1.0, 0.25, 0.05),
          Slider("fp_a2", "P(false 3rd-A2)", 0.0, 1.0, 0.1, 0.05),
          Slider("swap", "P(left-right swap)", 0.0, 1.0, 0.05, 0.05),
          Slider("thin", "Thin-vessel exponent (0: size-blind)", 0.0, 3.0, 2.0, 0.5),
          Slider("rare", "Error multiplier on rare variants (1: blind)", 1.0, 5.0, 3.0, 0.5)]
SHOWS = """
* **Dataset**: 13 labelled CoW components (BA, PCAs, ICAs, MCAs, Pcoms, Acom, ACAs, 3rd-A2), ids {1..12, 15}.
* **Seven metrics** (2024): class-average Dice, clDice on the merged vessel mask, class-average Betti-0
  error, class-average HD95, detection F1 of the Group-2 components (Acom, Pcoms, 3rd-A2; TP needs
  IoU >= 0.25), variant-balanced accuracy of the anterior / posterior graph classes, and a
  variant-balanced topology match rate (right detections, neighbours, component counts, no L/R flip).
* **Findings**: > 90 % Dice for top teams, > 80 % F1 on the Group-2 components, > 70 % balanced
  accuracy on the variants, but fragmented or missed communicating arteries and L/R swaps remain."""
TRY_THIS = """
1. Default: a 1 mm gap in the L-Pcom. Class-average Dice stays 0.996, but the L-Pcom now has two pieces
   (Betti-0 error 1) and the **posterior topology match fails**.
2. **one voxel thinner**: the reverse. Dice falls to ~0.66, yet both topology matches hold. Now pick the
   variant **R-A1 hypoplastic**: the thin A1 erodes away, the R-A1 edge is lost and the anterior match
   fails. On the **coarse 0.6** grid the Pcoms and the Acom vanish too (detection FN).
3. **left-right swap**: clDice stays 1 and the graph classes are right, but Dice collapses and both
   topology matches fail (the median-x flip test).
4. **false 3rd-A2**: a class present in the prediction only is scored with Dice 0 and HD95 90 mm, so the
   class averages drop (Dice 0.92); detection gets a false positive and the anterior graph changes.
5. Variant **no Pcoms** with **Pcom missed**: nothing to miss, detection is TN and all is well.
6. Section 4: compare plain with variant-balanced accuracy; then set the thin-vessel exponent to 0 and the
   rare-variant multiplier to 1 (errors blind to size and variant) and see the gap between them close or flip."""
DIFFERS = """
* **No real scans**: the TopCoW data sit on Zenodo (no download here). The phantom is 13 tapered tubes
  along anatomically placed centrelines (radii calibrated on real MR masks), not a patient; its MRA-like
  image (inflow contrast, texture, bias, Rician noise) is a simulation. Upload your own NIfTI files to
  use real data.
* **No trained model**: predictions are the ground truth degraded by hand-made failure modes, so the
  metrics have something honest to judge; the paper scores the teams' networks.
* **Metrics**: re-implemented with numpy / scipy / scikit-image from the official definitions (the
  official code uses SimpleITK and has no licence). The tests check them against SimpleITK: Dice and
  IoU identical, HD95 / HD within 1e-5 mm (ITK's distance maps are float32).
* **Cohort**: phantoms on a 0.6 mm grid, variants from literature priors, a simulated model with
  chosen error rates, made to fail more on thin vessels (miss / gap weight (r_ref / r)^exponent) and on
  rare variant classes (every rate times the multiplier), as the challenge found for real models; the
  paper's test sets hold 226 real scans from > 5 centres.
* **Only task 1 is built** (multiclass segmentation and its seven metrics). The challenge's task 2 (the CoW
  region-of-interest box, scored by boundary IoU) and task 3 (variant graph classification from the image,
  scored by variant-balanced accuracy) are not; the graph classes here are read off segmentations."""

COHORTS = store("topcow.cohorts", max_entries=8)     # a 20-case cohort's reports: ~0.1 MB


# Large results are shared by reference (cache.data would copy them per hit), read-only for every visitor.
@cache.resource(8, ttl=cache.TTL_SECONDS, spinner="Drawing the phantom...")  # a 3D volume, a few MB
def phantom(variant, grid, seed):
    ph = tc.make_phantom(variant, seed, tc.GRIDS[grid])
    ph.image.flags.writeable = ph.labels.flags.writeable = False
    return ph.image, ph.labels, ph.spacing, ph.affine


@cache.data(6, spinner="Reading the file...")
def read_upload(data: bytes, what: str, kind: str) -> nifti.Volume:
    vol = nifti.read(data, what, max_bytes=MAX_MB * 2**20)
    return nifti.as_labels(vol, what) if kind == "labels" else nifti.as_image(vol, what)


@cache.resource(8, ttl=cache.TTL_SECONDS, spinner="Extracting surfaces...")  # a built figure, ~1 MB
def mesh_view(key, _labels, spacing, step, title):
    return mesh_figure(mesh.label_meshes(_labels, spacing, step), title)


@cache.resource(16, ttl=cache.TTL_SECONDS, spinner="Scoring the prediction...")  # a uint8 volume, its report
def scored(key, failure, vessel, gap, _gt, _pred, spacing):
    pred = _pred if _pred is not None else degrade.simulate_prediction(_gt, spacing, failure, tc.LABEL_OF[vessel], gap)
    report = tc.evaluate_case(pred, _gt, spacing)
    return pred, report, class_bar_figure(report, "Per-class scores of this prediction")


@cache.resource(16, ttl=cache.TTL_SECONDS)  # a built figure (projections: ~0.2 MB; 3D: ~1 MB)
def error_view(key, failure, vessel, gap, in_3d, step, _gt, _pred, spacing):
    title = "Where the prediction is wrong (ground truth in grey)"
    if in_3d:
        return error_figure(mesh.label_meshes(_gt, spacing, step), mesh.error_points(_pred, _gt, spacing), title)
    views = {view: mesh.error_projection(_pred, _gt, axis) for view, axis in (("axial", 2), ("coronal", 1))}
    return error_projection_figure(views, _gt.shape, spacing, title)


@cache.resource(8, ttl=cache.TTL_SECONDS)  # a built figure and its data, ~0.2 MB
def mip_view(key, _image, spacing):
    return mip_figure(_image, spacing, "Maximum-intensity projections")


@cache.data(8)
def anatomy(key, _labels, spacing):
    """The ground truth's edge lists, Betti numbers and a table of its components."""
    return tc.edge_list(_labels), tc.betti_numbers(_labels > 0), anatomy_table(_labels, spacing)


def header() -> None:
    paper_header(PAPER)
    st.markdown(
        "The **Circle of Willis** (CoW) is the ring of arteries under the brain that connects the carotid and "
        "basilar blood supplies. Its shape varies: communicating arteries are missing or thin in most people. "
        "TopCoW released 200 MRA + CTA pairs with voxel labels for 13 CoW vessels and asked teams to segment "
        "them. Top models reach ~90 % Dice, yet still **break thin vessels, miss communicating arteries and "
        "swap left with right**, mistakes that Dice hardly sees. So the 2024 evaluation adds topology-aware "
        "scores: Betti-0 errors, clDice, HD95, detection of the small components and the variant graph. "
        "This page builds a CoW phantom (or reads your files) and runs that evaluation live, re-implemented "
        "from the official definitions.")
    explainers(shows=SHOWS, try_this=TRY_THIS, differs=DIFFERS)


def choose_data() -> SimpleNamespace:
    """The phantom (sidebar controls) or the visitor's NIfTI files, and the 3D mesh's detail."""
    source = controls([SOURCE])["source"]
    d = phantom_data() if source == "phantom" else own_files()
    d.source, detail = source, controls([DETAIL])["detail"]
    d.step = mesh.auto_step(d.labels.shape) if detail == "auto" else 1 if detail == "fine" else 2
    return d


def phantom_data() -> SimpleNamespace:
    p = controls(PHANTOM)
    key = ("phantom", p["variant"], p["grid"], p["seed"])
    image, labels, spacing, affine = phantom(p["variant"], p["grid"], p["seed"])
    pred_upload, label_note = None, f"variant **{p['variant']}**, grid {p['grid']} mm, subject {p['seed']}"
    return SimpleNamespace(image=image, labels=labels, spacing=spacing, affine=affine, pred_upload=pred_upload,
                           key=key, label_note=label_note, p=p)


def own_files() -> SimpleNamespace:
    st.header("Your files")
    st.markdown(f"NIfTI (.nii / .nii.gz), 3D, up to {MAX_MB} MB each. Label values: 0, 1-12 and 15 as in TopCoW. "
                "A prediction is scored against the label map, on the label map's grid and spacing.")
    cols = st.columns(3)
    kinds = (("image", "MRA / CTA image (optional)", "image"), ("labels", "Label map (ground truth)", "labels"),
             ("pred", "Prediction to score (optional)", "labels"))
    files = {k: c.file_uploader(label, type=["nii", "gz"], max_upload_size=MAX_MB,
                                key=unbound(f"up_{k}", "an uploaded scan cannot travel in a link"))
             for c, (k, label, _) in zip(cols, kinds)}
    try:
        vols = {k: read_upload(files[k].getvalue(), what, kind) if files[k] else None
                for k, what, kind in (("image", "image", "image"), ("labels", "label map", "labels"),
                                      ("pred", "prediction", "labels"))}
        if vols["pred"] is not None and vols["labels"] is None:
            raise nifti.UploadError("A prediction needs a ground-truth label map to be scored against: upload one.")
        for other, name in (("image", "image"), ("pred", "prediction")):
            if vols[other] is not None and vols["labels"] is not None:
                nifti.same_grid(vols[other], vols["labels"], name, "label map")
    except nifti.UploadError as err:
        st.error(str(err), icon=":material/error:")
        st.stop()
    ref = vols["labels"] or vols["image"]
    if ref is None:
        st.info("Upload at least an image or a label map to start.", icon=":material/upload:")
        st.stop()
    for name, vol in vols.items():
        if vol is not None and vol.note:
            st.caption(f"{name}: {vol.note}.")
    if vols["pred"] is not None and nifti.spacing_mismatch(vols["pred"], vols["labels"]):
        st.warning("The prediction's spacing differs from the label map's: it is scored on the label map's "
                   "grid, as the official evaluation does (`pred.CopyInformation(gt)`).")
    spacing, affine = ref.spacing, ref.affine
    labels = vols["labels"].data if vols["labels"] else np.zeros(ref.data.shape, np.uint8)
    image = vols["image"].data if vols["image"] else (labels > 0).astype(np.float32)
    pred_upload = vols["pred"].data if vols["pred"] else None
    key = ("upload", *(cache.digest(f.getvalue()) if f else None for f in files.values()))
    label_note = f"your files, grid {' x '.join(f'{s:.3g}' for s in spacing)} mm"
    return SimpleNamespace(image=image, labels=labels, spacing=spacing, affine=affine, pred_upload=pred_upload,
                           key=key, label_note=label_note, p=None)


def circle_in_3d(d: SimpleNamespace) -> None:
    labels, spacing, key, step, label_note, source, p = d.labels, d.spacing, d.key, d.step, d.label_note, d.source, d.p
    image, affine = d.image, d.affine
    st.header("1 · The Circle of Willis in 3D")
    if labels.any():
        start = time.perf_counter()
        fig, data = mesh_view(key, labels, spacing, step,
                              "The Circle of Willis, one surface per label (click the legend to hide one)")
        (gt_ant, gt_post), (b0, b1, _), table = anatomy(key, labels, spacing)
        cols = st.columns(4)
        for col, region, edges, names in ((cols[0], "Ant", gt_ant, tc.ANTERIOR_EDGES),
                                          (cols[1], "Pos", gt_post, tc.POSTERIOR_EDGES)):
            col.metric(f"{'anterior' if region == 'Ant' else 'posterior'} graph", " ".join(map(str, edges)),
                       help=f"Edges [{', '.join(names)}]: class {tc.variant_class(edges, region)}")
        cols[2].metric("separate vessel trees (b0)", b0, help="26-connected pieces of all vessels together.")
        cols[3].metric("closed loops (b1)", b1, help="1 when the ring is closed. TopCoW 2023 scored its error "
                       "(B1err), then dropped it from the ranking.")
        figure(fig, data, "topcow_mesh", caption=f"{label_note}. Marching cubes per label (step {step}); hover "
               "names the vessel. An A1 exists when the ACA touches its ICA, a P1 when the PCA touches the BA.")
        compute_note(None, "uint8 labels", time.perf_counter() - start)
        st.dataframe(table, hide_index=True)
        if source == "phantom":
            cols = st.columns(2)
            stem = f"topcow_phantom_{p['variant'].replace(' ', '_')}_{p['seed']}"
            cols[0].download_button("Label map (.nii.gz)", lambda: nifti.to_bytes(labels, affine),  # written on click
                                    f"{stem}_labels.nii.gz", on_click="ignore", icon=":material/download:")
            cols[1].download_button("MRA-like image (.nii.gz, int16)", lambda: nifti.image_bytes(image, affine),
                                    f"{stem}_image.nii.gz", on_click="ignore", icon=":material/download:")
    else:
        st.info("No vessel labels to show: the 3D view and the metrics need a label map with vessels.")


def scanner_view(d: SimpleNamespace) -> None:
    image, spacing = d.image, d.spacing
    st.header("2 · What the scanner sees")
    st.markdown("Time-of-flight MRA makes flowing blood bright; the maximum-intensity projection (MIP) is how "
                "radiologists first look at the CoW. Below it, three orthogonal slices with the labels on top.")
    fig, data = mip_view(d.key, image, spacing)
    figure(fig, data, "topcow_mip")
    slice_viewer(d.image, d.labels, d.spacing)


@st.fragment
def slice_viewer(image, labels, spacing):
    """Only this block reruns when a slice slider moves."""
    names = ("sagittal", "coronal", "axial")
    for axis, (col, spec) in enumerate(zip(st.columns(3), SLICES)):
        pct = controls([spec], where=col)[spec.key]
        index = min(int(round(pct / 100 * (labels.shape[axis] - 1))), labels.shape[axis] - 1)
        col.image(slice_rgb(image, labels, axis, index, spacing), caption=f"{names[axis]} slice {index}")


def wrong_topology(d: SimpleNamespace) -> None:
    if not d.labels.any():
        return
    labels, spacing, key, step, pred_upload = d.labels, d.spacing, d.key, d.step, d.pred_upload
    st.header("3 · High Dice, wrong topology")
    if pred_upload is None:
        st.markdown("A prediction is made by degrading the ground truth the way real models fail. Pick a "
                    "failure and watch which of the seven scores notice it.")
        cols = st.columns([2, 2, 1])
        failure = controls([FAILURE], where=cols[0])["failure"]
        vessel = controls([VESSEL], where=cols[1])["vessel"]
        gap = controls([GAP], where=cols[2])["gap"]
        st.caption(degrade.FAILURES[failure])
    else:
        failure, vessel, gap = "uploaded", "BA", 0.0
    pred, report, (bar_fig, bar_data) = scored(key, failure, vessel, gap, labels, pred_upload, spacing)
    cols = st.columns(6)
    cols[0].metric("class-average Dice", f"{report['ClsAvgDice']:.3f}")
    cols[1].metric("clDice", f"{report['clDice']:.3f}")
    cols[2].metric("class-average B0 error", f"{report['ClsAvgB0err']:.3f}")
    cols[3].metric("class-average HD95", f"{report['ClsAvgHD95']:.1f} mm")
    for col, region in zip(cols[4:], ("anterior", "posterior")):
        col.metric(f"{region} topology", "match" if report["topology_match"][region] else "FAIL",
                   help="Detections TP/TN, same neighbour labels, same b0 for every region label, no L/R flip.")
    cols = st.columns(6)
    for col, label in zip(cols, tc.GROUP2_LABELS):
        col.metric(f"{tc.LABELS[label]} detection", report["detection"][label],
                   help="TP: in the ground truth and IoU >= 0.25; FN: IoU below; FP: only predicted; TN: in neither.")
    in_3d = controls([ERRORS_3D], where=st.container())["errors_3d"]
    err_fig, err_data = error_view(key, failure, vessel, gap, in_3d, step, labels, pred, spacing)
    figure(err_fig, err_data, "topcow_errors", caption="Red: vessel voxels the prediction missed; blue: extra "
           "voxels; orange: vessel found but given the wrong label. " + ("Every wrong voxel up to 20,000 (evenly "
           "thinned above)." if in_3d else "Projections: a pixel takes the colour of the last kind in the legend "
           "that its ray meets; the legend counts every wrong voxel. The 3D view is on the toggle above."))
    figure(bar_fig, bar_data, "topcow_classes", caption="Classes scored: the union of labels in ground truth and "
           "prediction; a class on one side only scores Dice 0 and HD95 90 mm.")
    cols = st.columns([1, 2])
    cols[0].dataframe(graph_table(report), hide_index=True)
    with cols[1].expander("The full case report (official keys)"):
        st.json({k: v for k, v in report.items() if k != "topology"}, expanded=False)
        st.json(report["topology"], expanded=False)


def plain_versus_balanced(cases: list, rates) -> None:
    """The lesson of variant-balanced accuracy, in this cohort's numbers (words: ui.topcow_figures)."""
    st.markdown("**Plain or variant-balanced?** Topology match rate per ground-truth variant class:")
    for col, region in zip(st.columns(2), ("anterior", "posterior")):
        col.dataframe(pd.DataFrame(cohort.accuracy_by_class(cases, region)), hide_index=True)
        col.markdown(lesson_text(cohort.plain_versus_balanced(cases, region), region, len(cases)))
    st.caption(error_split_text(cases, rates))


def test_set() -> None:
    st.header("4 · Over a test set")
    st.markdown("The challenge ranks teams over a test set: detection F1 counts TP / FP / FN over all cases, and "
                "graph and topology accuracies are **variant-balanced** (mean recall over the variant classes in "
                "the ground truth), so a model cannot score well by only getting the common complete ring right.")
    c = {k: v for col, spec in zip(st.columns(3) * 2, COHORT) for k, v in controls([spec], where=col).items()}
    rates = cohort.ModelRates(miss_pcom=c["miss_pcom"], false_3rd_a2=c["fp_a2"], lr_swap=c["swap"],
                              thin_power=c["thin"], rare_factor=c["rare"])
    cases = on_request(COHORTS, (c["cases"], rates), lambda progress: cohort.simulate_cohort(
        c["cases"], seed=0, rates=rates, progress=progress), "Scoring phantoms...",
        f"Score a simulated test set ({c['cases']} phantoms, ~{0.3 * c['cases']:.0f} s)")
    if cases is not None:
        summary = cohort.aggregate(cases)
        cols = st.columns(4)
        cols[0].metric("detection F1 (mean of 4)", f"{summary['detection']['f1_mean']:.3f}")
        cols[1].metric("graph accuracy, balanced", f"{summary['graph_var_bal_acc']['anterior']:.2f} / "
                       f"{summary['graph_var_bal_acc']['posterior']:.2f}", help="anterior / posterior")
        cols[2].metric("topology match, balanced", f"{summary['topo_var_bal_acc']['anterior']:.2f} / "
                       f"{summary['topo_var_bal_acc']['posterior']:.2f}", help="anterior / posterior")
        cols[3].metric("mean class-average Dice", f"{summary['ClsAvgDice']:.3f}")
        fig, data = cohort_figure(summary, "Detection and variant-balanced accuracy over the test set")
        figure(fig, data, "topcow_cohort", caption="A Group-2 label that is TN in every case gets F1 = 0 "
               "(0/0 is scored 0), which pulls the mean down: an official rule, not a bug here.")
        plain_versus_balanced(cases, rates)
        st.dataframe(cases_table(cases), hide_index=True)


header()
d = choose_data()
circle_in_3d(d)
scanner_view(d)
wrong_topology(d)
test_set()
