"""Train the DiffSpectra page's two learned solvers on the training split (resumable, CPU).

  1. the contrastive retriever (spectrum MLP <-> fingerprint MLP, InfoNCE)   -> assets/diffspectra/retriever.pt
  2. the spectrum-conditioned graph diffusion model (core/diffspectra/diffusion.py)
                                                                           -> assets/diffspectra/generator.pt
Every batch draws fresh "measurements" (core/diffspectra/measurement.py) of the training molecules'
two conformers, so the models never see one fixed spectrum per molecule. Checkpoints (model, optimiser,
EMA, step) go to --state-dir every --every steps; re-running the same command resumes. The committed
weights are the EMA, stored as float16, plus the training log (loss, CPU seconds) as CSV.

    nice -n 10 python scripts/train_diffspectra.py --part retriever --steps 1000 --batch 256
    nice -n 10 python scripts/train_diffspectra.py --part generator --steps 3000     (~21 CPU-min, 1 thread)
Keep --threads 1 on a shared machine: with 2 threads OpenMP spun and ran ~10x slower under load.

Version 2 of the generator (issue 20: make the spectrum do the work) trains with ``--part generator2``:
the retriever's contrastively pre-trained spectrum tower is loaded into the denoiser's encoder, the
spectrum is dropped (null spectrum) with probability --p-uncond for classifier-free guidance, the
formula is always given (its heavy atoms clamped), and a spectrum -> formula classifier
(core/diffspectra/formula_head.py) trains beside it for the no-formula path. Every --every steps the
EMA model is scored on the validation split (fixed measured spectra, fixed noise): the loss with the
true spectrum, with the null spectrum, and the formula classifier's top-1; the export keeps the EMA
with the lowest validation loss. ``--steps auto`` times 50 steps and picks the step count that fits
--max-seconds (printed and logged; pass that number to reproduce). ``--device cuda`` trains on a GPU;
the CPU is the fallback and re-running the same command resumes from --state-dir.

The shipped generator.pt (version 2) came from three runs on one H200 (2026-12-04), each resuming the
previous state (the cosine schedule is stretched to the new --steps at each resume, a warm restart):

    python scripts/train_diffspectra.py --part generator2 --steps 3500 --batch 512 --every 250 \
        --device cuda --state-dir S --out S            # 118 s; 'auto' with --max-seconds 175 chose 3500
    python scripts/train_diffspectra.py --part generator2 --steps 7000 --batch 512 --every 250 \
        --device cuda --state-dir S --out S            # +142 s; val loss 1.4178 -> 1.4019 (null 1.5172)
    python scripts/train_diffspectra.py --part generator2 --steps 10500 --batch 512 --every 250 \
        --device cuda --state-dir S --out S            # +94 s; val loss 1.4019 -> 1.3974 (null 1.5147)
then copy S/generator.pt and S/generator_log.csv into assets/diffspectra/ and record them
(scripts/manifest.py). scripts/gpu_diffspectra.sh runs the third step and the ablation in one GPU session. On one CPU thread the same 7,000 steps of 512 would take several hours.
"""
from __future__ import annotations

import argparse
import copy
import csv
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from core.diffspectra import diffusion as dm  # noqa: E402
from core.diffspectra.chem import ASSETS, parse_formula, universe  # noqa: E402
from core.diffspectra.graphs import mol_to_graph  # noqa: E402
from core.diffspectra.formula_head import FormulaHead  # noqa: E402
from core.diffspectra.library import Retriever, padded_peaks, structure_fingerprints  # noqa: E402
from core.diffspectra.measurement import Measurement, distort_batch  # noqa: E402
from scripts import manifest  # noqa: E402

# wider than the default query model, so the solvers are robust to the page's measurement sliders
TRAIN_MEASUREMENT = Measurement(scale_error=0.015, width_min=8.0, width_max=30.0, jitter=0.35, noise=0.015)
SEED = 0


