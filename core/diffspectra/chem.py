"""Molecule bookkeeping: the universe CSV, the ONE exact-match criterion, formulas, similarity.

Exact match (used for every accuracy on the page): two molecules match when their *constitution* is
equal, i.e. the first block of the InChIKey (connectivity, stereo and isotopes ignored). DiffSpectra v1
compared canonical SMILES, v2 full InChIKeys after tautomer canonicalisation; a 3D-derived molecule
gets stereo tags at random, so stereo-sensitive criteria are fragile at this scale.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import numpy as np
import pandas as pd
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import rdFingerprintGenerator, rdMolDescriptors

from core import assets

RDLogger.DisableLog("rdApp.*")
ASSETS = assets.ASSETS / "diffspectra"  # where the scripts write; reads go through core.assets
ALLOWED = ("C", "N", "O", "F")          # heavy elements of the universe (QM9's, H implicit)
MAX_HEAVY = 9
_MORGAN = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)


@lru_cache(maxsize=1)
def universe() -> pd.DataFrame:
    """The committed molecule set (scripts/make_diffspectra_universe.py): one row per constitution."""
    return assets.csv("diffspectra", "molecules.csv", keep_default_na=False)


def mol_from_smiles(smiles: str) -> Chem.Mol | None:
    return Chem.MolFromSmiles(smiles) if smiles else None


@lru_cache(maxsize=65536)
def constitution_key(smiles: str) -> str | None:
    """The match criterion: InChIKey first block (None for an unparsable SMILES)."""
    mol = mol_from_smiles(smiles)
    if mol is None:
        return None
    key = Chem.MolToInchiKey(mol)
    return key.split("-")[0] if key else None


def same_molecule(a: str, b: str) -> bool:
    ka = constitution_key(a)
    return ka is not None and ka == constitution_key(b)


def canonical(smiles: str) -> str | None:
    """Canonical SMILES without stereo (how candidates are displayed and deduplicated)."""
    mol = mol_from_smiles(smiles)
    return Chem.MolToSmiles(mol, isomericSmiles=False) if mol is not None else None


def formula_of(smiles: str) -> str | None:
    mol = mol_from_smiles(smiles)
    return rdMolDescriptors.CalcMolFormula(mol) if mol is not None else None


def parse_formula(formula: str) -> Counter:
    """'C3H6O' -> Counter({'C': 3, 'H': 6, 'O': 1}); ValueError for anything else."""
    parts = re.findall(r"([A-Z][a-z]?)(\d*)", formula.strip())
    if not parts or "".join(e + n for e, n in parts) != formula.strip():
        raise ValueError(f"not a molecular formula: {formula!r}")
    counts = Counter()
    for element, n in parts:
        counts[element] += int(n or 1)
    return counts


def check_formula(formula: str) -> Counter:
    """Parse and check that a formula lies inside the universe (C/H/N/O/F, <= 9 heavy atoms)."""
    counts = parse_formula(formula)
    bad = sorted(set(counts) - set(ALLOWED) - {"H"})
    if bad:
        raise ValueError(f"unsupported element(s) {', '.join(bad)}: this model knows only C, H, N, O, F")
    heavy = sum(counts[e] for e in ALLOWED)
    if not 1 <= heavy <= MAX_HEAVY:
        raise ValueError(f"{heavy} heavy atoms: this model handles 1 to {MAX_HEAVY}")
    return counts


def check_smiles(smiles: str) -> str:
    """Canonical SMILES of a molecule inside the universe's chemistry, or ValueError saying why not."""
    mol = mol_from_smiles(smiles.strip())
    if mol is None:
        raise ValueError(f"RDKit cannot parse the SMILES {smiles!r}")
    if len(Chem.GetMolFrags(mol)) != 1:
        raise ValueError("give one molecule (this SMILES has several fragments)")
    if any(a.GetFormalCharge() for a in mol.GetAtoms()):
        raise ValueError("charged atoms are outside this model's chemistry (neutral molecules only)")
    check_formula(rdMolDescriptors.CalcMolFormula(mol))
    return Chem.MolToSmiles(mol, isomericSmiles=False)


@lru_cache(maxsize=16384)
def _fingerprint(smiles: str):
    mol = mol_from_smiles(smiles)
    return _MORGAN.GetFingerprint(mol) if mol is not None else None


def tanimoto(a: str, b: str) -> float:
    """Morgan (radius 2, 2048 bits) Tanimoto similarity, as in the paper's similarity metrics."""
    fa, fb = _fingerprint(a), _fingerprint(b)
    return float(DataStructs.TanimotoSimilarity(fa, fb)) if fa is not None and fb is not None else 0.0


def fingerprint_matrix(smiles_list, n_bits: int = 1024) -> np.ndarray:
    """Morgan fingerprints as a float32 matrix (the contrastive retriever's structure input)."""
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=n_bits)
    out = np.zeros((len(smiles_list), n_bits), np.float32)
    for row, smiles in enumerate(smiles_list):
        out[row] = gen.GetFingerprintAsNumPy(Chem.MolFromSmiles(smiles))
    return out
