"""core/topcow against hand-built volumes with known answers, the official rules, and the phantom's anatomy."""
import gzip

import nibabel as nib
import numpy as np
import pytest
from scipy import ndimage

from core import topcow as tc
from core.topcow import cohort, degrade, nifti
from core.topcow.mesh import error_points, error_projection, label_meshes

SP = (0.4, 0.4, 0.4)


def box(shape=(20, 20, 20), lo=(5, 5, 5), hi=(10, 10, 10), value=1):
    a = np.zeros(shape, np.uint8)
    a[tuple(slice(l, h) for l, h in zip(lo, hi))] = value
    return a


def tube(shape=(40, 12, 12), label=1, gap=None):
    """A straight 3x3-voxel tube along x, optionally with a gap [gap[0], gap[1])."""
    a = np.zeros(shape, np.uint8)
    a[2:-2, 5:8, 5:8] = label
    if gap:
        a[gap[0]:gap[1]] = 0
    return a


@pytest.fixture(scope="module")
def complete():
    return tc.make_phantom("complete", seed=0, spacing=SP)


# ----------------------------------------------------------------------------- metrics on known volumes

def test_identical_volumes_score_perfectly(complete):
    r = tc.evaluate_case(complete.labels, complete.labels, SP)
    assert r["ClsAvgDice"] == 1 and r["Dice_MergedBin"] == 1 and r["clDice"] == 1
    assert r["ClsAvgHD95"] == 0 and r["ClsAvgHD"] == 0 and r["ClsAvgB0err"] == 0
    assert r["Dice_ClsAvgDice"] == r["ClsAvgDice"] and r["HD95_ClsAvgHD95"] == r["ClsAvgHD95"]
    assert r["detection"] == {8: "TP", 9: "TP", 10: "TP", 15: "TN"}
    assert r["topology_match"] == {"anterior": True, "posterior": True}
    assert r["graph"]["anterior"]["gt_graph"] == r["graph"]["anterior"]["pred_graph"] == [1, 1, 0, 1]
    assert {f"Dice_{n}" for n in tc.LABELS.values() if n != "3rd-A2"} <= set(r)


def test_dice_and_iou_count_voxels():
    a, b = box(lo=(0, 0, 0), hi=(4, 5, 5)), box(lo=(2, 0, 0), hi=(6, 5, 5))   # 100 voxels each, 50 shared
    assert tc.dice(a > 0, b > 0) == pytest.approx(0.5)
    assert tc.iou(a > 0, b > 0) == pytest.approx(50 / 150)


def test_two_disjoint_blobs_give_betti0_error_one():
    one = box()
    two = one.copy()
    two[14:17, 14:17, 14:17] = 1
    assert tc.betti0(one > 0) == 1 and tc.betti0(two > 0) == 2
    assert tc.evaluate_case(two, one, SP)["B0err_BA"] == 1


def test_betti0_uses_26_connectivity():
    a = np.zeros((5, 5, 5), bool)
    a[1, 1, 1] = a[2, 2, 2] = True      # touching only at a corner
    assert tc.betti0(a) == 1


def test_betti_numbers_of_a_ring_and_a_hollow_cube():
    ring = np.zeros((12, 12, 5), bool)
    ring[2:10, 2:10, 1:4] = True
    ring[4:8, 4:8, :] = False
    assert tc.betti_numbers(ring) == (1, 1, 0)
    shell = box((9, 9, 9), (1, 1, 1), (8, 8, 8)) > 0
    shell[3:6, 3:6, 3:6] = False
    assert tc.betti_numbers(shell) == (1, 0, 1)


def test_broken_tube_lowers_cldice_but_not_much_dice():
    gt, pred = tube(), tube(gap=(19, 21))
    r = tc.evaluate_case(pred, gt, (1, 1, 1))
    assert tc.cl_dice(gt, gt) == 1
    assert 0.9 < r["clDice"] < 1 and r["ClsAvgDice"] > 0.9 and r["ClsAvgB0err"] == 1


