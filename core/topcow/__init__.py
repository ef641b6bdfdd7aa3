"""TopCoW: "Benchmarking the CoW with the TopCoW Challenge: Topology-Aware Anatomical Segmentation of the
Circle of Willis for CTA and MRA" (Yang et al., arXiv 2312.17670), at teaching scale.

* ``anatomy``: the challenge's 13 labels {1..12, 15}, its constants (HD95 bound 90 mm, IoU 0.25, Group-2,
  anterior / posterior labels) and the Circle-of-Willis geometry and variants.
* ``phantom``: anatomically placed tubes rasterised on a voxel grid, TOF-MRA-like intensities: a
  stand-in for the paper's MRA / CTA data, which cannot be downloaded here.
* ``degrade``: predictions that fail the way the paper reports real models fail (missed or fragmented
  communicating arteries, wrong variant graphs, left/right swaps).
* ``metrics``: the seven Task-1 metrics of TopCoW 2024, as the paper's evaluation and the official code
  (CoWBenchmark/TopCoW_Eval_Metrics, ``topcow24_eval``) define them, and ``evaluate_case``;
  ``cohort``: the test-set aggregation (detection F1, variant-balanced accuracies).
* ``nifti``: NIfTI read / write with the LPS affine, and upload validation.
* ``mesh``: marching-cubes surfaces per label for the 3D view.

Arrays are indexed (x, y, z) in LPS order. Pure numpy / scipy / scikit-image / nibabel; no Streamlit.
"""
from .anatomy import (ANTERIOR_EDGES, ANTERIOR_LABELS, GROUP2_LABELS, HD95_UPPER_BOUND, IOU_THRESHOLD, LABEL_OF,
                      LABELS, MERGED_BIN, POSTERIOR_EDGES, POSTERIOR_LABELS, VARIANTS, VESSEL_IDS, Variant,
                      sample_variant)
from .metrics import (betti0, betti_numbers, cl_dice, class_scores, detection, dice, edge_list, evaluate_case,
                      hausdorff, iou, lr_flipped, neighbours, present_labels, topology, variant_class)
from .phantom import GRIDS, Phantom, grid_shape, lps_affine, make_phantom
