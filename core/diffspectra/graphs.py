"""Heavy-atom graphs <-> molecules: the generator's representation (dense, padded to 9 nodes).

Node classes: 0 = no atom, 1-4 = C, N, O, F (hydrogens are implicit, filled by valence as in QM9
graph models). Edge classes: 0 = no bond, 1-3 = single, double, triple on the Kekulé structure
(QM9S is kekulised too, so aromaticity is recovered by RDKit when the graph is decoded).
"""
from __future__ import annotations

import numpy as np
from rdkit import Chem

from .chem import ALLOWED, MAX_HEAVY

ATOM_CLASSES = ("none",) + ALLOWED
BOND_CLASSES = ("none", "single", "double", "triple")
_BOND_ORDER = {Chem.BondType.SINGLE: 1, Chem.BondType.DOUBLE: 2, Chem.BondType.TRIPLE: 3}
_BOND_TYPE = {v: k for k, v in _BOND_ORDER.items()}


def mol_to_graph(smiles: str, n_max: int = MAX_HEAVY) -> tuple[np.ndarray, np.ndarray]:
    """(atoms (n_max,), bonds (n_max, n_max)) integer class arrays of a kekulised heavy-atom graph."""
    mol = Chem.MolFromSmiles(smiles)
    Chem.Kekulize(mol, clearAromaticFlags=True)
    atoms = np.zeros(n_max, np.int64)
    bonds = np.zeros((n_max, n_max), np.int64)
    for atom in mol.GetAtoms():
        atoms[atom.GetIdx()] = ATOM_CLASSES.index(atom.GetSymbol())
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        bonds[i, j] = bonds[j, i] = _BOND_ORDER[bond.GetBondType()]
    return atoms, bonds


def graph_to_smiles(atoms, bonds) -> str | None:
    """Canonical SMILES (no stereo) of a graph, or None if it is not one valid neutral molecule."""
    atoms, bonds = np.asarray(atoms), np.asarray(bonds)
    present = np.flatnonzero(atoms > 0)
    if present.size == 0:
        return None
    mol = Chem.RWMol()
    index = {}
    for i in present:
        index[i] = mol.AddAtom(Chem.Atom(ATOM_CLASSES[atoms[i]]))
    for a, i in enumerate(present):
        for j in present[a + 1:]:
            if bonds[i, j] > 0:
                mol.AddBond(index[i], index[j], _BOND_TYPE[int(bonds[i, j])])
    try:
        Chem.SanitizeMol(mol)
    except Exception:          # valence violations, impossible kekulé structures
        return None
    if len(Chem.GetMolFrags(mol)) != 1:
        return None
    return Chem.MolToSmiles(mol, isomericSmiles=False)


VALENCE = {"C": 4, "N": 3, "O": 2, "F": 1}


def formula_atoms(counts, n_max: int = MAX_HEAVY) -> np.ndarray:
    """The heavy atoms a formula fixes, as node classes padded with 'none' (for inpainting)."""
    atoms = [ATOM_CLASSES.index(e) for e in ALLOWED for _ in range(counts.get(e, 0))]
    return np.array(atoms + [0] * (n_max - len(atoms)), np.int64)


def _components(n_present: list[int], edges: dict) -> dict:
    parent = {i: i for i in n_present}

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i
    for i, j in edges:
        parent[find(i)] = find(j)
    return {i: find(i) for i in n_present}


def valence_decode(atoms, bond_probs) -> np.ndarray:
    """Bonds from the denoiser's final bond probabilities under valence limits (a decoding heuristic
    in the spirit of MoFlow's validity correction; not in DiffSpectra). Greedy: likely bonds first,
    each with its most probable order that both atoms can still take; then join leftover fragments
    by their most probable single bonds."""
    atoms, probs = np.asarray(atoms), np.asarray(bond_probs)
    present = [int(i) for i in np.flatnonzero(atoms > 0)]
    room = {i: VALENCE[ATOM_CLASSES[atoms[i]]] for i in present}
    pairs = sorted(((1 - probs[i, j, 0], i, j) for a, i in enumerate(present) for j in present[a + 1:]), reverse=True)
    bonds = np.zeros(probs.shape[:2], np.int64)
    for p_exists, i, j in pairs:
        cap = min(room[i], room[j], 3)
        if p_exists < 0.5 or cap == 0:
            continue
        order = 1 + int(np.argmax(probs[i, j, 1:1 + cap]))
        bonds[i, j] = bonds[j, i] = order
        room[i], room[j] = room[i] - order, room[j] - order
    for p_exists, i, j in pairs:                   # connect fragments, most likely links first
        comp = _components(present, {(a, b) for a in present for b in present if a < b and bonds[a, b]})
        if len(set(comp.values())) == 1:
            break
        if comp[i] != comp[j] and room[i] > 0 and room[j] > 0:
            bonds[i, j] = bonds[j, i] = 1
            room[i], room[j] = room[i] - 1, room[j] - 1
    return bonds
