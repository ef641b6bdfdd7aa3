"""Does the spectrum do the work? The controls of the held-out ablation (issue 20).

DiffSpectra's claim is a learned spectrum -> structure map. With generate-and-verify re-ranking, hits
can also come from the formula (it fixes the heavy atoms) and from the simulator picking the right
graph out of many. The controls separate the three. Each samples candidates from a different source
and verifies them against the TRUE query spectrum with the same re-ranking:

  true      the generator conditioned on the query spectrum (the method);
  null      conditioned on the null spectrum (all zeros: the unconditional branch of guidance);
  shuffled  conditioned on another held-out molecule's measured spectrum (a fixed derangement);
  random    no model: random valence-respecting graphs on the formula's heavy atoms (without the
            formula, the heavy atoms of a formula drawn from the training split's frequencies).

Sampling is batched over many queries (one device call per chunk); decoding and the simulator
re-ranking are per query and CPU-bound (``verify_task`` runs in worker processes).
"""
from __future__ import annotations

import time

import numpy as np
import torch

from . import diffusion as dm
from .chem import parse_formula, universe
from .evaluate import QueryResult, measured_query, summarise
from .graphs import formula_atoms, valence_decode
from .library import as_features

CONDITIONS = ("true", "null", "shuffled")


def derangement(n: int, seed: int = 0) -> np.ndarray:
    """A fixed permutation with no fixed point: query i is conditioned on query perm[i]'s spectrum."""
    order = np.random.default_rng(seed).permutation(n)
    perm = np.empty(n, int)
    perm[order] = np.roll(order, 1)
    return perm


def query_features(rows) -> np.ndarray:
    return np.stack([as_features(measured_query(int(r))) for r in rows])


def condition_features(kind: str, queries: np.ndarray) -> np.ndarray:
    if kind == "true":
        return queries
    if kind == "null":
        return np.zeros_like(queries)
    if kind == "shuffled":
        return queries[derangement(len(queries))]
    raise ValueError(kind)


def sample_condition(bundle, conditions: np.ndarray, formulas, n_samples: int, seed: int = 0,
                     guidance: float = 1.0, steps: int = dm.STEPS, temperature: float = 1.0, chunk: int = 8192,
                     top_formulas: int | None = None):
    """Samples for many queries at once: [(atoms, bonds, bond_probs)] numpy arrays, one per query.
    ``top_formulas``: without a formula, how many proposed formulas share the samples."""
    from .generator import TOP_FORMULAS, plan
    device = bundle.marginals[0].device
    plans = [plan(bundle, c, f, n_samples, top_formulas or TOP_FORMULAS) for c, f in zip(conditions, formulas)]
    proposals = [p[3] for p in plans]
    spec = torch.cat([p[0] for p in plans])
    vec = torch.cat([p[1] for p in plans])
    fixed = None if plans[0][2] is None else torch.cat([p[2] for p in plans])
    gen = torch.Generator(device=device).manual_seed(seed)
    outs = []
    for lo in range(0, len(spec), chunk):
        part = slice(lo, lo + chunk)
        atoms, bonds, _, probs = dm.sample_many(bundle.model, spec[part], vec[part], bundle.marginals,
                                                None if fixed is None else fixed[part], temperature=temperature,
                                                guidance=guidance, steps=steps, gen=gen)
        outs.append((atoms.cpu().numpy(), bonds.cpu().numpy(), probs.cpu().numpy().astype(np.float32)))
    atoms, bonds, probs = (np.concatenate([o[i] for o in outs]) for i in range(3))
    return [(atoms[i:i + n_samples], bonds[i:i + n_samples], probs[i:i + n_samples], proposals[q])
            for q, i in enumerate(range(0, len(atoms), n_samples))]


def random_graphs(formula: str | None, n_samples: int, seed: int):
    """Model-free candidates: random bond probabilities decoded under valence limits on fixed atoms."""
    rng = np.random.default_rng(seed)
    if formula is None:
        table = universe()
        train = table["formula"][table["split"] == "train"].to_numpy()
        formulas = rng.choice(train, n_samples)
    else:
        formulas = [formula] * n_samples
    atoms = np.stack([formula_atoms(parse_formula(f)) for f in formulas])
    probs = rng.dirichlet(np.ones(dm.N_BOND), size=(n_samples, 9, 9))
    probs = 0.5 * (probs + probs.transpose(0, 2, 1, 3))
    bonds = np.stack([valence_decode(a, p) for a, p in zip(atoms, probs)])
    return atoms, bonds, probs


def verify_task(task) -> dict:
    """Worker: decode + simulator re-ranking of one query's samples (or random graphs)."""
    from .generator import verify
    torch.set_num_threads(1)
    key, row, query, formula, sampled = task
    start = time.perf_counter()
    if isinstance(sampled, int):                     # the model-free control: that many random graphs
        sampled = random_graphs(formula, sampled, int(row)) + ([],)
    atoms, bonds, probs, proposals = sampled
    out = verify(query, atoms, bonds, probs, formula)
    valid = [s for s in out.samples if s is not None]
    return dict(key=key, row=int(row), candidates=[s for s, _ in out.ranked[:20]], n_samples=len(out.samples),
                n_valid=len(valid), n_unique=len(set(valid)), n_raw_valid=out.raw_valid,
                seconds=time.perf_counter() - start, proposals=[f for f, _, _ in proposals])


def to_results(outputs: list[dict]) -> list[QueryResult]:
    table = universe()
    return [QueryResult(table["smiles"].iat[o["row"]], o["candidates"], o["n_samples"], o["n_valid"], o["n_unique"],
                        o["seconds"], o["n_raw_valid"]) for o in outputs]


def summary_rows(outputs: list[dict], **labels) -> list[dict]:
    """Overall and per-heavy-atom rows of one condition (labels go in front of every row)."""
    results = to_results(outputs)
    heavy = universe()["heavy_atoms"].to_numpy()
    rows = [dict(labels, heavy_atoms="all", **summarise(results))]
    formula_hits = [o["proposals"] for o in outputs]
    if any(formula_hits):
        truth = universe()["formula"].to_numpy()
        rows[0]["formula_proposed"] = float(np.mean([truth[o["row"]] in o["proposals"] for o in outputs]))
    for n in sorted(set(heavy[[o["row"] for o in outputs]])):
        group = [r for r, o in zip(results, outputs) if heavy[o["row"]] == n]
        rows.append(dict(labels, heavy_atoms=str(n), **summarise(group)))
    return rows
