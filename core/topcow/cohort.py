"""Test-set aggregation of the case reports, and a simulated cohort to aggregate.

The official aggregation (``topcow24_eval/aggregate``): means of the per-case numbers; detection F1 per
Group-2 label from TP / FP / FN counted over all cases (any 0/0 precision, recall or F1 is 0) and their
mean over the 4 labels; variant-balanced accuracy of the graph classes and of the topology match
(y_pred = the gt class when matched, else "FAIL"). Balanced accuracy = mean recall over the classes
present in y_true (sklearn's ``balanced_accuracy_score``, as the official code calls it; written out
here because importing scikit-learn costs ~2 s; checked against it during development).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .anatomy import GROUP2_LABELS, LABELS, sample_variant
from .degrade import add_spur, break_vessel, drop_label, swap_left_right
from .metrics import evaluate_case, variant_class
from .phantom import make_phantom

REGIONS = {"anterior": "Ant", "posterior": "Pos"}


def balanced_accuracy(y_true, y_pred) -> float:
    """Mean over the classes of y_true of the fraction of their cases predicted right."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean([np.mean(y_pred[y_true == c] == c) for c in np.unique(y_true)]))


def detection_scores(cases: list[dict]) -> dict:
    """Per Group-2 label: counts, precision, recall, F1 over the cases; and the mean F1."""
    out = {}
    for label in GROUP2_LABELS:
        counts = {k: sum(case["detection"][label] == k for case in cases) for k in ("TP", "FP", "FN", "TN")}
        tp, fp, fn = counts["TP"], counts["FP"], counts["FN"]
        out[label] = dict(label=LABELS[label], **counts,
                          precision=tp / (tp + fp) if tp + fp else 0.0,
                          recall=tp / (tp + fn) if tp + fn else 0.0,
                          f1_score=2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    out["f1_mean"] = float(np.mean([out[label]["f1_score"] for label in GROUP2_LABELS]))
    return out


def graph_accuracy(cases: list[dict]) -> dict:
    """Variant-balanced (and plain) accuracy of the predicted graph classes, per region."""
    out = {}
    for region, short in REGIONS.items():
        y_true = [variant_class(c["graph"][region]["gt_graph"], short) for c in cases]
        y_pred = [variant_class(c["graph"][region]["pred_graph"], short) for c in cases]
        out[region] = balanced_accuracy(y_true, y_pred)
        out[f"{region}_plain"] = float(np.mean(np.array(y_true) == np.array(y_pred)))
    return out


def topology_accuracy(cases: list[dict]) -> dict:
    """Variant-balanced topology match rate: y_pred is the gt class when matched, else FAIL."""
    out = {}
    for region, short in REGIONS.items():
        y_true = [variant_class(c["graph"][region]["gt_graph"], short) for c in cases]
        y_pred = [t if c["topology_match"][region] else "FAIL" for t, c in zip(y_true, cases)]
        out[region] = balanced_accuracy(y_true, y_pred)
        out[f"{region}_plain"] = float(np.mean([c["topology_match"][region] for c in cases]))
    return out


def aggregate(cases: list[dict]) -> dict:
    """Mean of every numeric per-case value (cases lacking a class skipped, as pandas does), plus
    ``detection`` (per-label F1 and ``f1_mean``), ``graph_var_bal_acc`` and ``topo_var_bal_acc``."""
    numeric = sorted({k for c in cases for k, v in c.items() if isinstance(v, (int, float, np.number))})
    out = {k: float(np.mean([c[k] for c in cases if k in c])) for k in numeric}
    out["detection"] = detection_scores(cases)
    out["graph_var_bal_acc"] = graph_accuracy(cases)
    out["topo_var_bal_acc"] = topology_accuracy(cases)
    return out


# ----------------------------------------------------------------------------- a simulated test set

@dataclass(frozen=True)
class ModelRates:
    """How often the simulated model makes each mistake (independently per case)."""
    miss_pcom: float = 0.25      # per Pcom present
    miss_acom: float = 0.1
    gap: float = 0.3             # a gap in one random vessel
    false_3rd_a2: float = 0.1
    lr_swap: float = 0.05


def simulated_model(gt, spacing, rng: np.random.Generator, rates: ModelRates):
    """A prediction with the rates' mistakes drawn at random, and the list of what was done."""
    pred, done = gt, []
    for label in (8, 9):
        if (gt == label).any() and rng.random() < rates.miss_pcom:
            pred, done = drop_label(pred, label), done + [f"missed {LABELS[label]}"]
    if (gt == 10).any() and rng.random() < rates.miss_acom:
        pred, done = drop_label(pred, 10), done + ["missed Acom"]
    if rng.random() < rates.gap:
        label = int(rng.choice([v for v in np.unique(pred) if v]))
        pred = break_vessel(pred, label, spacing, 1.5, where=rng.uniform(0.3, 0.7))
        done += [f"gap in {LABELS[label]}"]
    if (pred == 10).any() and not (gt == 15).any() and rng.random() < rates.false_3rd_a2:
        pred = add_spur(pred, 10, spacing, spur_label=15, length_mm=5.0, radius_mm=0.7, seed=int(rng.integers(1 << 30)))
        done += ["false 3rd-A2"]
    if rng.random() < rates.lr_swap:
        pred, done = swap_left_right(pred), done + ["left-right swap"]
    return pred, done


def simulate_cohort(n: int, seed: int = 0, spacing=(0.6, 0.6, 0.6), rates: ModelRates = ModelRates(),
                    priors: dict | None = None, progress=None) -> list[dict]:
    """n phantoms with variants drawn from the priors, each scored against a simulated model's
    prediction. Each case report gains ``variant`` (the phantom's Variant) and ``mistakes``."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        variant = sample_variant(rng, priors)
        ph = make_phantom(variant, seed=int(rng.integers(1 << 30)), spacing=spacing, with_image=False)
        pred, mistakes = simulated_model(ph.labels, ph.spacing, rng, rates)
        report = evaluate_case(pred, ph.labels, ph.spacing)
        cases.append({**report, "variant": variant, "mistakes": mistakes})
        if progress:
            progress((i + 1) / n)
    return cases