def test_hausdorff_of_a_shifted_cube_with_anisotropic_spacing():
    a = box(lo=(5, 5, 5), hi=(10, 10, 10)) > 0
    b = box(lo=(7, 5, 5), hi=(12, 10, 10)) > 0
    hd95, hd = tc.hausdorff(a, b, (0.5, 1.0, 2.0))
    assert hd == pytest.approx(1.0)          # 2 voxels along x at 0.5 mm
    assert 0 < hd95 <= hd


def test_hausdorff_matches_a_distance_map_reference():
    """The k-d tree directed distances equal sampling a Euclidean distance map of the other surface
    (the official SignedMaurerDistanceMap route), percentile by percentile."""
    rng = np.random.default_rng(3)
    spacing = (0.3, 0.3, 0.6)
    a = ndimage.gaussian_filter(rng.random((30, 28, 20)), 2) > 0.5
    b = ndimage.gaussian_filter(rng.random((30, 28, 20)), 2) > 0.5
    n26 = np.ones((3, 3, 3))
    pad = [np.pad(m, 1) for m in (a, b)]
    sa, sb = [m & ~ndimage.binary_erosion(m, n26) for m in pad]
    d_ab = ndimage.distance_transform_edt(~sb, sampling=spacing)[sa]
    d_ba = ndimage.distance_transform_edt(~sa, sampling=spacing)[sb]
    hd95, hd = tc.hausdorff(a, b, spacing)
    assert hd95 == pytest.approx(max(np.percentile(d_ab, 95), np.percentile(d_ba, 95)), abs=1e-9)
    assert hd == pytest.approx(max(d_ab.max(), d_ba.max()), abs=1e-9)


def test_class_present_on_one_side_only():
    gt = box(value=4)
    pred = gt.copy()
    pred[15:18, 15:18, 15:18] = 8           # a spurious R-Pcom: scored in the union of labels
    r = tc.evaluate_case(pred, gt, SP)
    assert r["Dice_R-Pcom"] == 0 and r["HD95_R-Pcom"] == 90 and r["HD_R-Pcom"] == 90 and r["B0err_R-Pcom"] == 1
    assert r["ClsAvgDice"] == pytest.approx(0.5) and r["ClsAvgHD95"] == pytest.approx(45)
    assert "Dice_BA" not in r               # absent from both: not scored
    assert r["detection"][8] == "FP"


def test_two_empty_volumes_score_zero_not_one():
    empty = np.zeros((6, 6, 6), np.uint8)
    r = tc.evaluate_case(empty, empty, SP)
    for key in ("ClsAvgDice", "ClsAvgB0err", "ClsAvgHD95", "ClsAvgHD", "Dice_MergedBin", "HD95_MergedBin"):
        assert r[key] == 0
    assert r["clDice"] == 0 and r["detection"] == {8: "TN", 9: "TN", 10: "TN", 15: "TN"}


def test_detection_at_exactly_the_threshold_is_tp():
    gt = np.zeros((20, 5, 5), np.uint8)
    gt[0:4, 2, 2] = 10
    pred = np.zeros_like(gt)
    pred[3:7, 2, 2] = 10                                  # IoU = 1/7 -> FN
    assert tc.detection(pred, gt)[10] == "FN"
    pred[:] = 0
    pred[2:6, 2, 2] = 10                                  # IoU = 2/6 -> TP
    assert tc.detection(pred, gt)[10] == "TP"
    pred[:] = 0
    pred[0:1, 2, 2] = 10                                  # IoU = 1/4, exactly 0.25 -> TP
    assert tc.detection(pred, gt)[10] == "TP"
    assert tc.detection(np.zeros_like(gt), gt)[10] == "FN"


def test_edge_list_on_a_hand_built_anterior():
    a = np.zeros((12, 6, 6), np.uint8)
    a[0:3, 2, 2] = 4        # R-ICA
    a[3:6, 3, 3] = 11       # R-ACA, touching R-ICA diagonally (26-neighbourhood)
    a[6:8, 3, 3] = 10       # Acom
    a[8:10, 3, 3] = 12      # L-ACA, no L-ICA at all
    assert tc.edge_list(a) == ([0, 1, 0, 1], [0, 0, 0, 0])
    assert tc.neighbours(a, 10) == [11, 12]
    assert tc.variant_class([0, 1, 0, 1], "Ant") == "Var_Ant_0_1_0_1"


