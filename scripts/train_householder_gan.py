"""Train the small StyleGAN2 of the Householder page on the procedural shapes renderer (resumable).

    OMP_NUM_THREADS=2 nohup nice -n 19 python scripts/train_householder_gan.py --threads 2 > /tmp/hh.log 2>&1 &
    python scripts/train_householder_gan.py --batch 64 --ckpt-minutes 2    # on a GPU machine (cuda is picked)

Every ``--ckpt-minutes`` it atomically rewrites assets/householder/train_latest.pt (G, D, G_ema, G's
Adam second moments in bf16, step count and cost so far) and train_samples.png (8x8 G_ema samples from
fixed latents), and records both in assets/MANIFEST.tsv. To keep the page's folder under its 5 MB budget,
D is stored in fp16 and its Adam moments are not kept: on resume D's Adam restarts (bias-corrected). Rerunning the same command continues from
that checkpoint, on any machine: the checkpoint is small and committed. Losses: StyleGAN2's
non-saturating logistic loss with lazy R1 (core.stylegan.train_step); no path-length regulariser.
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import shapes  # noqa: E402
from core.device import pick_device, seed_everything  # noqa: E402
from core.stylegan import (Discriminator, GConfig, Generator, TrainConfig, d_channels_from_state,  # noqa: E402
                           discriminator_from_state, make_optimizers, train_step)
from scripts import manifest  # noqa: E402

ASSET_DIR = ROOT / "assets" / "householder"
CKPT = ASSET_DIR / "train_latest.pt"
GRID = ASSET_DIR / "train_samples.png"
SCRIPT = "scripts/train_householder_gan.py"


def compact_optimizer_state(opt) -> dict:
    """Adam state with betas (0, .99): exp_avg is just the last gradient, so only exp_avg_sq is kept (bf16)."""
    sd = opt.state_dict()
    state = {k: {"step": v["step"].cpu(), "exp_avg_sq": v["exp_avg_sq"].to("cpu", torch.bfloat16)}
             for k, v in sd["state"].items()}
    return {"state": state, "param_groups": sd["param_groups"]}


def restore_optimizer_state(opt, compact: dict) -> None:
    state = {int(k): {"step": v["step"], "exp_avg_sq": v["exp_avg_sq"].float(),
                      "exp_avg": torch.zeros_like(v["exp_avg_sq"], dtype=torch.float32)}
             for k, v in compact["state"].items()}
    flags = [{"lr": g["lr"], "betas": g["betas"]} for g in opt.param_groups]  # this run's --lr wins
    opt.load_state_dict({"state": state, "param_groups": compact["param_groups"]})
    for group, flag in zip(opt.param_groups, flags):
        group.update(flag)


def on_cpu(state: dict) -> dict:
    return {k: v.cpu() for k, v in state.items()}


def half(state: dict) -> dict:
    """fp16 copy for D: its weights are O(1) (no lr multiplier), where fp16's spacing is ~1/4 Adam step."""
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def atomic_save(obj, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def sample_grid(G_ema, n_side: int = 8, seed: int = 1234) -> np.ndarray:
    """(H, W, 3) uint8 grid of G_ema samples from fixed latents and fixed noise."""
    z = torch.randn(n_side**2, G_ema.cfg.style_dim, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        x = G_ema(z.to(next(G_ema.parameters()).device), noise="const").clamp(-1, 1).add(1).div(2).cpu()
    s = x.shape[-1]
    grid = x.reshape(n_side, n_side, 3, s, s).permute(0, 3, 1, 4, 2).reshape(n_side * s, n_side * s, 3)
    return (grid.numpy() * 255).round().astype(np.uint8)


def save_png(arr: np.ndarray, path: Path) -> None:
    tmp = path.with_name(path.stem + ".tmp.png")
    Image.fromarray(arr).save(tmp)
    os.replace(tmp, path)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=TrainConfig.lr)
    ap.add_argument("--r1-gamma", type=float, default=TrainConfig.r1_gamma)
    ap.add_argument("--max-steps", type=int, default=200_000)
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    ap.add_argument("--fresh-d", action="store_true",
                    help="keep G, G_ema and G's optimiser from the checkpoint; start a new D (e.g. a wider one)")
    ap.add_argument("--device", default=None, help="torch device (default: cuda when available, else cpu)")
    ap.add_argument("--ckpt", type=Path, default=CKPT, help="checkpoint to resume from and write "
                    "(samples go beside it; only the shipped path is recorded in the manifest)")
    args = ap.parse_args(argv)
    ckpt_path, grid_path = args.ckpt, args.ckpt.with_name(GRID.name)
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    ASSET_DIR.mkdir(parents=True, exist_ok=True)
    device = pick_device(args.device)

    cfg, tc = GConfig(), TrainConfig(batch=args.batch, lr=args.lr, r1_gamma=args.r1_gamma)
    G, D = Generator(cfg).to(device), Discriminator(cfg.size).to(device)
    G_ema = copy.deepcopy(G).eval()
    opt_g, opt_d = make_optimizers(G, D, tc)
    step, nimg, train_s, log, d_restarts = 0, 0, 0.0, [], []
    if ckpt_path.exists() and not args.fresh:
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        G.load_state_dict(ck["g"]), G_ema.load_state_dict(ck["g_ema"])
        restore_optimizer_state(opt_g, ck["opt_g"])  # Adam moves its state to the parameters' device
        if not args.fresh_d:
            D = discriminator_from_state(ck["d"], cfg.size).to(device)
            opt_d = make_optimizers(G, D, tc)[1]
            if ck.get("opt_d"):  # older checkpoints kept D's second moments too
                restore_optimizer_state(opt_d, ck["opt_d"])
        step, nimg, train_s, log = ck["step"], ck["nimg"], ck["train_seconds"], ck["log"]
        d_restarts = ck.get("d_restarts", []) + ([step] if args.fresh_d else [])
        print(f"resumed at step {step} ({train_s / 60:.1f} min trained) on {device}, D widths "
              f"{d_channels_from_state(D.state_dict(), cfg.size)}", flush=True)

    data_gen = torch.Generator().manual_seed(args.seed * 1_000_003 + step)  # resume -> fresh data stream
    torch.manual_seed(args.seed + step)
    last_ckpt = t_prev = time.time()
    while step < args.max_steps:
        factors = torch.rand(tc.batch, len(shapes.FACTORS), generator=data_gen)
        factors[:, 0] = torch.randint(len(shapes.SHAPES), (tc.batch,), generator=data_gen).float()
        real = shapes.render(factors.to(device), cfg.size) * 2 - 1
        losses = train_step(G, D, G_ema, opt_g, opt_d, real, step, tc)
        step, nimg = step + 1, nimg + tc.batch
        now = time.time()
        train_s += now - t_prev
        t_prev = now
        if step % 50 == 0:
            log.append([step, round(train_s, 1), round(losses["d_loss"], 4), round(losses["g_loss"], 4)])
            print(f"step {step} {train_s / 60:.1f} min d {losses['d_loss']:.3f} g {losses['g_loss']:.3f}",
                  flush=True)
        if now - last_ckpt > args.ckpt_minutes * 60 or step == args.max_steps:
            atomic_save({"step": step, "nimg": nimg, "train_seconds": train_s, "log": log, "g_cfg": cfg.to_dict(),
                         "batch": tc.batch, "lr": tc.lr, "r1_gamma": tc.r1_gamma, "g": on_cpu(G.state_dict()), "d": half(on_cpu(D.state_dict())),
                         "g_ema": on_cpu(G_ema.state_dict()), "opt_g": compact_optimizer_state(opt_g),
                         "d_restarts": d_restarts}, ckpt_path)
            save_png(sample_grid(G_ema), grid_path)
            if ckpt_path.resolve() == CKPT.resolve():
                manifest.record([CKPT, GRID], SCRIPT, args.seed)
            print(f"checkpoint at step {step}", flush=True)
            last_ckpt = now


if __name__ == "__main__":
    main()
