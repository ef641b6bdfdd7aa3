"""The TopCoW page through AppTest: defaults, a changed control, URL state, uploads good and bad, the cohort."""
import json

import nibabel as nib
import numpy as np
import pytest

from core import topcow as tc
from core.topcow import degrade, nifti

from pages_harness import chart_titles, metric, open_page  # noqa: E402

PAGE = "pages/topcow.py"
UPLOADS = dict(source="my NIfTI files")


@pytest.fixture(scope="module")
def small_case():
    """A coarse phantom's labels and image as .nii.gz bytes, plus a prediction with a broken Pcom."""
    ph = tc.make_phantom("complete", seed=3, spacing=(0.6, 0.6, 0.6))
    pred = degrade.break_vessel(ph.labels, 8, ph.spacing, gap_mm=1.5)
    return dict(labels=nifti.to_bytes(ph.labels, ph.affine), image=nifti.image_bytes(ph.image, ph.affine),
                pred=nifti.to_bytes(pred, ph.affine), affine=ph.affine, shape=ph.labels.shape)


def uploader(at, key):
    return next(u for u in at.file_uploader if u.key == f"up_{key}")


def test_defaults_show_the_cow_and_a_topology_failure_that_dice_misses():
    at = open_page(PAGE)
    titles = chart_titles(at)
    for title in ("one surface per label", "Maximum-intensity projections", "Where the prediction is wrong",
                  "Per-class scores of this prediction"):
        assert any(title in t for t in titles), title
    assert metric(at, "anterior graph") == "1 1 0 1" and metric(at, "posterior graph") == "1 1 1 1"
    assert float(metric(at, "class-average Dice")) > 0.98       # a 1 mm gap in the L-Pcom ...
    assert metric(at, "anterior topology") == "match"
    assert metric(at, "posterior topology") == "FAIL"            # ... breaks the posterior topology
    assert [e.label for e in at.expander][:3] == ["What the paper shows", "Try this",
                                                  "What differs from the paper here"]
    assert len(at.get("image")) == 3                             # the three slice viewers
    assert len(at.get("download_button")) >= 6                  # CSVs + the two NIfTI downloads
    assert not at.warning and not at.error


def test_errors_are_projections_by_default_and_3d_on_the_toggle():
    at = open_page(PAGE)
    traces = lambda: [t["type"] for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]]  # noqa: E731
    assert traces().count("heatmap") == 4 and "scatter3d" not in traces()   # two MIPs, two error projections
    assert any("missed (false negative): " in t.get("name", "") for c in at.get("plotly_chart")
               for t in json.loads(c.proto.spec)["data"])                   # the legend counts the voxels
    at.toggle(key="errors_3d").set_value(True).run()
    assert not at.exception and "scatter3d" in traces()
    assert any("Where the prediction is wrong" in t for t in chart_titles(at))


def test_left_right_swap_keeps_cldice_but_fails_both_matches():
    at = open_page(PAGE)
    at.radio(key="failure").set_value("left-right swap").run()
    assert not at.exception
    assert metric(at, "anterior topology") == metric(at, "posterior topology") == "FAIL"
    assert float(metric(at, "clDice")) == 1.0 and float(metric(at, "class-average Dice")) < 0.5


def test_query_params_pick_the_variant_and_grid():
    at = open_page(PAGE, variant="no Pcoms", grid="coarse 0.6", failure="Pcom missed", seed="4")
    assert at.radio(key="variant").value == "no Pcoms" and at.slider(key="seed").value == 4
    assert metric(at, "posterior graph") == "0 1 1 0"
    assert metric(at, "R-Pcom detection") == "TN"              # nothing to miss
    assert metric(at, "posterior topology") == "match"
    assert not at.warning


def test_bad_query_param_falls_back_with_a_note():
    at = open_page(PAGE, variant="heart")
    assert any("variant=heart" in w.value for w in at.warning)
    assert metric(at, "anterior graph") == "1 1 0 1"


def test_slice_slider_moves_the_view():
    at = open_page(PAGE, sz="10")
    assert at.slider(key="sz").value == 10
    at.slider(key="sx").set_value(80).run()
    assert not at.exception and len(at.get("image")) == 3


def test_uploads_start_empty_then_score_a_prediction(small_case):
    at = open_page(PAGE, **UPLOADS)
    assert any("Upload at least" in i.value for i in at.info)
    uploader(at, "labels").set_value(("gt.nii.gz", small_case["labels"], "application/gzip"))
    uploader(at, "image").set_value(("mra.nii.gz", small_case["image"], "application/gzip"))
    uploader(at, "pred").set_value(("pred.nii.gz", small_case["pred"], "application/gzip"))
    at.run()
    assert not at.exception and not at.error
    assert metric(at, "posterior topology") == "FAIL"
    assert metric(at, "R-Pcom detection") == "TP"                # the broken R-Pcom is still detected
    assert any("Where the prediction is wrong" in t for t in chart_titles(at))


def test_bad_uploads_get_clear_messages(small_case):
    at = open_page(PAGE, **UPLOADS)
    bad = [(b"not a scan at all", "not a NIfTI"),
           (nib.Nifti1Image(np.zeros((30, 30), np.uint8), np.eye(4)).to_bytes(), "3D volume"),
           (nifti.to_bytes(np.full(small_case["shape"], 200, np.uint8), small_case["affine"]), "does not use: 200"),
           (nifti.to_bytes(np.zeros((300, 300, 300), np.uint8), np.eye(4)), "Crop it")]   # 27 M voxels, 30 kB
    for data, message in bad:
        uploader(at, "labels").set_value(("labels.nii.gz", data, "application/gzip")).run()
        assert not at.exception
        assert any(message in e.value for e in at.error), [e.value for e in at.error]
    other = nifti.to_bytes(np.zeros((10, 10, 10), np.float32), np.eye(4))
    uploader(at, "labels").set_value(("gt.nii.gz", small_case["labels"], "application/gzip"))
    uploader(at, "image").set_value(("mra.nii.gz", other, "application/gzip")).run()
    assert any("same voxel grid" in e.value for e in at.error)
    uploader(at, "image").set_value(None)
    uploader(at, "labels").set_value(None)
    uploader(at, "pred").set_value(("pred.nii.gz", small_case["pred"], "application/gzip")).run()
    assert any("needs a ground-truth label map" in e.value for e in at.error)


def test_cohort_runs_on_request():
    at = open_page(PAGE, cases="10")
    assert not any("detection F1" in m.label for m in at.metric)   # nothing heavy ran by itself
    next(b for b in at.button if b.label.startswith("Score a simulated test set")).click().run()
    assert not at.exception
    assert 0 <= float(metric(at, "detection F1 (mean of 4)")) <= 1
    assert any("variant-balanced accuracy over the test set" in t for t in chart_titles(at))


def test_cohort_states_plain_against_balanced():
    at = open_page(PAGE, cases="12")
    button = [b for b in at.button if b.label.startswith("Score a simulated test set")]
    if button:  # absent when this cohort is already in the process-wide store
        button[0].click().run()
    assert not at.exception
    assert any("variant-balanced" in m.value and "plain" in m.value for m in at.markdown)
    assert any("rare variants" in str(c.value) for c in at.caption)