def test_lr_swap_is_caught_by_the_flip_test(complete):
    swapped = degrade.swap_left_right(complete.labels)
    assert not tc.lr_flipped(complete.labels, "anterior") and not tc.lr_flipped(complete.labels, "posterior")
    assert tc.lr_flipped(swapped, "anterior") and tc.lr_flipped(swapped, "posterior")
    r = tc.evaluate_case(swapped, complete.labels, SP)
    assert r["topology_match"] == {"anterior": False, "posterior": False}
    assert r["graph"]["posterior"]["pred_graph"] == r["graph"]["posterior"]["gt_graph"]   # graph is blind to it
    assert np.array_equal(degrade.swap_left_right(swapped), complete.labels)


def test_a_gap_in_a_pcom_keeps_dice_but_fails_topology(complete):
    pred = degrade.break_vessel(complete.labels, 9, SP, gap_mm=1.0)
    r = tc.evaluate_case(pred, complete.labels, SP)
    assert tc.betti0(pred == 9) == 2 and r["B0err_L-Pcom"] == 1
    assert r["ClsAvgDice"] > 0.98 and r["clDice"] < 1
    assert r["topology_match"] == {"anterior": True, "posterior": False}


def test_degradations_do_what_they_say(complete):
    gt = complete.labels
    assert not (degrade.drop_label(gt, 8) == 8).any()
    merged = degrade.merge_labels(gt, 8, 2)
    assert not (merged == 8).any() and (merged == 2).sum() == (gt == 2).sum() + (gt == 8).sum()
    spur = degrade.add_spur(gt, 10, SP, spur_label=15, length_mm=5)
    assert (spur == 15).any() and np.array_equal(spur[gt > 0], gt[gt > 0])   # paints background only
    assert tc.evaluate_case(spur, gt, SP)["detection"][15] == "FP"
    assert (degrade.erode(gt) > 0).sum() < (gt > 0).sum() < (degrade.dilate(gt) > 0).sum()
    for failure in degrade.FAILURES:
        assert degrade.simulate_prediction(gt, SP, failure).shape == gt.shape
    assert np.array_equal(gt, complete.labels)          # inputs untouched


# ----------------------------------------------------------------------------- the phantom

@pytest.mark.parametrize("name", list(tc.VARIANTS))
def test_each_variant_has_its_official_edge_list_and_one_piece_per_label(name):
    ph = tc.make_phantom(name, seed=1, spacing=SP, with_image=False)
    expected = tc.VARIANTS[name][1]
    assert tc.edge_list(ph.labels) == (list(expected[0]), list(expected[1]))
    present = tc.present_labels(ph.labels)
    assert set(present) <= set(tc.VESSEL_IDS)
    assert all(tc.betti0(ph.labels == label) == 1 for label in present)


def test_missing_pcom_has_no_voxel_and_one_edge_fewer():
    full = tc.make_phantom("complete", seed=2, spacing=SP, with_image=False).labels
    missing = tc.make_phantom("L-Pcom absent", seed=2, spacing=SP, with_image=False).labels
    assert (full == 9).any() and not (missing == 9).any()
    assert sum(tc.edge_list(full)[1]) - sum(tc.edge_list(missing)[1]) == 1
    assert 15 not in tc.present_labels(full) and 15 in tc.present_labels(
        tc.make_phantom("3rd-A2", seed=2, spacing=SP, with_image=False).labels)


def test_left_vessels_sit_at_larger_x(complete):
    xs = {label: np.median(np.nonzero(complete.labels == label)[0]) for label in (4, 6, 2, 3)}
    assert xs[6] > xs[4] and xs[3] > xs[2]


