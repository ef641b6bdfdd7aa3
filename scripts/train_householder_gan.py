"""Train the small StyleGAN2 of the Householder page on the procedural shapes renderer (resumable).

    nohup nice -n 19 python scripts/train_householder_gan.py --threads 2 > /tmp/householder_train.log 2>&1 &

Every ``--ckpt-minutes`` it atomically rewrites assets/householder/train_latest.pt (G, D, G_ema, the
Adam second moments in bf16, step count and cost so far) and train_samples.png (8x8 G_ema samples
from fixed latents), and records both in assets/MANIFEST.tsv. Rerunning the same command continues from
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
from core.device import seed_everything  # noqa: E402
from core.stylegan import (Discriminator, GConfig, Generator, TrainConfig, make_optimizers,  # noqa: E402
                           train_step)
from scripts import manifest  # noqa: E402

ASSET_DIR = ROOT / "assets" / "householder"
CKPT = ASSET_DIR / "train_latest.pt"
GRID = ASSET_DIR / "train_samples.png"
SCRIPT = "scripts/train_householder_gan.py"


def compact_optimizer_state(opt) -> dict:
    """Adam state with betas (0, .99): exp_avg is just the last gradient, so only exp_avg_sq is kept (bf16)."""
    sd = opt.state_dict()
    state = {k: {"step": v["step"], "exp_avg_sq": v["exp_avg_sq"].to(torch.bfloat16)} for k, v in sd["state"].items()}
    return {"state": state, "param_groups": sd["param_groups"]}


def restore_optimizer_state(opt, compact: dict) -> None:
    state = {int(k): {"step": v["step"], "exp_avg_sq": v["exp_avg_sq"].float(),
                      "exp_avg": torch.zeros_like(v["exp_avg_sq"], dtype=torch.float32)}
             for k, v in compact["state"].items()}
    opt.load_state_dict({"state": state, "param_groups": compact["param_groups"]})


def atomic_save(obj, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def sample_grid(G_ema, n_side: int = 8, seed: int = 1234) -> np.ndarray:
    """(H, W, 3) uint8 grid of G_ema samples from fixed latents and fixed noise."""
    z = torch.randn(n_side**2, G_ema.cfg.style_dim, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        x = G_ema(z, noise="const").clamp(-1, 1).add(1).div(2)
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
    ap.add_argument("--max-steps", type=int, default=200_000)
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    ASSET_DIR.mkdir(parents=True, exist_ok=True)

    cfg, tc = GConfig(), TrainConfig(batch=args.batch)
    G, D = Generator(cfg), Discriminator(cfg.size)
    G_ema = copy.deepcopy(G).eval()
    opt_g, opt_d = make_optimizers(G, D, tc)
    step, train_s, log = 0, 0.0, []
    if CKPT.exists() and not args.fresh:
        ck = torch.load(CKPT, map_location="cpu", weights_only=True)
        G.load_state_dict(ck["g"]), D.load_state_dict(ck["d"]), G_ema.load_state_dict(ck["g_ema"])
        restore_optimizer_state(opt_g, ck["opt_g"]), restore_optimizer_state(opt_d, ck["opt_d"])
        step, train_s, log = ck["step"], ck["train_seconds"], ck["log"]
        print(f"resumed at step {step} ({train_s / 60:.1f} min trained)", flush=True)

    data_gen = torch.Generator().manual_seed(args.seed * 1_000_003 + step)  # resume -> fresh data stream
    torch.manual_seed(args.seed + step)
    last_ckpt = t_prev = time.time()
    while step < args.max_steps:
        factors = torch.rand(tc.batch, len(shapes.FACTORS), generator=data_gen)
        factors[:, 0] = torch.randint(len(shapes.SHAPES), (tc.batch,), generator=data_gen).float()
        real = shapes.render(factors, cfg.size) * 2 - 1
        losses = train_step(G, D, G_ema, opt_g, opt_d, real, step, tc)
        step += 1
        now = time.time()
        train_s += now - t_prev
        t_prev = now
        if step % 50 == 0:
            log.append([step, round(train_s, 1), round(losses["d_loss"], 4), round(losses["g_loss"], 4)])
            print(f"step {step} {train_s / 60:.1f} min d {losses['d_loss']:.3f} g {losses['g_loss']:.3f}",
                  flush=True)
        if now - last_ckpt > args.ckpt_minutes * 60 or step == args.max_steps:
            atomic_save({"step": step, "nimg": step * tc.batch, "train_seconds": train_s, "log": log,
                         "g_cfg": cfg.to_dict(), "batch": tc.batch, "g": G.state_dict(), "d": D.state_dict(),
                         "g_ema": G_ema.state_dict(), "opt_g": compact_optimizer_state(opt_g),
                         "opt_d": compact_optimizer_state(opt_d)}, CKPT)
            save_png(sample_grid(G_ema), GRID)
            manifest.record([CKPT, GRID], SCRIPT, args.seed)
            print(f"checkpoint at step {step}", flush=True)
            last_ckpt = now


if __name__ == "__main__":
    main()
