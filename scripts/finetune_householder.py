"""Householder-projector fine-tune of the latest shapes StyleGAN2 checkpoint (Song et al., ICCV 2023, Sec. 3).

    nice -n 19 python scripts/finetune_householder.py [--steps 500 --batch 32 | --frac 0.01] [--k 10] [--lr 0.002]

Resumable: the full training state is written to --state every --every steps; rerunning the same command
continues from it (delete the file to start over). The shipped run: --frac 0.01 --lr 0.002 (the paper's
1 % of the base's images, at the base's learning rate), one thread, nice -n 10.

Reads assets/householder/train_latest.pt (written by scripts/train_householder_gan.py), snapshots its
G_ema and D as generator_base.pt (fp16), replaces A in every upsampling conv by Q_out[:, :k] Q_in[:k, :]
initialised from the SVD of the trained A, fine-tunes with the unchanged GAN loss for ``steps`` (or
``frac`` of the base training steps), and writes generator_hp.pt (fp16) with the run's log and scores. Needs
factor_regressor.pt (scripts/train_householder_regressor.py) for the scores it prints and stores.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import householder as hp  # noqa: E402
from core.householder.stylegan import GConfig, build_generator  # noqa: E402
from scripts import manifest  # noqa: E402
from scripts.train_householder_gan import half  # noqa: E402

ASSETS = ROOT / "assets" / "householder"
SCRIPT = "scripts/finetune_householder.py"


def load_regressor(path: Path = ASSETS / "factor_regressor.pt", device=None) -> hp.FactorNet:
    return hp.factor_net_from_state(torch.load(path, map_location="cpu", weights_only=True)["state"], device)


def scores(G, net, real, directions_of, n_layers: int) -> dict:
    """Mean purity and MIG-style gap over all projector layers' k directions; FD, re-render IoU, shape mix."""
    M = np.concatenate([hp.factor_response(G, net, directions_of(layer), layer, n=48)[0] for layer in range(n_layers)])
    sampled = hp.sample_scores(G, net, real, n=len(real))
    return {"purity": float(hp.purity(M).mean()), "mig_gap": float(hp.mig_gap(M).mean()),
            "fd": sampled["fd"], "rerender_iou": sampled["iou"], "shape_mix": sampled["mix"].tolist()}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    # 500 steps at batch 32: 16k images, 0.4 % of the base's 3.6M. On the 16,071-step base the same 16k
    # images at batch 16 (1,000 steps) gave feature FD 33.6 (base 23.3) and 19 % triangles; at batch 32 all
    # three shapes stayed >= 20 % at every quarter of the run. On the shipped 28,363-step base, lr 0.001
    # (hp.FINETUNE_LR): FD 23.1 (base 25.3), 19 % triangles as the base; lr 0.002 gave FD 41, 13-17 %.
    ap.add_argument("--steps", type=int, default=500, help="fine-tune steps at batch --batch")
    ap.add_argument("--frac", type=float, default=0.0, help="fine-tune images as a fraction of the base's "
                    "(overrides --steps when > 0; the paper fine-tunes for 1 %% of its steps, at its batch)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=hp.FINETUNE_LR)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ckpt", type=Path, default=ASSETS / "train_latest.pt", help="the trainer's checkpoint")
    ap.add_argument("--state", type=Path, default=Path("/tmp/eigen_atlas_householder_finetune_state.pt"),
                    help="resumable training state (written every --every steps; rerun to continue)")
    ap.add_argument("--every", type=int, default=25)
    ap.add_argument("--no-score", action="store_true", help="skip the scores (scripts/score_householder.py "
                    "computes the per-direction table)")
    ap.add_argument("--export-state", action="store_true", help="write generator_hp.pt from the --state file at "
                    "the step it reached (an unfinished run), without training")
    ap.add_argument("--out", type=Path, default=ASSETS, help="folder for generator_base.pt / generator_hp.pt "
                    "(only assets/householder is recorded in the manifest)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    ck = torch.load(args.ckpt, map_location="cpu", weights_only=True)
    cfg = GConfig.from_dict(ck["g_cfg"])
    base = {"g_ema": half(ck["g_ema"]), "d": half(ck["d"]), "g_cfg": ck["g_cfg"], "step": ck["step"],
            "train_seconds": ck["train_seconds"], "batch": ck["batch"], "log": ck["log"]}
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(base, args.out / "generator_base.pt")

    steps = max(50, round(args.frac * ck["nimg"] / args.batch)) if args.frac > 0 else args.steps
    if args.export_state:
        return export_state(args, ck)
    resume = torch.load(args.state, map_location="cpu", weights_only=True) if args.state.exists() else None
    if resume is not None:
        if resume["steps"] != steps:
            raise SystemExit(f"{args.state} is a {resume['steps']}-step run; delete it to start a {steps}-step one")
        print(f"resuming at step {resume['step']} of {steps}", flush=True)
    t0, earlier = time.time(), (resume or {}).get("seconds", 0.0)

    def checkpoint(state: dict) -> None:
        state["seconds"] = earlier + time.time() - t0
        torch.save(state, args.state.with_suffix(".tmp"))
        args.state.with_suffix(".tmp").replace(args.state)  # atomic: a kill mid-write keeps the last state
        print(f"step {state['step']}/{steps}  {state['seconds'] / 60:.1f} min", flush=True)

    G_hp, log = hp.finetune_projector(ck["g_ema"], ck["d"], cfg, k=args.k, steps=steps, seed=args.seed,
                                      batch=args.batch, lr=args.lr, resume=resume, checkpoint=checkpoint,
                                      checkpoint_every=args.every)
    seconds = earlier + time.time() - t0

    result = {"base_step": ck["step"], "base_minutes": ck["train_seconds"] / 60, "finetune_steps": steps,
              "finetune_minutes": seconds / 60, "finetune_batch": args.batch, "finetune_lr": args.lr,
              "finetune_images_fraction": steps * args.batch / ck["nimg"],
              "orthogonality_error": hp.orthogonality_error(G_hp)}
    if not args.no_score:
        result.update(score_run(ck, cfg, G_hp, args.k))
    print(json.dumps(result, indent=1), flush=True)
    torch.save({"g_ema": half(G_hp.state_dict()), "g_cfg": ck["g_cfg"], "k": args.k, "steps": steps,
                "batch": args.batch, "lr": args.lr, "base_step": ck["step"], "finetune_seconds": seconds,
                "log": log, "result": result}, args.out / "generator_hp.pt")
    if args.out.resolve() == ASSETS.resolve():
        manifest.record([ASSETS / "generator_base.pt", ASSETS / "generator_hp.pt"], SCRIPT, args.seed)


def export_state(args, ck: dict) -> None:
    """generator_hp.pt from an unfinished run's state: its EMA generator at the step it reached."""
    state = torch.load(args.state, map_location="cpu", weights_only=True)
    k = next(v.shape[1] for key, v in state["g_ema"].items() if key.endswith("modulation.V"))
    cfg = GConfig.from_dict(ck["g_cfg"])
    G_hp = hp.build_projector_generator(cfg, state["g_ema"], k, device="cpu")
    result = {"base_step": ck["step"], "finetune_steps": state["step"], "planned_steps": state["steps"],
              "finetune_minutes": state["seconds"] / 60, "finetune_batch": args.batch, "finetune_lr": args.lr,
              "finetune_images_fraction": state["step"] * args.batch / ck["nimg"],
              "orthogonality_error": hp.orthogonality_error(G_hp)}
    print(json.dumps(result, indent=1), flush=True)
    torch.save({"g_ema": half(G_hp.state_dict()), "g_cfg": ck["g_cfg"], "k": k, "steps": state["step"],
                "planned_steps": state["steps"], "batch": args.batch, "lr": args.lr, "base_step": ck["step"],
                "finetune_seconds": state["seconds"], "log": state["log"], "result": result},
               args.out / "generator_hp.pt")
    if args.out.resolve() == ASSETS.resolve():
        manifest.record([ASSETS / "generator_base.pt", ASSETS / "generator_hp.pt"], SCRIPT, args.seed)


def score_run(ck: dict, cfg: GConfig, G_hp, k: int) -> dict:
    """The summary scores of SeFa on the base and of the projector (the per-direction table is separate)."""
    net = load_regressor()
    G_base = build_generator(cfg, ck["g_ema"], device="cpu")
    n_layers = len(G_base.projector_layers)
    real = hp.real_features(net, 1000)
    before = scores(G_base, net, real, lambda l: hp.sefa_layer(G_base, l, k)[0], n_layers)
    after = scores(G_hp, net, real, lambda l: hp.householder_directions(G_hp, l), n_layers)
    return {"sefa_per_layer": before, "householder": after}


if __name__ == "__main__":
    main()
