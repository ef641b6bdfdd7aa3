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
from core.diffspectra.library import Retriever, padded_peaks, structure_fingerprints  # noqa: E402
from core.diffspectra.measurement import Measurement, distort_batch  # noqa: E402
from scripts import manifest  # noqa: E402

# wider than the default query model, so the solvers are robust to the page's measurement sliders
TRAIN_MEASUREMENT = Measurement(scale_error=0.015, width_min=8.0, width_max=30.0, jitter=0.35, noise=0.015)
SEED = 0


class TrainingData:
    """Tensors of the training split: stick spectra of both conformers, graphs, formulas, fingerprints."""

    def __init__(self, split: str = "train"):
        table = universe()
        self.rows = np.flatnonzero((table["split"] == split).to_numpy())
        self.sticks = [tuple(torch.from_numpy(a) for a in padded_peaks(self.rows, c)) for c in (0, 1)]
        graphs = [mol_to_graph(s) for s in table["smiles"].to_numpy()[self.rows]]
        self.atoms = torch.from_numpy(np.stack([a for a, _ in graphs]))
        self.bonds = torch.from_numpy(np.stack([b for _, b in graphs]))
        self.formula = torch.cat([dm.formula_vector(parse_formula(f))
                                  for f in table["formula"].to_numpy()[self.rows]])
        self.fingerprints = torch.from_numpy(structure_fingerprints()[self.rows])

    def __len__(self):
        return len(self.rows)

    def spectra(self, idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Fresh measured features for molecules ``idx``, each from a random conformer."""
        conformer = torch.randint(0, 2, (len(idx),), generator=gen)
        out = torch.empty(len(idx), 351)
        for c in (0, 1):
            pick = conformer == c
            if pick.any():
                f, a, m = (t[idx[pick]] for t in self.sticks[c])
                out[pick] = distort_batch(f, a, m, TRAIN_MEASUREMENT, gen)
        return out

    def marginals(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Class frequencies of atoms and (off-diagonal) bonds: DiGress's limit distribution."""
        atom = torch.bincount(self.atoms.reshape(-1), minlength=dm.N_ATOM).float()
        off = ~torch.eye(self.bonds.shape[1], dtype=torch.bool)
        bond = torch.bincount(self.bonds[:, off].reshape(-1), minlength=dm.N_BOND).float()
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("retriever", "generator"), required=True)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--state-dir", type=Path, default=Path("/tmp/diffspectra_train"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    train(args.part, args.steps, args.batch, args.lr, args.every, args.state_dir)


if __name__ == "__main__":
    main()
