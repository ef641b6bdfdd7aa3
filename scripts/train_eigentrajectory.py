"""Train the EigenTrajectory page's forecasters and precompute their held-out metrics.

Writes (and records in assets/MANIFEST.tsv):
* assets/eigentrajectory/train_tracks.npz   the simulated training scenes (rows frame, agent, x, y; 1 cm)
* assets/eigentrajectory/forecasters.pt     U_obs, U_pred and, per (k, number of anchors), the anchors and
                                            two trained networks: with anchors ("et") and without ("free")
* assets/eigentrajectory/heldout_metrics.json  minADE/minFDE on the held-out scenes for the networks, the
                                            anchors alone, constant velocity and the rank-k oracle; the
                                            training curves and CPU seconds

Run from the repository root: ``nice -n 10 python scripts/train_eigentrajectory.py`` (about 8-10 min of CPU
on one thread). ``--quick`` trains 2 epochs of one cell only into /tmp (a smoke test; assets untouched).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from core.device import seed_everything  # noqa: E402
from core.eigentrajectory import data, forecast as fc  # noqa: E402
from core.eigentrajectory.descriptors import ETDescriptor  # noqa: E402

SEED = 0
EPOCHS = 12
BATCH = 1024
LR = 3e-3


def half(state: dict) -> dict:
    """float16 on disk halves the asset; ETForecaster.from_state casts back to float32."""
    return {name: t.half() for name, t in state.items()}


def heldout_metrics(samples, models, anchors, U_obs, U_pred, k) -> dict:
    """minADE / minFDE (m) of every method on the held-out samples."""
    n = len(samples.obs)
    preds = {name: fc.predict(model, samples, U_obs, U_pred)[0] for name, model in models.items()}
    preds["anchors only"] = fc.anchor_futures(anchors, U_pred, n)
    preds["constant velocity"] = fc.constant_velocity(samples.obs)
    preds["rank-k oracle"] = fc.rank_k_oracle(samples.future, U_pred, k)
    out = {}
    for name, pred in preds.items():
        ade, fde = fc.best_of(pred, samples.future)
        out[name] = {"minADE": round(float(ade.mean()), 4), "minFDE": round(float(fde.mean()), 4),
                     "samples": int(pred.shape[1])}
    return out


def main() -> None:
    quick = "--quick" in sys.argv
    torch.set_num_threads(1)
    seed_everything(SEED)
    out_dir = Path("/tmp/eigentrajectory_quick") if quick else data.ASSET_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    cpu0 = time.process_time()

    scenes = data.TRAIN_SCENES[:3] if quick else data.TRAIN_SCENES
    tracks_file = out_dir / data.TRACKS_FILE.name
    data.save_train_tracks(data.scene_tracks(scenes), tracks_file)
    train = fc.prepare(data.scene_windows(data.load_train_tracks(tracks_file)))   # exactly what ships
    heldout = fc.prepare(data.scene_windows(data.scene_tracks(data.HELDOUT_SCENES[:3] if quick
                                                                else data.HELDOUT_SCENES)))
    U_obs = ETDescriptor(16).fit(train.obs).U
    U_pred = ETDescriptor(24).fit(train.future).U
    print(f"{len(train.obs)} training samples, {len(heldout.obs)} held-out; data {time.process_time() - cpu0:.1f} s "
          "CPU", flush=True)

    cells, metrics = {}, {}
    grid = [(6, 20)] if quick else [(k, s) for k in data.K_OPTIONS for s in data.ANCHOR_OPTIONS]
    for k, n_anchors in grid:
        start = time.process_time()
        c_future = train.future.reshape(len(train.future), -1) @ U_pred[:, :k]
        anchors = fc.fit_anchors(c_future, n_anchors, seed=SEED).centres
        models, curves = {}, {}
        for name, use in (("et", True), ("free", False)):
            models[name], curves[name] = fc.train_forecaster(
                train, U_obs, U_pred, k, anchors, use, epochs=2 if quick else EPOCHS, batch=BATCH, lr=LR, seed=SEED)
        key = f"k{k}_s{n_anchors}"
        cells[key] = {"anchors": torch.tensor(anchors, dtype=torch.float32),
                      **{name: half(m.state_dict()) for name, m in models.items()}}
        shipped = {name: fc.ETForecaster.from_state(cells[key][name]) for name in models}   # what the page runs
        named = {"ET + anchors (trained)": shipped["et"], "no anchors (trained)": shipped["free"]}
        metrics[key] = {"k": k, "anchors": n_anchors,
                        "metrics": heldout_metrics(heldout, named, anchors, U_obs, U_pred, k),
                        "loss_curves": {n: [round(v, 4) for v in c] for n, c in curves.items()},
                        "cpu_seconds": round(time.process_time() - start, 1)}
        m = metrics[key]["metrics"]
        print(f"{key}: ET {m['ET + anchors (trained)']['minADE']:.3f}/{m['ET + anchors (trained)']['minFDE']:.3f}"
              f"  free {m['no anchors (trained)']['minADE']:.3f}/{m['no anchors (trained)']['minFDE']:.3f}"
              f"  anchors {m['anchors only']['minADE']:.3f}/{m['anchors only']['minFDE']:.3f}"
              f"  CV {m['constant velocity']['minADE']:.3f}/{m['constant velocity']['minFDE']:.3f}"
              f"  [{metrics[key]['cpu_seconds']:.0f} s CPU]", flush=True)

    weights = out_dir / data.WEIGHTS_FILE.name
    torch.save({"U_obs": torch.tensor(U_obs, dtype=torch.float32), "U_pred": torch.tensor(U_pred, dtype=torch.float32),
                "cells": cells}, weights)
    summary = {"train_scenes": [list(s) for s in scenes], "heldout_scenes": [list(s) for s in data.HELDOUT_SCENES],
               "train_samples": len(train.obs), "heldout_samples": len(heldout.obs),
               "epochs": EPOCHS, "batch": BATCH, "lr": LR, "seed": SEED, "torch": torch.__version__,
               "total_cpu_seconds": round(time.process_time() - cpu0, 1), "cells": metrics}
    metrics_file = out_dir / data.METRICS_FILE.name
    metrics_file.write_text(json.dumps(summary, indent=1))
    print(f"total {summary['total_cpu_seconds']:.0f} s CPU; weights {weights.stat().st_size / 1e3:.0f} kB, "
          f"tracks {tracks_file.stat().st_size / 1e3:.0f} kB", flush=True)
    if not quick:
        from scripts import manifest
        manifest.record([tracks_file, weights, metrics_file], "scripts/train_eigentrajectory.py", SEED)


if __name__ == "__main__":
    main()
