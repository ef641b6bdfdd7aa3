"""Generate-and-verify: sample candidate graphs from the diffusion model, then rank them by how well
the forward simulator's spectrum of each candidate agrees with the query (DiffSpectra's sampler plus
the re-ranking step that a forward model makes possible; the paper ranks by independent samples).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch

from core import assets
from core.device import pick_device, seeded_generator

from . import diffusion as dm
from .chem import check_formula, formula_of
from .graphs import formula_atoms, graph_to_smiles, valence_decode
from .library import as_features
from .simulator import broaden, features, simulate_peaks


@dataclass
class Generation:
    samples: list                     # SMILES or None (invalid) for every sample, in sampling order
    ranked: list                      # [(smiles, agreement cosine)] unique valid candidates, best first
    trajectory: list = field(default_factory=list)   # [(step, atoms (S, 9), bonds (S, 9, 9))]
    n_formula_mismatch: int = 0       # valid candidates dropped because their formula differs
    raw_valid: int = 0                # samples valid as sampled, before valence-constrained decoding

    @property
    def validity(self) -> float:
        return float(np.mean([s is not None for s in self.samples])) if self.samples else 0.0

    @property
    def raw_validity(self) -> float:
        return self.raw_valid / len(self.samples) if self.samples else 0.0

    @property
    def uniqueness(self) -> float:
        valid = [s for s in self.samples if s is not None]
        return len(set(valid)) / len(valid) if valid else 0.0


@lru_cache(maxsize=2)
def load_generator(device: str = "cpu"):
    """The committed denoiser (EMA weights) and its marginals, in eval mode on ``device``."""
    state = assets.weights("diffspectra", "generator.pt")
    marginals = (state.pop("atom_marginal").float().to(device), state.pop("bond_marginal").float().to(device))
    model = dm.GraphDenoiser()
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return model.to(device).eval(), marginals


def agreement(query_features: np.ndarray, smiles: str) -> float:
    """Cosine between the query and the simulator's clean spectrum of a candidate (-1 if it fails)."""
    try:
        candidate = features(broaden(*simulate_peaks(smiles, 0)))
    except Exception:           # no conformer / no MMFF parameters for an odd candidate
        return -1.0
    return float(candidate @ query_features / max(np.linalg.norm(candidate) * np.linalg.norm(query_features), 1e-12))


def rerank(query_features, candidates, formula: str | None = None):
    """Unique valid candidates (with the right formula, when known), ranked by simulator agreement."""
    unique = list(dict.fromkeys(s for s in candidates if s is not None))
    kept = [s for s in unique if formula is None or formula_of(s) == formula]
    ranked = sorted(((s, agreement(query_features, s)) for s in kept), key=lambda p: -p[1])
    return ranked, len(unique) - len(kept)


def decode(atoms, bonds, bond_probs, repair: bool = True) -> tuple[str | None, bool]:
    """SMILES of a sampled graph (and whether it was valid as sampled); invalid ones are re-decoded
    from the last step's bond probabilities under valence limits when ``repair``."""
    smiles = graph_to_smiles(atoms, bonds)
    if smiles is not None or not repair:
        return smiles, smiles is not None
    return graph_to_smiles(atoms, valence_decode(atoms, bond_probs)), False


def generate(spectrum, n_samples: int = 20, formula: str | None = None, seed: int = 0, temperature: float = 1.0,
             trajectory_every: int = 0, progress=None, device=None, repair: bool = True) -> Generation:
    """Sample ``n_samples`` graphs conditioned on the spectrum (and formula), decode, verify, rank.

    With a formula its heavy atoms are clamped (inpainting) and only the bonds are generated.
    """
    device = pick_device(device)
    model, marginals = load_generator(str(device))
    counts = check_formula(formula) if formula else None
    fixed = torch.from_numpy(formula_atoms(counts)).to(device) if counts else None
    query = as_features(spectrum)
    spec = torch.as_tensor(query, dtype=torch.float32, device=device)[None]
    atoms, bonds, trajectory, bond_probs = dm.sample(
        model, spec, dm.formula_vector(counts).to(device), marginals, n_samples, temperature=temperature,
        gen=seeded_generator(seed, device), trajectory_every=trajectory_every, progress=progress, fixed_atoms=fixed)
    atoms, bonds, bond_probs = atoms.cpu().numpy(), bonds.cpu().numpy(), bond_probs.cpu().numpy()
    decoded = [decode(a, b, p, repair) for a, b, p in zip(atoms, bonds, bond_probs)]
    samples = [s for s, _ in decoded]
    ranked, dropped = rerank(query, samples, formula)
    trajectory = [(t, a.cpu().numpy(), b.cpu().numpy()) for t, a, b in trajectory]
    return Generation(samples, ranked, trajectory, dropped, sum(ok for _, ok in decoded))


def elucidate(spectrum, k: int = 10, formula: str | None = None, seed: int = 0, n_samples: int | None = None,
              temperature: float = 1.0, device=None) -> list[str]:
    """The core API: up to k candidate SMILES for a spectrum, best first (max(k, 20) samples drawn)."""
    result = generate(spectrum, n_samples or max(k, 20), formula, seed, temperature, device=device)
    return [s for s, _ in result.ranked[:k]]