def test_phantom_grid_spacing_and_affine():
    ph = tc.make_phantom("complete", seed=0, spacing=(0.3, 0.3, 0.6))
    assert ph.labels.shape == ph.image.shape == (147, 120, 37)       # the 44 x 36 x 22 mm ROI
    assert ph.labels.dtype == np.uint8 and ph.image.dtype == np.float32
    assert nib.aff2axcodes(ph.affine) == ("L", "P", "S")
    np.testing.assert_allclose(np.abs(np.diag(ph.affine))[:3], (0.3, 0.3, 0.6))
    inside, outside = ph.image[ph.labels > 0].mean(), ph.image[ph.sdf > 1.5].mean()
    assert inside > 2 * outside                          # TOF-MRA: bright vessels


def test_random_variants_stay_clean_on_the_cohort_grid():
    rng = np.random.default_rng(5)
    for _ in range(12):
        v = tc.sample_variant(rng)
        labels = tc.make_phantom(v, seed=int(rng.integers(99)), spacing=(0.6, 0.6, 0.6), with_image=False).labels
        assert all(tc.betti0(labels == label) == 1 for label in tc.present_labels(labels)), v


# ----------------------------------------------------------------------------- NIfTI

def test_nifti_round_trip_with_non_unit_spacing(complete):
    affine = tc.lps_affine((10, 8, 6), (0.3, 0.45, 0.7))
    labels = np.random.default_rng(0).choice([0, 1, 15], size=(10, 8, 6)).astype(np.uint8)
    vol = nifti.as_labels(nifti.read(nifti.to_bytes(labels, affine)))
    assert np.array_equal(vol.data, labels) and vol.note == ""
    np.testing.assert_allclose(vol.spacing, (0.3, 0.45, 0.7))
    np.testing.assert_allclose(vol.affine, affine)
    image = nifti.as_image(nifti.read(nifti.image_bytes(complete.image, complete.affine)))
    assert np.abs(image.data - complete.image).max() <= 0.5


def test_a_ras_file_is_reoriented_to_lps():
    labels = np.zeros((6, 5, 4), np.uint8)
    labels[0, 0, 0] = 6                                   # LPS index (0,0,0) = most right, anterior
    ras = labels[::-1, ::-1]                              # the same anatomy stored RAS
    affine = np.diag([0.5, 0.5, 0.8, 1.0])
    img = nib.Nifti1Image(ras, affine)
    vol = nifti.read(gzip.compress(img.to_bytes()))
    assert np.array_equal(vol.data, labels) and "reoriented" in vol.note
    assert nib.aff2axcodes(vol.affine) == ("L", "P", "S")


@pytest.mark.parametrize("data,message", [
    (b"hello, this is not a scan", "not a NIfTI"),
    (b"\x1f\x8b\x08\x00garbage", "truncated"),   # a gzip header, then the stream stops
    (b"", "empty"),
])
def test_bad_bytes_get_clear_messages(data, message):
    with pytest.raises(nifti.UploadError, match=message):
        nifti.read(data)


def test_bad_volumes_get_clear_messages():
    affine = np.eye(4)
    flat = nib.Nifti1Image(np.zeros((10, 10), np.uint8), affine).to_bytes()
    with pytest.raises(nifti.UploadError, match="3D volume"):
        nifti.read(flat)
    series = nib.Nifti1Image(np.zeros((4, 4, 4, 3), np.uint8), affine).to_bytes()
    with pytest.raises(nifti.UploadError, match="3D volume"):
        nifti.read(series)
    big = nifti.to_bytes(np.zeros((20, 20, 20), np.uint8), affine)
    with pytest.raises(nifti.UploadError, match="voxels"):
        nifti.read(big, max_voxels=1000)
    with pytest.raises(nifti.UploadError, match="MB"):
        nifti.read(big, max_bytes=10)
    weird = nifti.read(nifti.to_bytes(np.full((4, 4, 4), 13, np.uint8), affine))
    with pytest.raises(nifti.UploadError, match="13"):
        nifti.as_labels(weird)
    floats = nifti.read(nifti.to_bytes(np.full((4, 4, 4), 0.5, np.float32), affine))
    with pytest.raises(nifti.UploadError, match="non-integer"):
        nifti.as_labels(floats)
    nan = nifti.read(nifti.to_bytes(np.full((4, 4, 4), np.nan, np.float32), affine))
    with pytest.raises(nifti.UploadError, match="NaN"):
        nifti.as_image(nan)
    a, b = (nifti.read(nifti.to_bytes(np.zeros(s, np.uint8), affine)) for s in ((4, 4, 4), (4, 4, 5)))
    with pytest.raises(nifti.UploadError, match="same voxel grid"):
        nifti.same_grid(a, b, "image", "label map")


