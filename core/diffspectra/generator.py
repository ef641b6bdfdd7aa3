"""Generate-and-verify: sample candidate graphs from the diffusion model, then rank them by how well
the forward simulator's spectrum of each candidate agrees with the query (DiffSpectra's sampler plus
the re-ranking step that a forward model makes possible; the paper ranks by independent samples).

Without a formula, a version-2 checkpoint (issue 20) carries a spectrum -> formula classifier
(formula_head.py): samples are split among its most probable formulas, each sampled with its heavy
atoms clamped, and all candidates are re-ranked together. The ablation controls of the metrics
script condition the sampler on another spectrum (``condition=``) while verifying against the query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch

from core import assets
from core.device import pick_device, seeded_generator

from . import diffusion as dm
from .chem import check_formula, formula_of, parse_formula
from .formula_head import FormulaHead, allocate
from .graphs import formula_atoms, graph_to_smiles, valence_decode
from .library import as_features
from .simulator import broaden, features, simulate_peaks


# The measured best settings (held-out ablation, 300 queries, scripts/make_diffspectra_metrics.py, issue 20):
# with the formula, guidance 3 finds the molecule in the top 10 for 0.58 of queries (2: 0.57, 1: 0.48) at
# twice the network calls; without it, splitting the samples among 8 proposed formulas instead of 4 and
# guidance 3 lift Acc@10 from 0.08 (w 1, 4 formulas) to 0.12 (the true formula is in the top 8 for 49 % of
# queries, in the top 4 for 35 %).
GUIDANCE = 3.0
TOP_FORMULAS = 8


@dataclass
class Generation:
    samples: list                     # SMILES or None (invalid) for every sample, in sampling order
    ranked: list                      # [(smiles, agreement cosine)] unique valid candidates, best first
    trajectory: list = field(default_factory=list)   # [(step, atoms (S, 9), bonds (S, 9, 9))]
    n_formula_mismatch: int = 0       # valid candidates dropped because their formula differs
    raw_valid: int = 0                # samples valid as sampled, before valence-constrained decoding
    proposals: list = field(default_factory=list)    # [(formula, samples, probability)] without a formula

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


@dataclass
class Bundle:
    """A loaded generator checkpoint: denoiser, marginals and (version 2) the formula proposer."""
    model: dm.GraphDenoiser
    marginals: tuple
    head: FormulaHead | None = None
    vocab: tuple = ()

    @property
    def version(self) -> int:
        return 2 if self.model.tower is not None else 1


def bundle_from_state(state: dict, device="cpu") -> Bundle:
    """Build the modules a checkpoint describes (version 1: no 'config' entry)."""
    state = dict(state)
    marginals = (state.pop("atom_marginal").float().to(device), state.pop("bond_marginal").float().to(device))
    config = {k: (bool(v) if k == "tower" else int(v)) for k, v in state.pop("config", {}).items()}
    vocab = tuple(state.pop("formula_vocab", ()))
    floats = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    head = None
    if vocab:
        head = FormulaHead(len(vocab))
        head.load_state_dict({k[len("formula_head."):]: v for k, v in floats.items() if k.startswith("formula_head.")})
        head = head.to(device).eval()
    model_state = {("spectrum_patches." + k[len("spectrum."):] if k.startswith("spectrum.") else k): v
                   for k, v in floats.items() if not k.startswith("formula_head.")}
    model = dm.GraphDenoiser(**config)
    model.load_state_dict(model_state)
    return Bundle(model.to(device).eval(), marginals, head, vocab)


@lru_cache(maxsize=4)
def load_bundle(device: str = "cpu", name: str = "generator.pt") -> Bundle:
    """A committed generator (EMA weights, float16 on disk) on ``device``."""
    return bundle_from_state(assets.weights("diffspectra", name), device)


def load_generator(device: str = "cpu", name: str = "generator.pt"):
    """The committed denoiser and its marginals, in eval mode on ``device``."""
    bundle = load_bundle(device, name)
    return bundle.model, bundle.marginals


@torch.no_grad()
def formula_probabilities(bundle: Bundle, condition: np.ndarray) -> np.ndarray:
    """p(formula | spectrum features) over the bundle's vocabulary (version 2 only)."""
    device = next(bundle.head.parameters()).device
    x = torch.as_tensor(condition, dtype=torch.float32, device=device).reshape(1, -1)
    return bundle.head(x).softmax(-1)[0].cpu().numpy()


