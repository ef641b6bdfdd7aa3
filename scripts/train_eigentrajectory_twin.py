"""Train the Euclidean twin of the shipped EigenTrajectory forecaster and score every method on the held-out set.

    nice -n 10 python scripts/train_eigentrajectory_twin.py [--cells k6_s20 k4_s20 ...] [--quick]

The twin is the shipped predictor's network body, loss (winner-takes-all), data, epochs, batch, lr and seed
(scripts/train_eigentrajectory.py), with 24 outputs per sample (the future's coordinates) instead of k ET
coefficients (core/eigentrajectory/twin.py). Writes assets/eigentrajectory/euclidean_twin.pt (fp16) and
twin_metrics.json: per cell, minADE / minFDE and the collision rate of ET + anchors, ET without anchors, the
twin, single constant velocity and best-of-S noisy constant velocity (noise tuned on the training samples),
and the true futures' collision rate. About 15-30 s of CPU per cell on one thread.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.eigentrajectory import data, forecast as fc, twin  # noqa: E402
from scripts.train_eigentrajectory import BATCH, EPOCHS, LR, SEED, half  # noqa: E402


def score(samples, futures: dict) -> dict:
    out = {}
    for name, pred in futures.items():
        ade, fde = fc.best_of(pred, samples.future)
        out[name] = {"minADE": round(float(ade.mean()), 4), "minFDE": round(float(fde.mean()), 4),
                     "samples": int(pred.shape[1]), "collision_rate": round(twin.collision_rate(samples, pred), 4)}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", nargs="+", default=["k6_s20"], help="k<k>_s<anchors> cells of forecasters.pt")
    ap.add_argument("--quick", action="store_true", help="2 epochs, 3 held-out scenes, into /tmp")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    cpu0 = time.process_time()
    train = fc.prepare(data.scene_windows(data.load_train_tracks()))
    heldout = fc.prepare(data.scene_windows(data.scene_tracks(data.HELDOUT_SCENES[:3] if args.quick
                                                                else data.HELDOUT_SCENES)))
    shipped = data.load_forecasters()
    U_obs, U_pred = shipped["U_obs"].double().numpy(), shipped["U_pred"].double().numpy()
    out_dir = Path("/tmp/eigentrajectory_twin") if args.quick else data.ASSET_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    results, weights = {"epochs": EPOCHS, "batch": BATCH, "lr": LR, "seed": SEED, "cells": {}}, {}
    for key in args.cells:
        start = time.process_time()
        cell = shipped["cells"][key]
        k, S = cell["anchors"].shape[1], cell["anchors"].shape[0]
        model, curve = twin.train_euclidean_twin(train, U_obs, k, S, epochs=2 if args.quick else EPOCHS,
                                                 batch=BATCH, lr=LR, seed=SEED)
        weights[key] = half(model.state_dict())
        heading, speed = twin.tune_noise(fc.select(train, np.arange(0, len(train.obs), 5)), S)
        nets = {name: fc.ETForecaster.from_state(cell[name]) for name in ("et", "free")}
        futures = {"ET + anchors (trained)": fc.predict(nets["et"], heldout, U_obs, U_pred)[0],
                   "ET, no anchors (trained)": fc.predict(nets["free"], heldout, U_obs, U_pred)[0],
                   "Euclidean twin (trained)": fc.predict(fc.ETForecaster.from_state(weights[key]), heldout, U_obs,
                                                          twin.euclidean_basis())[0],
                   "constant velocity": fc.constant_velocity(heldout.obs),
                   f"noisy constant velocity, best of {S}": twin.noisy_constant_velocity(heldout.obs, S, heading, speed)}
        results["cells"][key] = {"k": k, "anchors": S, "metrics": score(heldout, futures),
                                 "true_future_collision_rate": round(twin.ground_truth_collision_rate(heldout), 4),
                                 "noise": {"heading_rad": heading, "speed": speed},
                                 "twin_loss_curve": [round(v, 4) for v in curve],
                                 "cpu_seconds": round(time.process_time() - start, 1)}
        print(key, json.dumps(results["cells"][key]["metrics"]), flush=True)
    results["heldout_samples"], results["total_cpu_seconds"] = len(heldout.obs), round(time.process_time() - cpu0, 1)
    torch.save(weights, out_dir / "euclidean_twin.pt")
    (out_dir / "twin_metrics.json").write_text(json.dumps(results, indent=1))
    if not args.quick:
        from scripts import manifest
        manifest.record([out_dir / "euclidean_twin.pt", out_dir / "twin_metrics.json"],
                        "scripts/train_eigentrajectory_twin.py", SEED)


if __name__ == "__main__":
    main()
