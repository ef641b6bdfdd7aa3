"""The challenge's label map and the Circle-of-Willis geometry the phantoms are drawn from.

Label ids and names are the official ``MUL_CLASS_LABEL_MAP`` (identical in TopCoW 2023 and 2024).
Coordinates are millimetres in LPS (x -> patient Left, y -> Posterior, z -> Superior), origin at the
centre of a 44 x 36 x 22 mm region of interest, the size of the real TopCoW ROI crops. ``s`` = -1 for
the right side, +1 for the left. Control points and radii follow ../shared/papers/topcow.md, which
calibrated them against real MR ROI masks (median skeleton radius within the real range per vessel).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

LABELS: dict[int, str] = {1: "BA", 2: "R-PCA", 3: "L-PCA", 4: "R-ICA", 5: "R-MCA", 6: "L-ICA", 7: "L-MCA",
                          8: "R-Pcom", 9: "L-Pcom", 10: "Acom", 11: "R-ACA", 12: "L-ACA", 15: "3rd-A2"}
VESSEL_IDS: tuple[int, ...] = tuple(LABELS)                 # the 13 classes {1..12, 15}
LABEL_OF: dict[str, int] = {name: i for i, name in LABELS.items()}
MERGED_BIN = "MergedBin"                                    # name of the binary (label > 0) class
HD95_UPPER_BOUND = 90.0                                     # mm, a class missing on one side
IOU_THRESHOLD = 0.25                                        # the "lenient" detection rule
GROUP2_LABELS = (8, 9, 10, 15)                              # small components scored by detection F1
ANTERIOR_LABELS = (10, 11, 12, 15)
POSTERIOR_LABELS = (2, 3, 8, 9)
ANTERIOR_EDGES = ("L-A1", "Acom", "3rd-A2", "R-A1")         # order of the official edge lists
POSTERIOR_EDGES = ("L-Pcom", "L-P1", "R-P1", "R-Pcom")
LR_PAIRS = ((2, 3), (4, 6), (5, 7), (8, 9), (11, 12))       # (right, left)
COMMUNICATING = (8, 9, 10, 15)                              # get a score penalty when tubes overlap
ROI_MM = (44.0, 36.0, 22.0)

# TOF-MRA inflow brightness relative to the ICA: slower or in-plane flow in the small branches.
FLOW = {1: 0.95, 2: 0.8, 3: 0.8, 4: 1.0, 5: 0.95, 6: 1.0, 7: 0.95, 8: 0.75, 9: 0.75, 10: 0.8,
        11: 0.85, 12: 0.85, 15: 0.8}

HYPOPLASTIC_MM = 0.45


@dataclass(frozen=True)
class Variant:
    """One switch per component and side (R, L), as the notes' variant table."""
    r_a1: str = "normal"        # normal | hypoplastic | absent
    l_a1: str = "normal"
    acom: bool = True
    third_a2: bool = False
    r_pcom: str = "normal"      # normal | hypoplastic | absent | fetal
    l_pcom: str = "normal"
    r_p1: str = "normal"        # normal | hypoplastic | absent
    l_p1: str = "normal"

    def side(self, part: str, s: int) -> str:
        return getattr(self, f"{'r' if s < 0 else 'l'}_{part}")


# Named variants the page offers, with the official edge lists they must produce:
# ([L-A1, Acom, 3rd-A2, R-A1], [L-Pcom, L-P1, R-P1, R-Pcom]).
VARIANTS: dict[str, tuple[Variant, tuple[list[int], list[int]]]] = {
    "complete": (Variant(), ([1, 1, 0, 1], [1, 1, 1, 1])),
    "no Acom": (Variant(acom=False), ([1, 0, 0, 1], [1, 1, 1, 1])),
    "3rd-A2": (Variant(third_a2=True), ([1, 1, 1, 1], [1, 1, 1, 1])),
    "R-A1 hypoplastic": (Variant(r_a1="hypoplastic"), ([1, 1, 0, 1], [1, 1, 1, 1])),
    "R-A1 absent": (Variant(r_a1="absent"), ([1, 1, 0, 0], [1, 1, 1, 1])),
    "no Pcoms": (Variant(r_pcom="absent", l_pcom="absent"), ([1, 1, 0, 1], [0, 1, 1, 0])),
    "L-Pcom absent": (Variant(l_pcom="absent"), ([1, 1, 0, 1], [0, 1, 1, 1])),
    "R-Pcom hypoplastic": (Variant(r_pcom="hypoplastic"), ([1, 1, 0, 1], [1, 1, 1, 1])),
    "L fetal PCA": (Variant(l_pcom="fetal", l_p1="absent"), ([1, 1, 0, 1], [1, 0, 1, 1])),
    "L partial fetal PCA": (Variant(l_pcom="fetal", l_p1="hypoplastic"), ([1, 1, 0, 1], [1, 1, 1, 1])),
}

# Variant priors (approximate; Tromso, Enyedi 2023 and a Chinese MRA cohort, see the notes).
PRIORS = dict(acom=0.9, a1_absent=0.04, a1_hypoplastic=0.08, third_a2=0.08, pcom=0.55, fetal=0.12)


@dataclass(frozen=True)
class Tube:
    """A vessel piece: a polyline of control points (mm) with a radius at each point."""
    label: int
    points: np.ndarray = field(repr=False)      # (n, 3)
    radii: np.ndarray = field(repr=False)       # (n,)


def _polyline(label, points, r0, r1=None) -> Tube:
    points = np.asarray(points, float)
    r1 = r0 if r1 is None else r1
    # radius interpolated linearly along the arc length
    seg = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))]
    radii = r0 + (r1 - r0) * seg / max(seg[-1], 1e-9)
    return Tube(label, points, radii)


