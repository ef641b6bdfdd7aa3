"""The TopCoW 2024 Task-1 evaluation, re-implemented from its definitions (numpy / scipy / scikit-image).

The official code (CoWBenchmark/TopCoW_Eval_Metrics, ``topcow24_eval``, no licence, so not vendored)
uses SimpleITK; here each metric is written from the definition it implements:

1. class-average Dice (voxel counts), 2. clDice on the merged binary mask (Lee skeletons),
3. class-average Betti-0 error (26-connected components), 4. class-average HD95 and HD (26-contour
surfaces, Euclidean distance maps in mm, Metrics-Reloaded max of the two directed 95th percentiles),
5. detection of the Group-2 labels (8, 9, 10, 15) with IoU >= 0.25, 6. the anterior / posterior edge
lists (graph classification), 7. topology matching (detection, neighbour sets, b0, L/R flip).

Scored classes are the *union* of labels present in gt and pred (the code's behaviour; its docstring
says "both"). A class present on one side only: Dice 0, HD95 = HD = 90 mm, B0err = that side's b0.
No label anywhere: every class average and MergedBin value is 0. Arrays are (x, y, z), LPS.
As in the official ``pred.CopyInformation(gt)``, the prediction is judged on the gt's grid and spacing.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize

from .anatomy import (ANTERIOR_LABELS, GROUP2_LABELS, HD95_UPPER_BOUND, IOU_THRESHOLD, LABEL_OF, LABELS,
                      MERGED_BIN, POSTERIOR_LABELS)

N26 = np.ones((3, 3, 3), bool)


# ----------------------------------------------------------------------------- helpers

def present_labels(*arrays) -> list[int]:
    """Sorted union of the non-zero values of the arrays."""
    found = set()
    for a in arrays:
        found |= set(np.unique(a).tolist())
    return sorted(int(v) for v in found - {0})


def _crop(*masks, margin: int = 1):
    """The masks cut to the bounding box of their union, zero-padded by ``margin`` voxels.

    Every metric here is invariant to this crop (nothing outside is foreground), and the padding is
    what the official code adds so that border voxels count as surface.
    """
    union = np.logical_or.reduce(masks)
    box = ndimage.find_objects(union.astype(np.uint8))
    if not box:
        return [np.zeros((1, 1, 1), bool) for _ in masks]
    return [np.pad(m[box[0]], margin) for m in masks]


# ----------------------------------------------------------------------------- 1. Dice

def dice(pred_mask, gt_mask) -> float:
    """2|P & G| / (|P| + |G|) on voxel counts (spacing ignored); 0 when both are empty."""
    total = int(pred_mask.sum()) + int(gt_mask.sum())
    return 2.0 * int(np.logical_and(pred_mask, gt_mask).sum()) / total if total else 0.0


def iou(pred_mask, gt_mask) -> float:
    union = int(np.logical_or(pred_mask, gt_mask).sum())
    return int(np.logical_and(pred_mask, gt_mask).sum()) / union if union else 0.0


# ----------------------------------------------------------------------------- 2. clDice

def cl_dice(pred, gt) -> float:
    """clDice of the merged binary masks: harmonic mean of topology precision and sensitivity.

    tprec = |S(P) & G| / |S(P)|, tsens = |S(G) & P| / |S(G)|, S = Lee (1994) skeleton (skimage's
    ``skeletonize`` on 3D input, which is the old ``skeletonize_3d``); an empty skeleton scores 0.
    """
    p, g = _crop(np.asarray(pred) > 0, np.asarray(gt) > 0)

    def score(skeleton, volume):
        n = int(skeleton.sum())
        return float((skeleton & volume).sum()) / n if n else 0.0

    tprec, tsens = score(skeletonize(p), g), score(skeletonize(g), p)
    return 2 * tprec * tsens / (tprec + tsens) if tprec + tsens else 0.0


# ----------------------------------------------------------------------------- 3. Betti numbers

def betti0(mask) -> int:
    """Number of 26-connected foreground components (0 for an empty mask)."""
    return int(ndimage.label(mask, structure=N26)[1])


def betti_numbers(mask) -> tuple[int, int, int]:
    """(b0, b1, b2) as the 2023 evaluation: b1 = b0 + b2 - Euler characteristic.

    On the 1-padded mask: b0 = 26-connected foreground components, b2 = 6-connected background
    components - 1 (enclosed cavities), chi = skimage ``euler_number`` with connectivity 3.
    """
    from skimage.measure import euler_number
    m, = _crop(np.asarray(mask, bool))
    b0 = betti0(m)
    b2 = int(ndimage.label(~m)[1]) - 1                  # default structure = 6-connectivity
    chi = int(euler_number(m, connectivity=3))
    return b0, b0 + b2 - chi, b2


# ----------------------------------------------------------------------------- 4. HD95 / HD

def _surface(mask):
    """Voxels with a background voxel among their 26 neighbours (SimpleITK LabelContour, fully connected)."""
    return mask & ~ndimage.binary_erosion(mask, N26)


def hausdorff(pred_mask, gt_mask, spacing) -> tuple[float, float]:
    """(HD95, HD) in mm: max of the two directed 95th percentiles (and maxima) of surface distances.

    Each directed set holds, for every surface voxel of one mask, the Euclidean distance (with the
    voxel spacing) to the nearest surface voxel of the other: what the official code reads from a
    Maurer distance map of the other surface. A k-d tree over surface voxels gives the same exact
    distances without a full-volume transform. ``np.percentile`` with linear interpolation, as the
    official code. 90 mm if either mask is empty.
    """
    from scipy.spatial import cKDTree
    if not np.any(pred_mask) or not np.any(gt_mask):
        return HD95_UPPER_BOUND, HD95_UPPER_BOUND
    p, g = _crop(np.asarray(pred_mask, bool), np.asarray(gt_mask, bool))
    sp = np.argwhere(_surface(p)) * np.asarray(spacing, float)
    sg = np.argwhere(_surface(g)) * np.asarray(spacing, float)
    to_p = cKDTree(sp).query(sg)[0]          # every gt surface voxel -> nearest pred surface voxel
    to_g = cKDTree(sg).query(sp)[0]
    hd95 = max(np.percentile(to_p, 95), np.percentile(to_g, 95))
    return float(hd95), float(max(to_p.max(), to_g.max()))


# ----------------------------------------------------------------------------- class averages

def class_scores(pred, gt, spacing) -> dict[str, dict]:
    """Per-class Dice, B0err, HD95, HD over the union of present labels, plus ClsAvg and MergedBin.

    Returns {metric: {class name | "ClsAvg<metric>" | "MergedBin": value}}.
    """
    metrics = ("Dice", "B0err", "HD95", "HD")
    out = {m: {} for m in metrics}
    labels = present_labels(gt, pred)
    if not labels:       # the official empty-image rule: averages and MergedBin all 0 (even Dice)
        for m in metrics:
            out[m][f"ClsAvg{m}"] = 0.0
            out[m][MERGED_BIN] = 0.0
        return out
    boxes = _label_boxes(gt, pred)
    for label in labels + [MERGED_BIN]:
        if label == MERGED_BIN:
            p, g = pred > 0, gt > 0
        else:
            box = boxes[label]
            p, g = pred[box] == label, gt[box] == label
        hd95, hd = hausdorff(p, g, spacing)
        name = label if label == MERGED_BIN else LABELS.get(label, str(label))
        for m, value in zip(metrics, (dice(p, g), abs(betti0(p) - betti0(g)), hd95, hd)):
            out[m][name] = value
    for m in metrics:
        values = [out[m][LABELS.get(label, str(label))] for label in labels]
        out[m][f"ClsAvg{m}"] = float(np.mean(values))
    return out


def _label_boxes(*arrays) -> dict[int, tuple]:
    """Bounding box of each label over all the arrays, grown by one voxel (room for neighbours)."""
    boxes = {}
    for a in arrays:
        for i, sl in enumerate(ndimage.find_objects(a), start=1):
            if sl is None:
                continue
            sl = tuple(slice(max(s.start - 1, 0), s.stop + 1) for s in sl)
            old = boxes.get(i)
            boxes[i] = sl if old is None else tuple(slice(min(o.start, s.start), max(o.stop, s.stop))
                                                  for o, s in zip(old, sl))
    return boxes


# ----------------------------------------------------------------------------- 5. detection

def detect(pred, gt, label: int, boxes: dict | None = None) -> str:
    """TP = in gt and IoU >= 0.25, FN = in gt and IoU < 0.25, FP = absent from gt but in pred,
    TN = absent from both. ``boxes``: label boxes over both arrays (computed if not given)."""
    box = (boxes if boxes is not None else _label_boxes(gt, pred)).get(label)
    if box is None:
        return "TN"
    g, p = gt[box] == label, pred[box] == label
    if g.any():
        return "TP" if iou(p, g) >= IOU_THRESHOLD else "FN"
    return "FP" if p.any() else "TN"


def detection(pred, gt, boxes: dict | None = None) -> dict[int, str]:
    """Detection of the Group-2 labels (8, 9, 10, 15)."""
    boxes = boxes if boxes is not None else _label_boxes(gt, pred)
    return {label: detect(pred, gt, label, boxes) for label in GROUP2_LABELS}


# ----------------------------------------------------------------------------- 6. graph

def neighbours(labels, label: int, boxes: dict | None = None) -> list[int]:
    """Labels in the 26-neighbourhood of all voxels of ``label`` (background and itself removed)."""
    boxes = boxes if boxes is not None else _label_boxes(labels)
    if label not in boxes:
        return []
    region = labels[boxes[label]]
    m = region == label
    ring = ndimage.binary_dilation(m, N26) & ~m
    return sorted(set(np.unique(region[ring]).tolist()) - {0, label})


def _b0(labels, label: int, boxes: dict) -> int:
    return betti0(labels[boxes[label]] == label) if label in boxes else 0


def edge_list(labels, boxes: dict | None = None) -> tuple[list[int], list[int]]:
    """([L-A1, Acom, 3rd-A2, R-A1], [L-Pcom, L-P1, R-P1, R-Pcom]) by the official rules.

    X-A1 = 1 iff X-ACA exists and touches X-ICA (26-neighbourhood); X-P1 = 1 iff X-PCA exists and
    touches BA; Acom, 3rd-A2 and the Pcoms = 1 iff the label exists anywhere.
    """
    boxes = boxes if boxes is not None else _label_boxes(labels)
    present = set(boxes)

    def touches(a, b):
        return a in present and b in neighbours(labels, a, boxes)

    ant = [touches(12, 6), 10 in present, 15 in present, touches(11, 4)]
    post = [9 in present, touches(3, 1), touches(2, 1), 8 in present]
    return [int(e) for e in ant], [int(e) for e in post]


def variant_class(edges, region: str) -> str:
    """The class string the aggregation compares, e.g. ``Var_Ant_1_1_0_1``."""
    return f"Var_{region}_" + "_".join(str(int(e)) for e in edges)


# ----------------------------------------------------------------------------- 7. topology

def lr_flipped(labels, region: str) -> bool:
    """Median x index of the left structure below that of the right one (LPS: left = larger x).

    Anterior: ICAs, else ACAs; posterior: PCAs; False when a pair is missing.
    """
    pairs = [(6, 4), (12, 11)] if region == "anterior" else [(3, 2)]
    present = set(present_labels(labels))
    for left, right in pairs:
        if {left, right} <= present:
            return bool(np.median(np.nonzero(labels == left)[0]) < np.median(np.nonzero(labels == right)[0]))
    return False


def _region_topology(labels, region_labels, boxes) -> dict[str, dict]:
    return {LABELS[label]: {"b0": _b0(labels, label, boxes), "neighbors": neighbours(labels, label, boxes)}
            for label in region_labels}


def topology(pred, gt, det: dict[int, str] | None = None) -> dict:
    """The official topology dict: gt / pred b0 and neighbour sets per region label, pred detection
    and L/R flip, and the match verdict per region (all four conditions must hold)."""
    det = det or {}
    gt_boxes, pred_boxes, both = _label_boxes(gt), _label_boxes(pred), _label_boxes(gt, pred)
    gt_edges, pred_edges = edge_list(gt, gt_boxes), edge_list(pred, pred_boxes)
    out = {"gt_topology": {}, "pred_topology": {}, "match_verdict": {}}
    for region, region_labels, i in (("anterior", ANTERIOR_LABELS, 0), ("posterior", POSTERIOR_LABELS, 1)):
        g = {"graph": gt_edges[i], **_region_topology(gt, region_labels, gt_boxes)}
        p = {"graph": pred_edges[i], **_region_topology(pred, region_labels, pred_boxes)}
        for label in region_labels:   # every region label, not only Group 2 (as the official code)
            p[LABELS[label]]["detection"] = det[label] if label in det else detect(pred, gt, label, both)
        p["LR_flipped"] = lr_flipped(pred, region)
        out["gt_topology"][region], out["pred_topology"][region] = g, p
        out["match_verdict"][region] = _matches(g, p, region_labels)
    return out


def _matches(g, p, region_labels) -> bool:
    for label in region_labels:
        name = LABELS[label]
        if p[name]["detection"] not in ("TP", "TN"):
            return False
        if p[name]["neighbors"] != g[name]["neighbors"] or p[name]["b0"] != g[name]["b0"]:
            return False
    return not p["LR_flipped"]


# ----------------------------------------------------------------------------- the case report

def evaluate_case(pred, gt, spacing) -> dict:
    """All seven Task-1 metrics for one case, keyed as the official per-case results.

    Keys: ``Dice_<name>``, ``B0err_<name>``, ``HD95_<name>``, ``HD_<name>`` for every scored class and
    ``MergedBin``; ``B1err_MergedBin`` (2023, unranked); ``ClsAvgDice``, ``ClsAvgB0err``, ``ClsAvgHD95``,
    ``ClsAvgHD`` (the official columns ``Dice_ClsAvgDice`` ... are the same numbers, also present);
    ``clDice``; ``detection`` ({8|9|10|15: TP|FN|FP|TN}); ``graph`` ({region: {gt_graph, pred_graph}});
    ``topology`` (the full topology dict) and ``topology_match`` ({"anterior": bool, "posterior": bool}).
    """
    pred, gt = np.asarray(pred).astype(np.uint8), np.asarray(gt).astype(np.uint8)
    if pred.shape != gt.shape:
        raise ValueError(f"prediction shape {pred.shape} differs from ground truth shape {gt.shape}")
    report: dict = {}
    for metric, per_class in class_scores(pred, gt, spacing).items():
        for name, value in per_class.items():
            report[f"{metric}_{name}"] = value
            if name.startswith("ClsAvg"):
                report[name] = value
    report["clDice"] = cl_dice(pred, gt)
    # TopCoW 2023 still computed the Betti-1 error of the merged mask (dropped from the ranking, 2023-09-07)
    report["B1err_MergedBin"] = abs(betti_numbers(pred > 0)[1] - betti_numbers(gt > 0)[1])
    det = detection(pred, gt)
    report["detection"] = det
    report["topology"] = topology(pred, gt, det)
    report["graph"] = {region: {"gt_graph": report["topology"]["gt_topology"][region]["graph"],
                                "pred_graph": report["topology"]["pred_topology"][region]["graph"]}
                       for region in ("anterior", "posterior")}
    report["topology_match"] = dict(report["topology"]["match_verdict"])
    return report


def class_name(label: int) -> str:
    return LABELS.get(label, str(label))


def label_id(name: str) -> int:
    return LABEL_OF[name]