class TrainingData:
    """Tensors of the training split: stick spectra of both conformers, graphs, formulas, fingerprints."""

    def __init__(self, split: str = "train", device="cpu", vocab: tuple = ()):
        table = universe()
        self.device = torch.device(device)
        self.rows = np.flatnonzero((table["split"] == split).to_numpy())
        self.sticks = [tuple(torch.from_numpy(a) for a in padded_peaks(self.rows, c)) for c in (0, 1)]
        graphs = [mol_to_graph(s) for s in table["smiles"].to_numpy()[self.rows]]
        self.atoms = torch.from_numpy(np.stack([a for a, _ in graphs]))
        self.bonds = torch.from_numpy(np.stack([b for _, b in graphs]))
        self.formula = torch.cat([dm.formula_vector(parse_formula(f))
                                  for f in table["formula"].to_numpy()[self.rows]])
        self.fingerprints = torch.from_numpy(structure_fingerprints()[self.rows])
        index = {f: i for i, f in enumerate(vocab)}
        self.formula_class = torch.tensor([index.get(f, -100) for f in table["formula"].to_numpy()[self.rows]])
        self.sticks = [tuple(t.to(self.device) for t in sticks) for sticks in self.sticks]
        for name in ("atoms", "bonds", "formula", "fingerprints", "formula_class"):
            setattr(self, name, getattr(self, name).to(self.device))

    def __len__(self):
        return len(self.rows)

    def spectra(self, idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Fresh measured features for molecules ``idx``, each from a random conformer."""
        conformer = torch.randint(0, 2, (len(idx),), generator=gen, device=self.device)
        out = torch.empty(len(idx), 351, device=self.device)
        for c in (0, 1):
            pick = conformer == c
            if pick.any():
                f, a, m = (t[idx[pick]] for t in self.sticks[c])
                out[pick] = distort_batch(f, a, m, TRAIN_MEASUREMENT, gen)
        return out

    def marginals(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Class frequencies of atoms and (off-diagonal) bonds: DiGress's limit distribution."""
        atom = torch.bincount(self.atoms.reshape(-1).cpu(), minlength=dm.N_ATOM).float()
        off = ~torch.eye(self.bonds.shape[1], dtype=torch.bool)
        bond = torch.bincount(self.bonds.cpu()[:, off].reshape(-1), minlength=dm.N_BOND).float()
        return atom / atom.sum(), bond / bond.sum()


def learning_rate(step: int, total: int, peak: float, warmup: int = 100) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * (step - warmup) / max(1, total - warmup))))


