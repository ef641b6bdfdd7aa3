"""Train the small StyleGAN2 of the Householder page on the procedural shapes renderer (resumable).

    OMP_NUM_THREADS=2 nohup nice -n 19 python scripts/train_householder_gan.py --threads 2 > /tmp/hh.log 2>&1 &
    python scripts/train_householder_gan.py --fresh --batch 128 --seed 1 --minutes 8 --eval-minutes 0.5  # GPU
    python scripts/train_householder_gan.py --widen 32=64 --batch 128 --seed 3 --minutes 8 --eval-minutes 0.5

``--widen`` grows G's and D's blocks at the given resolutions without changing what they compute
(core.householder.stylegan.widen_state), so a wider generator starts from the trained one instead of from blobs.

Every ``--ckpt-minutes`` it atomically rewrites assets/householder/train_latest.pt (G_ema in fp16, G as its
fp16 difference from that, D, G's Adam second moments in bf16, step count and cost so far) and
train_samples.png (8x8 G_ema samples from fixed latents), and records both in assets/MANIFEST.tsv. To keep
the page's folder under its 5 MB budget, D is stored in fp16 and its Adam moments are not kept: on resume
D's Adam restarts (bias-corrected). Rerunning the same command continues from that checkpoint, on any
machine: the checkpoint is small and committed.
Losses: StyleGAN2's non-saturating logistic loss with lazy R1 (core.householder.stylegan.train_step); no path-length
regulariser.

With ``--eval-minutes`` it scores G_ema every so often (shape mix and feature Frechet distance, read by the
shipped factor regressor) and keeps the best-balanced one in ``--best``: every run so far first drew all
three shapes as blobs, then drifted to mostly circles (from about 0.1M images), and only later came back
with corners and all three shapes (after 0.6M images at batch 64, 1.1M at batch 128, on a GPU), so the last
checkpoint is not always the one to keep. Past 2.2M images, CPU runs of ~0.1M more images with R1 gamma 0.01
or 0.002, or at batch 256, left the re-render IoU within noise of batch 128 / gamma 0.05 (0.76-0.78). On an
H200 (2026-11-28, four runs side by side from the 2.17M-image checkpoint, 7.5 min each), batch 128 reached
IoU 0.79 by 3.0M images; batch 512 (lr 0.002 or 0.001) and 1024 reached 0.78-0.80 by 3.9-4.2M; 0.57M more
at batch 128 (lr 0.002 or 0.001) stayed at 0.79 (rendered images: 0.91). The shipped checkpoint is that
last batch-128 run (3.63M images, seed 2); more images at this width no longer buy sharper shapes. A hint
for whoever widens it: a fresh D of this architecture, trained on 20k fixed samples of the shipped G_ema
against renders (batch 64, lr 0.002, CPU), told them apart with AUC only 0.56 after 1,500 steps (triangles
0.65), so D may be the side to grow first (widening G and D at 32x32 kept quality over 72k CPU images).
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

from core.householder import shapes  # noqa: E402
from core.device import pick_device, seed_everything  # noqa: E402
from core.householder.stylegan import (Discriminator, GConfig, Generator, TrainConfig, d_channels_from_state,  # noqa: E402
                           discriminator_from_state, make_optimizers, train_step, widen_state)
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
    """fp16 copy (folder budget). D's weights are O(1) (no lr multiplier), where fp16's spacing is ~1/4 Adam
    step; G_ema's rounding is a one-off perturbation that the EMA forgets within a few half-lives on resume."""
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def g_minus_ema(G, G_ema) -> dict:
    """G stored as its fp16 difference from the fp16 G_ema (folder budget): the two differ only by recent
    updates (and G_ema's rounding), so the difference keeps G far below one Adam step (lr 2e-3) of error."""
    ema = half(G_ema.state_dict())
    return half({k: (v - ema[k].float()).cpu() for k, v in G.state_dict().items()})


def g_from_checkpoint(ck: dict) -> dict:
    if "g" in ck:  # checkpoints before 2026-11-27 kept G in fp32
        return ck["g"]
    return {k: v.float() + ck["g_minus_ema"][k].float() for k, v in ck["g_ema"].items()}


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


def balance_key(mix, fd: float, iou: float = 0.0) -> tuple:
    """Which G_ema to keep: shapes balanced first (the rarest shape's share, saturating at 20 %), then the
    re-render IoU (to 0.01, about its noise on 600 samples), then low FD.

    Every run here first draws all three shapes as blobs and later may drift to mostly circles, so the
    last checkpoint is not always the best one. IoU asks of each sample whether it is a shape the renderer
    could have drawn, which is what a sharper generator improves; evals logged before it existed count 0.
    """
    return (min(float(min(mix)), 0.20), round(float(iou), 2), -float(fd))