# ----------------------------------------------------------------------------- aggregation and views

def test_balanced_accuracy_is_mean_recall_over_true_classes():
    """sklearn's balanced_accuracy_score definition: predicted classes absent from y_true (FAIL) only
    lower the recall of the class they replace."""
    y_true = ["a", "a", "a", "a", "b", "c", "c"]
    y_pred = ["a", "a", "a", "FAIL", "a", "c", "FAIL"]
    assert cohort.balanced_accuracy(y_true, y_pred) == pytest.approx((3 / 4 + 0 + 1 / 2) / 3)
    assert cohort.balanced_accuracy(y_true, y_true) == 1


def test_detection_f1_counts_over_cases_and_zero_for_all_tn():
    cases = [{"detection": {8: "TP", 9: "FN", 10: "TN", 15: "TN"}},
             {"detection": {8: "FP", 9: "TP", 10: "TN", 15: "TN"}}]
    det = cohort.detection_scores(cases)
    assert det[8]["f1_score"] == pytest.approx(2 / 3) and det[9]["f1_score"] == pytest.approx(2 / 3)
    assert det[10]["f1_score"] == 0 and det[15]["f1_score"] == 0        # 0/0 -> 0, as the official code
    assert det["f1_mean"] == pytest.approx(1 / 3)


def test_cohort_aggregation_runs_end_to_end():
    cases = cohort.simulate_cohort(4, seed=1, rates=cohort.ModelRates(miss_pcom=1.0, gap=0, false_3rd_a2=0,
                                                                       lr_swap=0, miss_acom=0, thin_power=0.0,
                                                                       rare_factor=1.0))
    summary = cohort.aggregate(cases)
    assert 0 < summary["ClsAvgDice"] <= 1
    assert all(case["detection"][8] in ("FN", "TN") for case in cases)   # every Pcom missed
    assert summary["detection"][8]["f1_score"] == 0
    assert summary["topo_var_bal_acc"]["anterior"] == 1        # nothing else went wrong
    with_pcom = [c for c in cases if 1 in c["graph"]["posterior"]["gt_graph"][::3]]
    assert all(not c["topology_match"]["posterior"] for c in with_pcom)


def test_meshes_and_error_points(complete):
    meshes = label_meshes(complete.labels, SP, step=2)
    assert set(meshes) == set(tc.present_labels(complete.labels))
    verts = np.concatenate([v for v, _ in meshes.values()])
    assert np.all(np.abs(verts) < 30)                    # mm around the grid centre
    pred = degrade.drop_label(complete.labels, 8)
    points = error_points(pred, complete.labels, SP)
    assert set(points) == {"missed (false negative)"}
    assert len(points["missed (false negative)"]) == (complete.labels == 8).sum()


def test_error_projection_codes_each_ray_and_counts_every_voxel():
    gt = tube(gap=None)                                  # a 3x3 tube along x, at y, z in 5..7
    pred = tube(gap=(10, 14))                            # 4 slices missed: 36 voxels
    pred[20, 5, 5] = 2                                   # one voxel with the wrong label
    pred[30, 9, 6] = 1                                   # one extra voxel beside the tube
    codes, counts = error_projection(pred, gt, axis=2)   # seen along z: an (x, y) map
    assert counts == {"missed (false negative)": 36, "extra (false positive)": 1, "wrong label": 1}
    assert codes.shape == (40, 12) and codes.dtype == np.uint8
    assert (codes[10:14, 5:8] == 2).all() and codes[30, 9] == 3 and codes[20, 5] == 4
    assert codes[25, 6] == 1 and codes[25, 0] == 0 and codes[0, 6] == 0      # vessel only; nothing; beyond the tube
    assert error_projection(gt, gt, axis=1)[1] == dict.fromkeys(counts, 0)


