"""Held-out evaluation (the paper's Sec. 4 metrics, on this page's data).

Every query is a *measurement* (conformer 1 + distortions, seeded by the molecule's row), never the
library's own spectrum. Exact match = same constitution (first InChIKey block; see chem.py).
Acc@K = the truth is among the first K candidates of one ranked list.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .chem import same_molecule, tanimoto, universe
from .library import library_ranked, peaks, retriever_ranked
from .measurement import Measurement, distort

KS = (1, 5, 10, 20)


def heldout_rows(split: str = "heldout", limit: int | None = None) -> np.ndarray:
    """Universe rows of a split; a fixed random subset (rng 0) when ``limit`` is smaller."""
    rows = np.flatnonzero((universe()["split"] == split).to_numpy())
    if limit is not None and limit < len(rows):
        rows = np.sort(np.random.default_rng(0).choice(rows, limit, replace=False))
    return rows


def measured_query(row: int, m: Measurement = Measurement()) -> np.ndarray:
    """The evaluation query of universe row ``row``: its stored conformer-1 sticks, distorted."""
    return distort(*peaks(row, 1), m, np.random.default_rng(int(row)))


@dataclass
class QueryResult:
    truth: str
    candidates: list          # ranked SMILES
    n_samples: int = 0        # generator only: samples drawn
    n_valid: int = 0
    n_unique: int = 0
    seconds: float = 0.0
    n_raw_valid: int = 0      # valid as sampled, before valence-constrained decoding

    def hit_rank(self) -> int | None:
        """1-based rank of the first exact match, None if absent."""
        for rank, smiles in enumerate(self.candidates, 1):
            if same_molecule(smiles, self.truth):
                return rank
        return None

    def best_tanimoto(self, k: int = 20) -> float:
        return max((tanimoto(s, self.truth) for s in self.candidates[:k]), default=0.0)


def accuracy_at(results: list[QueryResult], ks=KS) -> dict:
    ranks = [r.hit_rank() for r in results]
    return {f"acc@{k}": float(np.mean([r is not None and r <= k for r in ranks])) for k in ks}


def summarise(results: list[QueryResult]) -> dict:
    """One row of the held-out table."""
    row = dict(n_queries=len(results), **accuracy_at(results))
    row["best_tanimoto@20"] = float(np.mean([r.best_tanimoto() for r in results]))
    drawn = sum(r.n_samples for r in results)
    row["validity"] = sum(r.n_valid for r in results) / drawn if drawn else 1.0
    row["raw_validity"] = sum(r.n_raw_valid for r in results) / drawn if drawn else 1.0
    row["uniqueness"] = sum(r.n_unique for r in results) / max(1, sum(r.n_valid for r in results)) if drawn else 1.0
    row["seconds_per_query"] = float(np.mean([r.seconds for r in results]))
    return row


def run_retrieval(rows, solver: str, with_formula: bool, split: str | None = None, k: int = 20):
    """Library search or the retriever on measured queries of ``rows``."""
    table = universe()
    rank = library_ranked if solver == "library" else retriever_ranked
    results = []
    for row in rows:
        start = time.perf_counter()
        formula = table["formula"].iat[row] if with_formula else None
        ranked = rank(measured_query(row), k, formula, split)
        results.append(QueryResult(table["smiles"].iat[row], [s for s, _ in ranked],
                                   seconds=time.perf_counter() - start))
    return results


def run_generator(rows, with_formula: bool, n_samples: int = 20, temperature: float = 1.0, progress=None):
    """The diffusion model (+ generate-and-verify re-ranking) on measured queries of ``rows``."""
    from .generator import generate
    table = universe()
    results = []
    for i, row in enumerate(rows):
        start = time.perf_counter()
        formula = table["formula"].iat[row] if with_formula else None
        out = generate(measured_query(row), n_samples, formula, seed=int(row), temperature=temperature)
        valid = [s for s in out.samples if s is not None]
        results.append(QueryResult(table["smiles"].iat[row], [s for s, _ in out.ranked], n_samples,
                                   len(valid), len(set(valid)), time.perf_counter() - start, out.raw_valid))
        if progress is not None:
            progress((i + 1) / len(rows))
    return results