class Evaluator:
    """Shape mix, feature Frechet distance and re-render IoU of G_ema, read by the shipped factor regressor."""

    def __init__(self, path: Path, device, size: int):
        from core import householder as hp  # only runs that evaluate need the regressor
        self.hp = hp
        self.net = hp.factor_net_from_state(torch.load(path, map_location="cpu", weights_only=True)["state"], device)
        self.real = hp.real_features(self.net, 600, size=size, device=device)

    def __call__(self, G_ema) -> dict:
        score = self.hp.sample_scores(G_ema, self.net, self.real)
        return {"mix": [round(float(m), 4) for m in score["mix"]], "fd": round(score["fd"], 2),
                "iou": round(score["iou"], 3)}


def checkpoint(G, D, G_ema, opt_g, cfg, tc, run: dict) -> dict:
    return {**run, "g_cfg": cfg.to_dict(), "batch": tc.batch, "lr": tc.lr, "r1_gamma": tc.r1_gamma,
            "ema_kimg": tc.ema_kimg, "g_minus_ema": g_minus_ema(G, G_ema), "d": half(on_cpu(D.state_dict())),
            "g_ema": half(on_cpu(G_ema.state_dict())), "opt_g": compact_optimizer_state(opt_g)}


def width_map(text: str) -> dict:
    """'32=64,16=96' -> {32: 64, 16: 96}"""
    return {int(res): int(width) for res, width in (pair.split("=") for pair in text.split(",") if pair)}


