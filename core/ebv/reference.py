"""The paper's own numbers, copied from the official training logs (aassxun/Equiangular-Basis-Vectors, commit f56ec51)
as summarised in ../shared/papers/ebv.md. Reference only: nothing here is computed by this project, and the page
shows these tables apart from its own runs.
"""
from __future__ import annotations

import pandas as pd

SOURCE = "official training logs (aassxun/Equiangular-Basis-Vectors, commit f56ec51)"

# ImageNet-1K val top-1 ("BEST-TEST-ACC": best epoch on the validation set), ResNet-50 unless noted
IMAGENET = [
    ("EBV d = 1000, SGD, setting 1, 105 ep", "EBV", 78.73),
    ("EBV d = 1000, SGD, setting 2 (+ cutmix/mixup etc.), 105 ep", "EBV", 78.99),
    ("EBV d = 1000, SGD, 605 ep", "EBV", 80.45),
    ("EBV d = 1000, AdamW, setting 1", "EBV", 77.14),
    ("EBV d = 1000, AdamW, setting 2", "EBV", 77.52),
    ("FC + softmax, AdamW, setting 1, lr 1e-3", "FC", 73.79),
    ("FC + softmax, AdamW, setting 1, lr 1e-2", "FC", 74.03),
    ("FC + softmax, AdamW, setting 2", "FC", 76.48),
    ("Swin-T, EBV, AdamW setting 2", "EBV", 79.34),
    ("Swin-T, FC, AdamW setting 2", "FC", 79.12),
    ("Swin-T, FC, AdamW setting 1", "FC", 75.64),
]

# the dimension sweep: N = 1000 ImageNet classes, 105 epochs, SGD
DIM_SWEEP = [(100, 76.83), (200, 77.83), (300, 78.08), (400, 78.38), (500, 78.34), (1000, 78.73), (2000, 78.58)]

# the official EBV files (N = 1000): d, max |cos|, mean |cos| measured on the shipped pickles
OFFICIAL_EBVS = [(100, 0.1350, 0.0844), (200, 0.0800, 0.0587), (300, 0.0580, 0.0461), (400, 0.0440, 0.0381),
                 (500, 0.0350, 0.0318), (1000, 0.00040, 0.00017)]

DOWNSTREAM = [
    ("COCO Mask R-CNN R-50-FPN 1x", "bbox / segm mAP", "38.3 / 35.2"),
    ("COCO Mask R-CNN R-50-FPN 3x", "bbox / segm mAP", "41.1 / 37.7"),
    ("COCO Mask R-CNN Swin-T 1x", "bbox / segm mAP", "42.8 / 39.4"),
    ("ADE20K UperNet R-18 160k", "mIoU", "39.75"),
    ("ADE20K UperNet R-50 80k / 160k", "mIoU", "42.73 / 42.44"),
    ("ADE20K UperNet Swin-T 160k", "mIoU", "44.59"),
]


def imagenet_table() -> pd.DataFrame:
    return pd.DataFrame(IMAGENET, columns=["run (ResNet-50 unless noted)", "head", "ImageNet-1K top-1 %"])


def dim_sweep_table() -> pd.DataFrame:
    return pd.DataFrame(DIM_SWEEP, columns=["d", "ImageNet-1K top-1 %"])


def downstream_table() -> pd.DataFrame:
    return pd.DataFrame(DOWNSTREAM, columns=["task (EBV heads)", "metric", "value"])


def official_ebv_table() -> pd.DataFrame:
    from core.ebv.generate import welch_bound
    return pd.DataFrame([(d, mx, mean, round(welch_bound(1000, d), 4)) for d, mx, mean in OFFICIAL_EBVS],
                        columns=["d (N = 1000)", "max |cos|", "mean |cos|", "Welch bound"])
