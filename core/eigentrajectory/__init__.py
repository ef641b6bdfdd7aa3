"""EigenTrajectory (Bae, Oh, Jeon, "EigenTrajectory: Low-Rank Descriptors for Multi-Modal Trajectory
Forecasting", ICCV 2023, arXiv 2307.09306) at teaching scale, without Streamlit.

* ``crowd``: a social-force crowd simulator (the stand-in for ETH/UCY, which can't be downloaded here);
* ``tracks``: ETH/UCY text files (frame, agent id, x, y) and the 8 + 12 frame Social-GAN windows;
* ``descriptors``: the normaliser (Sec. 3.2: origin at the last observed point, heading along +x), the ET
  descriptor (truncated SVD of the normalised trajectories, Eq. 1-3) and the Bezier / B-spline descriptors of
  the paper's reconstruction study (Fig. 2);
* ``forecast``: anchors (k-means in ET space), the anchor-refinement forecaster with its winner-takes-all
  loss (Sec. 3.3-3.4), constant-velocity / no-anchor baselines and best-of-S metrics;
* ``data`` (here): the simulated training and held-out scenes and the shipped assets' paths.
"""
from core.eigentrajectory.crowd import DENSITIES, CrowdConfig, simulate
from core.eigentrajectory.descriptors import (BezierDescriptor, BSplineDescriptor, ETDescriptor, Normaliser,
                                              descriptor_study, reconstruction_error)
from core.eigentrajectory.tracks import (OBS_LEN, PRED_LEN, TrackFormatError, Windows, make_windows,
                                         read_tracks, write_tracks)
from core.eigentrajectory.forecast import (Anchors, ETForecaster, Samples, anchor_futures, best_of,
                                           constant_velocity, fit_anchors, predict, prepare, rank_k_oracle,
                                           train_forecaster)
from core.eigentrajectory.data import (ASSET_DIR, HELDOUT_SCENES, K_OPTIONS, ANCHOR_OPTIONS, TRAIN_SCENES,
                                       concat_windows, load_forecasters, load_train_tracks, scene_windows)

__all__ = ["DENSITIES", "CrowdConfig", "simulate", "BezierDescriptor", "BSplineDescriptor", "ETDescriptor",
           "Normaliser", "descriptor_study", "reconstruction_error", "OBS_LEN", "PRED_LEN", "TrackFormatError",
           "Windows", "make_windows", "read_tracks", "write_tracks", "ASSET_DIR", "HELDOUT_SCENES", "K_OPTIONS",
           "ANCHOR_OPTIONS", "TRAIN_SCENES", "concat_windows", "load_forecasters", "load_train_tracks",
           "scene_windows", "Anchors", "ETForecaster", "Samples", "anchor_futures", "best_of",
           "constant_velocity", "fit_anchors", "predict", "prepare", "rank_k_oracle", "train_forecaster"]
