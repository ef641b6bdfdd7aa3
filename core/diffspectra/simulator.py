"""The forward model: a harmonic IR spectrum from an MMFF94 force field (the project's own simulator).

DiffSpectra's QM9S spectra are DFT; here the level of theory is a classical force field:
  1. ETKDG conformer, MMFF94-optimised (RDKit);
  2. Hessian by central finite differences of MMFF's analytic gradients;
  3. mass-weighting, translations/rotations projected out, eigen-decomposition -> 3N-6 normal modes;
  4. IR intensity of mode k = |d mu / d Q_k|^2 with mu = sum_i q_i r_i (fixed MMFF partial charges);
  5. Lorentzian broadening onto a 500-4000 cm-1 grid (10 cm-1 bins), max-normalised (linear scale);
     the networks read ``features(spectrum)`` = its square root, which lifts the weak bands.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from rdkit import Chem
from rdkit.Chem import AllChem

GRID = np.arange(500.0, 4000.0 + 1e-9, 10.0)      # 351 bins, the model's input
FD_STEP = 1e-3                                     # Angstrom, central differences
# sqrt(kcal/mol/A^2/amu) -> cm-1: sqrt(4184 J / 6.022e23 / 1e-20 m^2 / 1.6605e-27 kg) / (2 pi c)
TO_WAVENUMBER = 108.591
DEFAULT_WIDTH = 15.0                               # Lorentzian half width (cm-1)


def embed(smiles: str, seed: int = 0) -> Chem.Mol:
    """Hydrogen-complete molecule with one MMFF94-optimised ETKDG conformer (ValueError if impossible)."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"not a valid SMILES: {smiles!r}")
    mol = Chem.AddHs(mol)
    params = AllChem.ETKDGv3()
    params.randomSeed = int(seed)
    if AllChem.EmbedMolecule(mol, params) != 0:
        raise ValueError(f"no 3D conformer could be embedded for {smiles!r}")
    if not AllChem.MMFFHasAllMoleculeParams(mol):
        raise ValueError(f"MMFF94 has no parameters for {smiles!r}")
    AllChem.MMFFOptimizeMolecule(mol, maxIters=2000)
    return mol


def _gradient(ff, x: np.ndarray) -> np.ndarray:
    pos = x.tolist()
    ff.CalcEnergy(pos)            # RDKit's CalcGrad is stale unless the energy is evaluated first
    return np.asarray(ff.CalcGrad(pos))


def hessian(mol: Chem.Mol) -> np.ndarray:
    """(3N, 3N) Cartesian Hessian, kcal/mol/A^2, from central differences of MMFF gradients."""
    props = AllChem.MMFFGetMoleculeProperties(mol)
    ff = AllChem.MMFFGetMoleculeForceField(mol, props)
    x0 = mol.GetConformer().GetPositions().reshape(-1)
    columns = []
    for i in range(x0.size):
        step = np.zeros_like(x0)
        step[i] = FD_STEP
        columns.append((_gradient(ff, x0 + step) - _gradient(ff, x0 - step)) / (2 * FD_STEP))
    h = np.array(columns)
    return 0.5 * (h + h.T)


def _rigid_motions(coords: np.ndarray, masses: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the mass-weighted translations and rotations (5 or 6 vectors)."""
    sqrt_m = np.sqrt(masses)[:, None]
    centred = coords - (masses[:, None] * coords).sum(0) / masses.sum()
    vectors = []
    for axis in np.eye(3):
        vectors.append((sqrt_m * axis).reshape(-1))
        vectors.append((sqrt_m * np.cross(axis, centred)).reshape(-1))
    q, s, _ = np.linalg.svd(np.array(vectors).T, full_matrices=False)
    return q[:, s > 1e-6 * s.max()]


def normal_modes(mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (cm-1, ascending) and IR intensities (arbitrary units) of the 3N-6 (3N-5) modes."""
    masses = np.array([a.GetMass() for a in mol.GetAtoms()])
    coords = mol.GetConformer().GetPositions()
    inv_sqrt_m = np.repeat(1 / np.sqrt(masses), 3)
    h_mw = hessian(mol) * inv_sqrt_m[:, None] * inv_sqrt_m[None, :]
    rigid = _rigid_motions(coords, masses)
    project = np.eye(h_mw.shape[0]) - rigid @ rigid.T
    values, vectors = np.linalg.eigh(project @ h_mw @ project)
    keep = np.argsort(np.abs(values))[rigid.shape[1]:]      # drop the (near-)zero rigid motions
    keep = keep[np.argsort(values[keep])]
    freqs = TO_WAVENUMBER * np.sign(values[keep]) * np.sqrt(np.abs(values[keep]))
    props = AllChem.MMFFGetMoleculeProperties(mol)
    charges = np.array([props.GetMMFFPartialCharge(i) for i in range(mol.GetNumAtoms())])
    cartesian = (vectors[:, keep] * inv_sqrt_m[:, None]).reshape(len(masses), 3, -1)
    dipole_derivative = np.einsum("i,iam->am", charges, cartesian)     # d mu / d Q for each mode
    return freqs, (dipole_derivative ** 2).sum(0)


@lru_cache(maxsize=4096)
def simulate_peaks(smiles: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Stick spectrum of one conformer: (frequencies cm-1, intensities normalised to max 1)."""
    freqs, intensities = normal_modes(embed(smiles, seed))
    intensities = intensities / max(intensities.max(), 1e-12)
    freqs.setflags(write=False)
    intensities.setflags(write=False)
    return freqs, intensities


def broaden(freqs, intensities, width: float = DEFAULT_WIDTH, grid: np.ndarray = GRID) -> np.ndarray:
    """Lorentzian line shapes on ``grid``, max-normalised (linear intensity, strongest band = 1)."""
    freqs, intensities = np.asarray(freqs, float), np.asarray(intensities, float)
    shape = width ** 2 / ((grid[:, None] - freqs[None, :]) ** 2 + width ** 2)
    spectrum = shape @ intensities
    return spectrum / max(spectrum.max(), 1e-12)


def features(spectrum) -> np.ndarray:
    """What every solver reads: sqrt of the max-normalised, non-negative spectrum (on GRID)."""
    spectrum = np.clip(np.nan_to_num(np.asarray(spectrum, float)), 0.0, None)
    return np.sqrt(spectrum / max(spectrum.max(), 1e-12))


def simulate_ir(smiles: str, seed: int = 0, width: float = DEFAULT_WIDTH) -> tuple[np.ndarray, np.ndarray]:
    """The core API: (wavenumbers, intensities) of the broadened MMFF94 IR spectrum of ``smiles``."""
    freqs, intensities = simulate_peaks(smiles, seed)
    return GRID.copy(), broaden(freqs, intensities, width)