def test_betti1_of_the_merged_mask_counts_the_ring():
    ring = tc.make_phantom("complete", seed=0, spacing=SP, with_image=False).labels
    open_ring = tc.make_phantom("no Acom", seed=0, spacing=SP, with_image=False).labels
    assert tc.betti_numbers(ring > 0) == (1, 1, 0) and tc.betti_numbers(open_ring > 0) == (1, 0, 0)
    assert tc.evaluate_case(degrade.drop_label(ring, 10), ring, SP)["B1err_MergedBin"] == 1


def _sitk_image(arr_xyz, spacing):
    sitk = pytest.importorskip("SimpleITK")
    img = sitk.GetImageFromArray(np.ascontiguousarray(arr_xyz.transpose(2, 1, 0)).astype(np.uint8))
    img.SetSpacing(tuple(float(s) for s in spacing))
    return img


def _sitk_hd(gt, pred, label, spacing):
    """HD95 / HD the SimpleITK way the official code takes: 1-voxel padding, fully connected
    LabelContour, |SignedMaurerDistanceMap| of the surface, sampled at the other surface, zeros kept."""
    sitk = pytest.importorskip("SimpleITK")
    g, p = (sitk.ConstantPad(_sitk_image(a, spacing), (1, 1, 1), (1, 1, 1), 0) == label for a in (gt, pred))

    def surface(seg):
        s = sitk.LabelContour(seg, fullyConnected=True)
        return sitk.Abs(sitk.SignedMaurerDistanceMap(s, squaredDistance=False, useImageSpacing=True)), s

    (dg, sg), (dp, sp) = surface(g), surface(p)
    to_p = sitk.GetArrayFromImage(dp)[sitk.GetArrayFromImage(sg) > 0]
    to_g = sitk.GetArrayFromImage(dg)[sitk.GetArrayFromImage(sp) > 0]
    return max(np.percentile(to_p, 95), np.percentile(to_g, 95)), max(to_p.max(), to_g.max())


@pytest.mark.parametrize("failure", ["gap in a vessel", "one voxel thicker"])
def test_overlap_and_distances_agree_with_simpleitk(failure):
    """Cross-check against the official backend (optional: skipped without SimpleITK)."""
    sitk = pytest.importorskip("SimpleITK")
    spacing = (0.45, 0.45, 0.7)
    gt = tc.make_phantom("complete", seed=0, spacing=spacing, with_image=False).labels
    pred = degrade.simulate_prediction(gt, spacing, failure, vessel=5)
    overlap = sitk.LabelOverlapMeasuresImageFilter()
    overlap.Execute(_sitk_image(gt, spacing), _sitk_image(pred, spacing))
    for label in tc.present_labels(gt, pred):
        if not ((gt == label).any() and (pred == label).any()):
            continue
        assert tc.dice(pred == label, gt == label) == pytest.approx(overlap.GetDiceCoefficient(label), abs=1e-12)
        assert tc.iou(pred == label, gt == label) == pytest.approx(overlap.GetJaccardCoefficient(label), abs=1e-12)
        ours, ref = tc.hausdorff(pred == label, gt == label, spacing), _sitk_hd(gt, pred, label, spacing)
        np.testing.assert_allclose(ours, ref, atol=2e-5)          # ITK distance maps are float32


def test_cldice_on_the_crop_equals_the_definition_on_the_full_volume(complete):
    from skimage.morphology import skeletonize
    gt = complete.labels
    pred = degrade.break_vessel(gt, 5, SP, gap_mm=2.0)
    g, p = gt > 0, pred > 0
    tprec = (skeletonize(p) & g).sum() / skeletonize(p).sum()
    tsens = (skeletonize(g) & p).sum() / skeletonize(g).sum()
    expected = 2 * tprec * tsens / (tprec + tsens)
    assert expected < 1 and tc.cl_dice(pred, gt) == pytest.approx(expected, abs=1e-12)