def export(model, path: Path, extra: dict | None = None) -> None:
    state = {k: v.detach().half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    state.update(extra or {})
    torch.save(state, path)


def train(part: str, steps: int, batch: int, lr: float, every: int, state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    data = TrainingData()
    marginals = data.marginals()
    model = dm.GraphDenoiser() if part == "generator" else Retriever()
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(SEED)
    state_path, step, cpu_spent, log = state_dir / f"{part}_state.pt", 0, 0.0, []
    if state_path.exists():
        state = torch.load(state_path, weights_only=False)   # our own resume file (optimiser state, RNG)
        model.load_state_dict(state["model"]), ema.load_state_dict(state["ema"]), opt.load_state_dict(state["opt"])
        step, cpu_spent, log = state["step"], state["cpu"], state["log"]
        gen.set_state(state["gen"])
        print(f"resumed {part} at step {step}", flush=True)
    print(f"{part}: {dm.n_params(model):,} parameters, {len(data)} training molecules", flush=True)
    start, losses = time.process_time(), []
    while step < steps:
        idx = torch.randint(0, len(data), (batch,), generator=gen)
        spectra = data.spectra(idx, gen)
        if part == "generator":
            known = (torch.rand(batch, 1, generator=gen) < 0.5).float()      # formula dropout
            loss = dm.diffusion_loss(model, data.atoms[idx], data.bonds[idx], spectra, data.formula[idx] * known,
                                     marginals, gen)
        else:
            loss = model.loss(spectra, data.fingerprints[idx])
        for group in opt.param_groups:
            group["lr"] = learning_rate(step, steps, lr)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            for p_ema, p in zip(ema.parameters(), model.parameters()):
                p_ema.lerp_(p, 1 - 0.995)
        losses.append(loss.item())
        step += 1
        if step % every == 0 or step == steps:
            cpu = cpu_spent + time.process_time() - start
            log.append(dict(step=step, loss=float(np.mean(losses)), cpu_seconds=round(cpu, 1)))
            losses = []
            print(f"{part} step {step}/{steps} loss {log[-1]['loss']:.4f} cpu {cpu:.0f} s", flush=True)
            torch.save(dict(model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), step=step,
                            cpu=cpu, log=log, gen=gen.get_state()), state_path)
            extra = dict(atom_marginal=marginals[0], bond_marginal=marginals[1]) if part == "generator" else None
            export(ema, ASSETS / f"{part}.pt", extra)
            with open(ASSETS / f"{part}_log.csv", "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=["step", "loss", "cpu_seconds"])
                writer.writeheader()
                writer.writerows(log)
            manifest.record([ASSETS / f"{part}.pt", ASSETS / f"{part}_log.csv"], "scripts/train_diffspectra.py", SEED)


def formula_vocabulary() -> tuple:
    """Every formula of the training split, sorted: the classes the formula proposer can name."""
    table = universe()
    return tuple(sorted(set(table["formula"][table["split"] == "train"])))


class Validation:
    """Fixed validation batch: measured spectra, noise and steps drawn once (seed 1), so losses compare."""

    def __init__(self, vocab, device, n: int = 256):
        self.data = TrainingData("val", device, vocab)
        gen = torch.Generator(device=self.data.device).manual_seed(1)
        self.idx = torch.arange(min(n, len(self.data)), device=self.data.device)
        self.spectra = self.data.spectra(self.idx, gen)
        self.seed = 2

    @torch.no_grad()
    def scores(self, model, head, marginals) -> dict:
        d, idx, out = self.data, self.idx, {}
        for name, spectra in (("val_loss", self.spectra), ("val_null_loss", dm.null_spectrum(self.spectra))):
            gen = torch.Generator(device=d.device).manual_seed(self.seed)     # same noise for both
            losses = [dm.diffusion_loss(model, d.atoms[idx], d.bonds[idx], spectra, d.formula[idx], marginals, gen,
                                        reduce=False) for _ in range(4)]
            out[name] = float(torch.stack(losses).mean())
        known = d.formula_class[idx] >= 0
        top1 = head(self.spectra).argmax(-1) == d.formula_class[idx]
        out["val_formula_top1"] = float(top1[known].float().mean()) if known.any() else 0.0
        return out


def train_v2(steps, batch: int, lr: float, every: int, state_dir: Path, device: str, p_uncond: float,
             max_seconds: float, out_dir: Path) -> None:
    """The version-2 generator (see the module docstring); resumable, CPU or GPU."""
    state_dir.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = torch.device(device)
    vocab = formula_vocabulary()
    data = TrainingData("train", device, vocab)
    val = Validation(vocab, device)
    marginals = tuple(m.to(device) for m in data.marginals())
    torch.manual_seed(SEED)                   # module initialisation (script only)
    model, head = dm.GraphDenoiser(tower=True), FormulaHead(len(vocab))
    pretrained = torch.load(ASSETS / "retriever.pt", map_location="cpu", weights_only=True)
    model.tower.mlp.load_state_dict({k[len("spectrum."):]: v.float() for k, v in pretrained.items()
                                     if k.startswith("spectrum.")})
    model, head = model.to(device), head.to(device)
    ema, ema_head = (copy.deepcopy(m).requires_grad_(False) for m in (model, head))
    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    gen = torch.Generator(device=device).manual_seed(SEED)
    state_path = state_dir / "generator2_state.pt"
    step, spent, log, best = 0, 0.0, [], None
    if state_path.exists():
        state = torch.load(state_path, map_location=device, weights_only=False)   # our own resume file
        for module, key in ((model, "model"), (head, "head"), (ema, "ema"), (ema_head, "ema_head"), (opt, "opt")):
            module.load_state_dict(state[key])
        step, spent, log, best = state["step"], state["seconds"], state["log"], state["best"]
        steps = state["steps"] if steps == "auto" else steps
        gen.set_state(state["gen"].cpu())
        print(f"resumed generator2 at step {step}/{steps}", flush=True)
    print(f"generator2: {dm.n_params(model):,} + {dm.n_params(head):,} parameters, {len(data)} training "
          f"molecules, {len(vocab)} formulas, device {device}", flush=True)
    start, losses, timing = time.perf_counter(), [], steps == "auto"
    total = 10 ** 9 if timing else int(steps)
    while step < total:
        idx = torch.randint(0, len(data), (batch,), generator=gen, device=device)
        spectra = data.spectra(idx, gen)
        loss = dm.diffusion_loss(model, data.atoms[idx], data.bonds[idx], spectra, data.formula[idx], marginals,
                                 gen, p_uncond=p_uncond)
        drop = torch.rand(batch, 1, generator=gen, device=device) < p_uncond      # null spectrum -> prior
        head_in = torch.where(drop, dm.null_spectrum(spectra), spectra)
        loss_formula = torch.nn.functional.cross_entropy(head(head_in), data.formula_class[idx], ignore_index=-100)
        for group in opt.param_groups:
            group["lr"] = learning_rate(step, total, lr)
        opt.zero_grad()
        (loss + 0.2 * loss_formula).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            torch._foreach_lerp_(list(ema.parameters()) + list(ema_head.parameters()), params, 1 - 0.999)
        losses.append(torch.stack([loss.detach(), loss_formula.detach()]))
        step += 1
        if timing and step == 50:
            if device.type == "cuda":
                torch.cuda.synchronize()
            rate = 50 / (time.perf_counter() - start)
            total = max(500, int(rate * max_seconds * 0.95) // 500 * 500)
            steps = total
            print(f"generator2: {rate:.1f} steps/s -> --steps {total}", flush=True)
        seconds = spent + time.perf_counter() - start
        out_of_time = max_seconds and seconds > max_seconds
        if step % every == 0 or step == total or out_of_time:
            mean = torch.stack(losses).mean(0).tolist()
            ema.eval(), ema_head.eval()
            row = dict(step=step, loss=mean[0], formula_loss=mean[1], **val.scores(ema, ema_head, marginals),
                       seconds=round(seconds, 1))
            losses = []
            log.append(row)
            is_best = best is None or row["val_loss"] < best
            best = row["val_loss"] if is_best else best
            print(" ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items())
                  + (" *" if is_best else ""), flush=True)
            if is_best:
                extra = dict(atom_marginal=marginals[0].cpu(), bond_marginal=marginals[1].cpu(), config=model.config,
                             formula_vocab=list(vocab))
                extra.update({f"formula_head.{k}": v.detach().cpu().half() for k, v in ema_head.state_dict().items()})
                export(ema.cpu(), out_dir / "generator.pt", extra)
                ema.to(device)
            with open(out_dir / "generator_log.csv", "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(log[-1]))
                writer.writeheader()
                writer.writerows(log)
            torch.save(dict(model=model.state_dict(), head=head.state_dict(), ema=ema.state_dict(),
                            ema_head=ema_head.state_dict(), opt=opt.state_dict(), step=step, seconds=seconds, log=log,
                            best=best, steps=steps, gen=gen.get_state()), state_path)
            if out_dir.resolve() == ASSETS.resolve():
                manifest.record([ASSETS / "generator.pt", ASSETS / "generator_log.csv"], "scripts/train_diffspectra.py",
                                SEED)
        if out_of_time:
            print(f"generator2: stopped by --max-seconds at step {step}/{total}; rerun to continue", flush=True)
            break


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("retriever", "generator", "generator2"), required=True)
    parser.add_argument("--steps", default="3000", help="a number, or 'auto' (generator2: fit --max-seconds)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--state-dir", type=Path, default=Path("/tmp/diffspectra_train"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--p-uncond", type=float, default=0.15)
    parser.add_argument("--max-seconds", type=float, default=0.0, help="stop (and checkpoint) after this wall time")
    parser.add_argument("--out", type=Path, default=ASSETS, help="where generator2 writes generator.pt and its log")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.part == "generator2":
        train_v2(args.steps if args.steps == "auto" else int(args.steps), args.batch, args.lr, args.every,
                 args.state_dir, args.device, args.p_uncond, args.max_seconds, args.out)
        return
    torch.manual_seed(SEED)
    train(args.part, int(args.steps), args.batch, args.lr, args.every, args.state_dir)


if __name__ == "__main__":
    main()