def widened(G, D, G_ema, widths: dict, size: int) -> tuple:
    """G, D and G_ema with the blocks at ``widths``' resolutions widened (never narrowed); same outputs."""
    g_ch = {**G.cfg.channels, **{r: max(w, G.cfg.channels[r]) for r, w in widths.items()}}
    d_old = d_channels_from_state(D.state_dict(), size)
    d_ch = {**d_old, **{r: max(w, d_old[r]) for r, w in widths.items()}}
    cfg = GConfig.from_dict({**G.cfg.to_dict(), "channels": g_ch})
    fresh_g, fresh_d = Generator(cfg).state_dict(), Discriminator(size, d_ch).state_dict()  # new channels' init
    G_w, G_ema_w, D_w = Generator(cfg), Generator(cfg).eval(), Discriminator(size, d_ch)
    G_w.load_state_dict(widen_state(G.state_dict(), fresh_g))
    G_ema_w.load_state_dict(widen_state(G_ema.state_dict(), fresh_g))  # the same new channels as G's
    D_w.load_state_dict(widen_state(D.state_dict(), fresh_d))
    return G_w, D_w, G_ema_w


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=TrainConfig.lr)
    ap.add_argument("--r1-gamma", type=float, default=TrainConfig.r1_gamma)
    ap.add_argument("--ema-kimg", type=float, default=TrainConfig.ema_kimg,
                    help="G_ema half-life in thousands of images (longer: a smoother average of a wobbling G)")
    ap.add_argument("--max-steps", type=int, default=200_000)
    ap.add_argument("--minutes", type=float, default=0.0, help="stop after this many minutes of this invocation "
                    "(0: no limit); the last checkpoint is written on the way out")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--eval-minutes", type=float, default=0.0, help="every this many minutes score G_ema's shape "
                    "mix and FD with the shipped regressor and keep the best-balanced G_ema in --best (0: off)")
    ap.add_argument("--best", type=Path, default=None, help="where the best-balanced checkpoint goes "
                    "(default: beside --ckpt, *_best.pt)")
    ap.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    ap.add_argument("--fresh-d", action="store_true",
                    help="keep G, G_ema and G's optimiser from the checkpoint; start a new D (e.g. a wider one)")
    ap.add_argument("--widen", type=width_map, default={}, metavar="RES=WIDTH[,RES=WIDTH]",
                    help="on resume, widen G's and D's blocks at these resolutions (e.g. 32=64), keeping what "
                    "they compute (core.householder.stylegan.widen_state); both optimisers restart")
    ap.add_argument("--device", default=None, help="torch device (default: cuda when available, else cpu)")
    ap.add_argument("--ckpt", type=Path, default=CKPT, help="checkpoint to resume from and write "
                    "(samples go beside it; only the shipped path is recorded in the manifest)")
    return ap.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    ckpt_path = args.ckpt
    grid_path = GRID if ckpt_path.resolve() == CKPT.resolve() else ckpt_path.with_suffix(".png")
    best_path = args.best or ckpt_path.with_name(ckpt_path.stem + "_best.pt")
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    ckpt_path.parent.mkdir(parents=True, exist_ok=True)
    device = pick_device(args.device)
    if device.type == "cuda":  # TF32 convs and matmuls; cuDNN picks its fastest kernels for these fixed shapes
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True

    resume = ckpt_path.exists() and not args.fresh
    ck = torch.load(ckpt_path, map_location="cpu", weights_only=True) if resume else {}
    cfg = GConfig.from_dict(ck["g_cfg"]) if resume else GConfig()
    tc = TrainConfig(batch=args.batch, lr=args.lr, r1_gamma=args.r1_gamma, ema_kimg=args.ema_kimg)
    G, D = Generator(cfg), Discriminator(cfg.size)
    G_ema = copy.deepcopy(G).eval()
    run = {"step": 0, "nimg": 0, "train_seconds": 0.0, "log": [], "d_restarts": [], "evals": [], "widened": []}
    if resume:
        G.load_state_dict(g_from_checkpoint(ck)), G_ema.load_state_dict(ck["g_ema"])
        if not args.fresh_d:
            D = discriminator_from_state(ck["d"], cfg.size)
        run = {key: ck.get(key, default) for key, default in run.items()}
        run["d_restarts"] = run["d_restarts"] + ([run["step"]] if args.fresh_d else [])
    grew = False
    if resume and args.widen:  # rerunning the same --widen command later just continues
        G_w, D_w, G_ema_w = widened(G, D, G_ema, args.widen, cfg.size)
        grew = sum(p.numel() for p in [*G_w.parameters(), *D_w.parameters()]) > \
            sum(p.numel() for p in [*G.parameters(), *D.parameters()])
        if grew:
            G, D, G_ema, cfg = G_w, D_w, G_ema_w, G_w.cfg
            run["widened"] = run["widened"] + [{"step": run["step"], "widths": args.widen}]
    G, D, G_ema = G.to(device), D.to(device), G_ema.to(device)
    opt_g, opt_d = make_optimizers(G, D, tc)
    if resume and not grew:  # Adam moves its state to the parameters' device
        restore_optimizer_state(opt_g, ck["opt_g"])
        if ck.get("opt_d") and not args.fresh_d:  # older checkpoints kept D's second moments too
            restore_optimizer_state(opt_d, ck["opt_d"])
    if resume:
        print(f"resumed at step {run['step']} ({run['train_seconds'] / 60:.1f} min trained) on {device}, G widths "
              f"{cfg.channels}, D widths {d_channels_from_state(D.state_dict(), cfg.size)}", flush=True)
    evaluate = Evaluator(ASSET_DIR / "factor_regressor.pt", device, cfg.size) if args.eval_minutes > 0 else None
    best = max((balance_key(e["mix"], e["fd"], e.get("iou", 0.0)) for e in run["evals"]), default=None)

    def save(final: bool = False) -> None:
        atomic_save(checkpoint(G, D, G_ema, opt_g, cfg, tc, run), ckpt_path)
        save_png(sample_grid(G_ema), grid_path)
        if ckpt_path.resolve() == CKPT.resolve():
            manifest.record([CKPT, GRID], SCRIPT, args.seed)
        print(f"checkpoint at step {run['step']}" + (" (last)" if final else ""), flush=True)

    step = run["step"]
    data_gen = torch.Generator().manual_seed(args.seed * 1_000_003 + step)  # resume -> fresh data stream
    torch.manual_seed(args.seed + step)
    t_start = last_ckpt = last_eval = t_prev = time.time()
    while step < args.max_steps:
        factors = torch.rand(tc.batch, len(shapes.FACTORS), generator=data_gen)
        factors[:, 0] = torch.randint(len(shapes.SHAPES), (tc.batch,), generator=data_gen).float()
        real = shapes.render(factors.to(device), cfg.size) * 2 - 1
        losses = train_step(G, D, G_ema, opt_g, opt_d, real, step, tc)
        step += 1
        now = time.time()
        run.update(step=step, nimg=run["nimg"] + tc.batch, train_seconds=run["train_seconds"] + now - t_prev)
        t_prev = now
        if step % 50 == 0:
            d_loss, g_loss = float(losses["d_loss"]), float(losses["g_loss"])
            run["log"].append([step, round(run["train_seconds"], 1), round(d_loss, 4), round(g_loss, 4)])
            if step % 500 == 0 or device.type == "cpu":
                print(f"step {step} {run['train_seconds'] / 60:.1f} min d {d_loss:.3f} g {g_loss:.3f}", flush=True)
        if evaluate and now - last_eval > args.eval_minutes * 60:
            score = evaluate(G_ema)
            run["evals"].append({"step": step, "nimg": run["nimg"], **score})
            key = balance_key(score["mix"], score["fd"], score["iou"])
            print(f"eval step {step} ({run['nimg'] / 1e6:.2f}M img) mix {score['mix']} fd {score['fd']} "
                  f"iou {score['iou']}" + (" best" if best is None or key > best else ""), flush=True)
            if best is None or key > best:
                best = key
                atomic_save(checkpoint(G, D, G_ema, opt_g, cfg, tc, run), best_path)
            last_eval = t_prev = time.time()  # the evaluation is not training time
        out_of_time = args.minutes > 0 and now - t_start > args.minutes * 60
        if out_of_time or step == args.max_steps:
            save(final=True)
            break
        if now - last_ckpt > args.ckpt_minutes * 60:
            save()
            last_ckpt = now


if __name__ == "__main__":
    main()