def plan(bundle: Bundle, condition: np.ndarray, formula: str | None, n_samples: int,
         top_formulas: int = TOP_FORMULAS):
    """What to sample for one query: per-sample spectra, formula vectors and clamped atoms, plus the
    formula proposals. A known formula clamps its heavy atoms; without one a version-2 bundle splits the
    samples among its proposed formulas (version 1 generates the atoms too)."""
    device = bundle.marginals[0].device
    spec = torch.as_tensor(condition, dtype=torch.float32, device=device).reshape(1, -1).expand(n_samples, -1)
    if formula:
        counts = check_formula(formula)
        fixed = torch.from_numpy(formula_atoms(counts)).to(device).expand(n_samples, -1)
        return spec, dm.formula_vector(counts, n_samples).to(device), fixed, []
    if bundle.head is None:
        return spec, dm.formula_vector(None, n_samples).to(device), None, []
    probs = formula_probabilities(bundle, condition)
    proposals = [(bundle.vocab[f], c, float(probs[f])) for f, c in allocate(probs, n_samples, top_formulas)]
    counts = [parse_formula(f) for f, c, _ in proposals for _ in range(c)]
    fixed = torch.from_numpy(np.stack([formula_atoms(c) for c in counts])).to(device)
    vectors = torch.cat([dm.formula_vector(c) for c in counts]).to(device)
    return spec, vectors, fixed, proposals


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


def verify(query: np.ndarray, atoms, bonds, bond_probs, formula: str | None = None, repair: bool = True,
           trajectory=(), proposals=()) -> Generation:
    """Decode sampled graphs (numpy) and re-rank the valid ones against the query's features."""
    decoded = [decode(a, b, p, repair) for a, b, p in zip(atoms, bonds, bond_probs)]
    samples = [s for s, _ in decoded]
    ranked, dropped = rerank(query, samples, formula)
    return Generation(samples, ranked, list(trajectory), dropped, sum(ok for _, ok in decoded), list(proposals))


def generate(spectrum, n_samples: int = 20, formula: str | None = None, seed: int = 0, temperature: float = 1.0,
             trajectory_every: int = 0, progress=None, device=None, repair: bool = True, guidance: float = 1.0,
             steps: int = dm.STEPS, condition=None, weights: str = "generator.pt") -> Generation:
    """Sample ``n_samples`` graphs conditioned on the spectrum (and formula), decode, verify, rank.

    With a formula its heavy atoms are clamped (inpainting) and only the bonds are generated.
    ``guidance`` is the classifier-free guidance scale on the spectrum (1 = none, 0 = ignore the
    spectrum); ``steps`` the number of reverse steps (<= 50). ``condition`` (features, or "null") lets
    the ablation sample from another spectrum than the one the candidates are verified against.
    """
    device = pick_device(device)
    bundle = load_bundle(str(device), weights)
    query = as_features(spectrum)
    if condition is None:
        condition = query
    elif isinstance(condition, str) and condition == "null":
        condition = np.zeros_like(query)
    spec, vectors, fixed, proposals = plan(bundle, condition, formula, n_samples)
    atoms, bonds, trajectory, bond_probs = dm.sample_many(
        bundle.model, spec, vectors, bundle.marginals, fixed, temperature=temperature, guidance=guidance,
        steps=steps, gen=seeded_generator(seed, device), trajectory_every=trajectory_every, progress=progress)
    trajectory = [(t, a.cpu().numpy(), b.cpu().numpy()) for t, a, b in trajectory]
    return verify(query, atoms.cpu().numpy(), bonds.cpu().numpy(), bond_probs.cpu().numpy(), formula, repair,
                  trajectory, proposals)


def elucidate(spectrum, k: int = 10, formula: str | None = None, seed: int = 0, n_samples: int | None = None,
              temperature: float = 1.0, device=None, guidance: float = GUIDANCE) -> list[str]:
    """The core API: up to k candidate SMILES for a spectrum, best first (max(k, 20) samples drawn)."""
    result = generate(spectrum, n_samples or max(k, 20), formula, seed, temperature, device=device, guidance=guidance)
    return [s for s, _ in result.ranked[:k]]
