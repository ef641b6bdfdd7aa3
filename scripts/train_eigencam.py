"""Train and ship the two small CNNs of the Eigen-CAM page (seeded, resumable).

    nice -n 10 python scripts/train_eigencam.py              # both tasks
    nice -n 10 python scripts/train_eigencam.py --task shapes --steps 800

* ``shapes``: core.eigencam.shapes scenes (3 classes on textured clutter, distractor with probability 0.5),
  a fresh batch of 64 every step (batch s is rendered with seed (seed, s), so a resumed run sees exactly the
  batches it would have seen), Adam 2e-3 with cosine decay. -> assets/eigencam/shapes_cnn.pt
* ``mnist``: the 4,000 training digits of core.eigencam.digits, batches of 64 drawn with a seeded generator.
  -> assets/eigencam/mnist_cnn.pt

Every ``--every`` steps the model, the optimiser and the step go to ``--work`` (default /tmp/eigencam_train);
rerunning the same command continues from there. At the end the held-out accuracy is measured, the weights
are written and recorded in assets/MANIFEST.tsv, and assets/eigencam/training.json keeps the run's numbers.
Measured (one thread, CPU time on a shared 2-core machine): shapes 800 steps 200 CPU-s, held-out accuracy
0.918 on 512 scenes (the loss sits near chance for the first ~200 steps); mnist 1,500 steps 39 CPU-s, 0.958
on the 1,000 held-out digits.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from core.device import pin_threads, seeded_generator  # noqa: E402
from core.eigencam import digits, model, shapes  # noqa: E402
import manifest  # noqa: E402

OUT = ROOT / "assets" / "eigencam"
CONFIGS = {"shapes": model.SHAPES_CONFIG, "mnist": model.MNIST_CONFIG}
DEFAULT_STEPS = {"shapes": 800, "mnist": 1500}
BATCH = 64
HELD_OUT_SEED = 10_000      # shapes held-out scenes: render(n, HELD_OUT_SEED); training uses (seed, step)


def batch_for(task: str, step: int, seed: int, data):
    if task == "shapes":
        scenes = shapes.render(BATCH, seed=[seed, step])
        return torch.from_numpy(scenes.images), torch.from_numpy(scenes.labels)
    (x, y), _ = data
    idx = torch.randint(len(y), (BATCH,), generator=seeded_generator(seed * 100_003 + step))
    return torch.from_numpy(x)[idx], torch.from_numpy(y)[idx]


def held_out(task: str, data, n: int = 512):
    if task == "shapes":
        scenes = shapes.render(n, HELD_OUT_SEED)
        return torch.from_numpy(scenes.images), torch.from_numpy(scenes.labels)
    _, (x, y) = data
    return torch.from_numpy(x), torch.from_numpy(y)


def accuracy(net, x, y) -> float:
    with torch.no_grad():
        return float((net(x).argmax(1) == y).float().mean())


def train(task: str, steps: int, seed: int, work: Path, every: int, lr: float = 2e-3, n_held_out: int = 512) -> dict:
    data = digits.split(*digits.load()) if task == "mnist" else None
    net = model.build(CONFIGS[task], seed)
    opt = torch.optim.Adam(net.parameters(), lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s / steps, 1))))
    ckpt, start, log = work / f"{task}_{seed}_{steps}.pt", 0, []
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=True)
        net.load_state_dict(state["model"]), opt.load_state_dict(state["opt"]), sched.load_state_dict(state["sched"])
        start, log = int(state["step"]), json.loads(state["log"])
        print(f"{task}: resuming at step {start}")
    t0 = time.process_time()
    for step in range(start, steps):
        x, y = batch_for(task, step, seed, data)
        loss = F.cross_entropy(net.train()(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % every == 0 or step + 1 == steps:
            log.append({"step": step + 1, "loss": round(loss.item(), 4)})
            print(f"{task} step {step + 1}/{steps} loss {loss.item():.3f} cpu {time.process_time() - t0:.0f} s",
                  flush=True)
            work.mkdir(parents=True, exist_ok=True)
            torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "step": step + 1, "log": json.dumps(log)}, ckpt)
    x, y = held_out(task, data, n_held_out)
    return {"model": net.eval(), "steps": steps, "seed": seed, "batch": BATCH, "lr": lr, "log": log,
            "held_out_accuracy": round(accuracy(net, x, y), 4), "held_out_n": len(y),
            "cpu_seconds_this_run": round(time.process_time() - t0, 1),
            "parameters": sum(p.numel() for p in net.parameters())}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=("shapes", "mnist", "both"), default="both")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--work", type=Path, default=Path("/tmp/eigencam_train"))
    args = parser.parse_args()
    pin_threads()
    OUT.mkdir(parents=True, exist_ok=True)
    summary_file = OUT / "training.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    for task in ("shapes", "mnist") if args.task == "both" else (args.task,):
        result = train(task, args.steps or DEFAULT_STEPS[task], args.seed, args.work, args.every)
        net = result.pop("model")
        path = OUT / f"{task}_cnn.pt"
        torch.save(net.state_dict(), path)
        config = {k: list(v) if isinstance(v, tuple) else v for k, v in CONFIGS[task].items()}
        summary[task] = result | {"config": config}
        print(f"{task}: held-out accuracy {result['held_out_accuracy']:.3f} -> {path.relative_to(ROOT)}")
        summary_file.write_text(json.dumps(summary, indent=1) + "\n")
        manifest.record([path, summary_file], "scripts/train_eigencam.py", args.seed)


if __name__ == "__main__":
    main()