def _side_tubes(v: Variant, s: int) -> list[Tube]:
    """ICA, MCA, ACA (A1 + A2), PCA (P1 + P2) and Pcom of one side."""
    right = s < 0
    ica, mca, aca, pca, pcom = (4, 5, 11, 2, 8) if right else (6, 7, 12, 3, 9)
    T, J, Q = (10.5 * s, -4, 0), (2.5 * s, -10, 4), (8 * s, 8, 0)
    tubes = [
        _polyline(ica, [(13.5 * s, 2, -12), (14.5 * s, -6, -10.5), (15 * s, -12, -8.5), (14 * s, -12.5, -5.5),
                        (12 * s, -7, -4), (11 * s, -4.5, -2), T], 2.3, 2.1),
        _polyline(mca, [T, (16 * s, -4, 1.5), (22 * s, -3, 3), (26 * s, -2, 5)], 1.55, 1.45),
        _polyline(aca, [J, (2.8 * s, -12.5, 8), (3.4 * s, -14, 13), (3.8 * s, -14.5, 18)], 1.1, 1.0),   # A2
        _polyline(pca, [Q, (12 * s, 12, 1.5), (15 * s, 17, 3), (16.5 * s, 22, 4)], 1.1, 1.0),         # P2
    ]
    a1 = v.side("a1", s)
    if a1 != "absent":
        tubes.append(_polyline(aca, [T, (6 * s, -7.5, 2.5), J], HYPOPLASTIC_MM if a1 == "hypoplastic" else 1.15))
    p1 = v.side("p1", s)
    if p1 != "absent":
        tubes.append(_polyline(pca, [(0.8 * s, 8, -0.8), (4.5 * s, 7.5, -0.5), Q],
                               HYPOPLASTIC_MM if p1 == "hypoplastic" else 1.15))
    pc = v.side("pcom", s)
    if pc != "absent":
        # leaves the ICA nearly perpendicular: an oblique exit makes a spurious ICA-Pcom-ICA handle
        radius = {"normal": 0.85, "hypoplastic": HYPOPLASTIC_MM, "fetal": 1.1}[pc]  # fetal = P2 radius
        tubes.append(_polyline(pcom, [(11.5 * s, -5.75, -3), (11 * s, -2, -4.5), (10.5 * s, 2.5, -2.5), Q], radius))
    return tubes


def centrelines(v: Variant) -> list[Tube]:
    """Every tube of variant ``v`` in the canonical (undeformed) geometry."""
    tubes = _side_tubes(v, -1) + _side_tubes(v, +1)
    tubes.append(_polyline(1, [(0, 11, -12), (0, 9.5, -6), (0, 8, -1)], 1.7))
    if v.acom:
        tubes.append(_polyline(10, [(-2.5, -10, 4), (2.5, -10, 4)], 1.0))
    if v.third_a2:
        tubes.append(_polyline(15, [(0, -10.3, 4.5), (0, -12.8, 8.5), (0, -14.3, 13.5), (0, -15, 18)], 0.85, 0.8))
    return tubes


def jitter(tubes: list[Tube], rng: np.random.Generator, amplitude_mm=0.6, radius_spread=0.08) -> list[Tube]:
    """One subject's anatomy: a smooth random displacement of space and a radius scale per vessel.

    The same smooth field moves every control point, so points shared by two vessels (the ICA
    terminus, the A1/A2 junction, the P1/P2 junction) stay shared and the topology is unchanged.
    """
    k = rng.normal(size=(3, 3)) * 2 * np.pi / rng.uniform(30, 60, size=(3, 1))   # wave vectors, 30-60 mm
    phase, amp = rng.uniform(0, 2 * np.pi, 3), rng.normal(size=(3, 3)) * amplitude_mm / np.sqrt(3)
    scale = {label: 1 + radius_spread * rng.uniform(-1, 1) for label in LABELS}

    def move(p):
        return p + np.sin(p @ k.T + phase) @ amp

    return [replace(t, points=move(t.points), radii=t.radii * scale[t.label]) for t in tubes]


def sample_variant(rng: np.random.Generator, priors: dict | None = None) -> Variant:
    """A random variant from (adjustable) population priors, one draw per component and side."""
    p = {**PRIORS, **(priors or {})}

    def a1():
        u = rng.random()
        if u < p["a1_absent"]:
            return "absent"
        return "hypoplastic" if u < p["a1_absent"] + p["a1_hypoplastic"] else "normal"

    def pcom_p1():
        if rng.random() < p["fetal"]:
            return "fetal", ("absent" if rng.random() < 0.5 else "hypoplastic")
        return ("normal" if rng.random() < p["pcom"] else "absent"), "normal"

    (r_pcom, r_p1), (l_pcom, l_p1) = pcom_p1(), pcom_p1()
    acom = bool(rng.random() < p["acom"])
    r_a1, l_a1 = a1(), a1()
    if not acom:            # without an Acom an absent A1 would leave an A2 unfed: keep both A1s
        r_a1, l_a1 = (x if x != "absent" else "hypoplastic" for x in (r_a1, l_a1))
    if r_a1 == l_a1 == "absent":
        l_a1 = "normal"
    return Variant(r_a1=r_a1, l_a1=l_a1, acom=acom, third_a2=bool(acom and rng.random() < p["third_a2"]),
                   r_pcom=r_pcom, l_pcom=l_pcom, r_p1=r_p1, l_p1=l_p1)
