"""Per-direction comparison of SeFa (on the base) and the fine-tuned Householder projector, and its verdict.

    nice -n 10 python scripts/score_householder.py [--hp assets/householder/generator_hp.pt | --state FILE]

Writes assets/householder/comparison.json: one row per (method, layer, direction) with the |cosine| to the
SVD initialisation, purity, top factor, pixel strength and the PIPL analogue; per method the means, the
MIG-style gap, feature FD and re-render IoU; the fidelity checks the page shows in its sections 1 and 5
(``quality``: core.householder.quality_checks, the same call as the page's live re-check, with fixed seeds);
the factor responses of section 4 at the page's default controls, for each layer (``responses``:
core.householder.compare_responses, the page's own call); and the verdict (core.householder.verdict).
--state scores the EMA generator of an unfinished fine-tune (scripts/finetune_householder.py --state) at the step it reached.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import householder as hp  # noqa: E402
from core.householder.stylegan import GConfig, build_generator  # noqa: E402
from scripts import manifest  # noqa: E402
from scripts.finetune_householder import load_regressor  # noqa: E402

ASSETS = ROOT / "assets" / "householder"
SCRIPT = "scripts/score_householder.py"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hp", type=Path, default=ASSETS / "generator_hp.pt")
    ap.add_argument("--state", type=Path, default=None, help="score an unfinished fine-tune's state instead")
    ap.add_argument("--n", type=int, default=48, help="latents per direction for the factor response")
    ap.add_argument("--out", type=Path, default=ASSETS / "comparison.json")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.002, help="the --state run's learning rate (for the record)")
    ap.add_argument("--batch", type=int, default=32, help="the --state run's batch (for the record)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    base = torch.load(ASSETS / "generator_base.pt", map_location="cpu", weights_only=True)
    cfg = GConfig.from_dict(base["g_cfg"])
    G_base = build_generator(cfg, {k: v.float() for k, v in base["g_ema"].items()}, device="cpu").eval()
    if args.state is not None:
        st = torch.load(args.state, map_location="cpu", weights_only=True)
        k = next(v.shape[1] for key, v in st["g_ema"].items() if key.endswith("modulation.V"))
        G_hp = hp.build_projector_generator(cfg, st["g_ema"], k, device="cpu")
        run = {"finetune_steps": st["step"], "planned_steps": st["steps"], "finetune_minutes": st["seconds"] / 60,
               "lr": args.lr, "batch": args.batch}
    else:
        ck = torch.load(args.hp, map_location="cpu", weights_only=True)
        k, G_hp = ck["k"], hp.build_projector_generator(cfg, ck["g_ema"], ck["k"], device="cpu")
        run = {"finetune_steps": ck["steps"], "planned_steps": ck.get("planned_steps", ck["steps"]),
               "finetune_minutes": ck["finetune_seconds"] / 60,
               "lr": ck.get("lr", hp.FINETUNE_LR), "batch": ck["batch"]}
    run["base_images"] = int(torch.load(ASSETS / "train_latest.pt", map_location="cpu", weights_only=True)["nimg"])
    run["images_fraction"] = run["finetune_steps"] * run["batch"] / run["base_images"]
    net = load_regressor()
    rows = hp.per_direction(G_base, G_hp, net, k, n=args.n,
                            progress=lambda p: print(f"directions {p:.0%}  {(time.time() - t0) / 60:.1f} min", flush=True))
    started = time.time()
    checks = hp.quality_checks(G_base, G_hp, net, hp.QUALITY_SAMPLES, (hp.DEFAULT_PSI,))  # the page's, same call
    quality = {"n": hp.QUALITY_SAMPLES, "base_step": int(base["step"]), "finetune_steps": int(run["finetune_steps"]),
               "fd": [float(x) for x in checks["fd"]], "iou": [float(x) for x in checks["iou"]],
               "mix": [[float(x) for x in mix] for mix in checks["mix"]], "iou_renders": checks["iou_renders"],
               "psi": [[p, [float(x) for x in mix], float(iou)] for p, (mix, iou) in checks["psi"].items()],
               "seconds": time.time() - started, "threads": args.threads}
    started = time.time()
    layers = [{name: {"M": M.tolist(), "strength": strength.tolist()} for name, (M, strength) in hp.compare_responses(
        G_base, G_hp, net, "per layer", layer, 10, hp.RESPONSE_LATENTS, hp.DEFAULT_PSI).items()}
        for layer in range(len(G_base.projector_layers))]
    responses = {"n": hp.RESPONSE_LATENTS, "truncation": hp.DEFAULT_PSI, "sefa_method": "per layer", "k_sefa": 10,
                 "base_step": quality["base_step"], "finetune_steps": quality["finetune_steps"], "layers": layers,
                 "seconds": (time.time() - started) / len(layers), "threads": args.threads}
    fidelity = {name: {"fd": quality["fd"][i], "rerender_iou": quality["iou"][i], "shape_mix": quality["mix"][i]}
                for i, name in enumerate(("SeFa", "Householder"))}
    summary = hp.summary(rows, fidelity)
    result = {"run": run, "k": k, "n_latents": args.n, "rows": rows, "summary": summary, "quality": quality,
              "responses": responses,
              "verdict": hp.verdict_of(summary), "score_minutes": (time.time() - t0) / 60}
    print(json.dumps({key: result[key] for key in ("run", "summary", "verdict")}, indent=1), flush=True)
    args.out.write_text(json.dumps(result, indent=1))
    if args.out.resolve().parent == ASSETS.resolve():
        manifest.record([args.out], SCRIPT, 0)


if __name__ == "__main__":
    main()
