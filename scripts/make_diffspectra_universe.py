"""Build the DiffSpectra page's molecule universe: assets/diffspectra/molecules.csv.

QM9-like = neutral, one fragment, only C/H/N/O/F, 1-9 heavy atoms, no radicals, and an ETKDG + MMFF94
conformer exists (the simulator needs one). Sources ship inside wheels, so nothing is downloaded:
  * the `chemicals` package (1.5.2): "chemical identifiers pubchem large.tsv" (PubChem ids, names)
  * RDKit's bundled NCI file Data/NCI/first_5K.smi
Molecules are canonicalised to constitution (stereo dropped), deduplicated on the first InChIKey block,
and split once with numpy default_rng(0): 80 % train, 5 % validation, 15 % held-out.

    pip install chemicals==1.5.2    # build time only; the app reads the CSV
    nice -n 10 python scripts/make_diffspectra_universe.py
"""
from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import numpy as np
from rdkit import Chem, RDConfig, RDLogger
from rdkit.Chem import AllChem, rdMolDescriptors

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts import manifest  # noqa: E402

OUT = ROOT / "assets" / "diffspectra" / "molecules.csv"
ALLOWED = {"C", "H", "N", "O", "F"}
MAX_HEAVY = 9
SPLIT_SEED = 0
FRACTIONS = {"train": 0.80, "val": 0.05, "heldout": 0.15}
RDLogger.DisableLog("rdApp.*")


def formula_ok(formula: str) -> bool:
    """Cheap pre-filter on the table's formula text, before RDKit parses anything."""
    parts = re.findall(r"([A-Z][a-z]?)(\d*)", formula)
    if not parts or "".join(e + n for e, n in parts) != formula:
        return False
    heavy = sum(int(n or 1) for e, n in parts if e != "H")
    return all(e in ALLOWED for e, _ in parts) and 1 <= heavy <= MAX_HEAVY


def qm9_like(mol: Chem.Mol | None) -> bool:
    if mol is None or len(Chem.GetMolFrags(mol)) != 1:
        return False
    atoms = list(mol.GetAtoms())
    return (all(a.GetSymbol() in ALLOWED and a.GetFormalCharge() == 0 and a.GetNumRadicalElectrons() == 0
                for a in atoms) and 1 <= mol.GetNumHeavyAtoms() <= MAX_HEAVY and not mol.GetNumHeavyAtoms() == 0)


def has_mmff_conformer(mol: Chem.Mol) -> bool:
    """The simulator's first step must work: ETKDG embedding and MMFF94 parameters."""
    mh = Chem.AddHs(mol)
    if AllChem.EmbedMolecule(mh, randomSeed=0) != 0:
        return False
    return AllChem.MMFFHasAllMoleculeParams(mh)


def chemicals_rows():
    import chemicals
    path = Path(chemicals.__file__).parent / "Identifiers" / "chemical identifiers pubchem large.tsv"
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) > 8 and formula_ok(cols[2]):
                name = cols[8] if len(cols) > 8 and cols[8] else cols[7]
                yield cols[4], name, f"pubchem:{cols[0]}"


def nci_rows():
    path = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts:
            yield parts[0], "", f"nci:{parts[1] if len(parts) > 1 else '?'}"


def build() -> list[dict]:
    seen: dict[str, dict] = {}
    for smiles, name, source in list(chemicals_rows()) + list(nci_rows()):
        mol = Chem.MolFromSmiles(smiles)
        if not qm9_like(mol):
            continue
        canonical = Chem.MolToSmiles(mol, isomericSmiles=False)   # constitution only
        mol = Chem.MolFromSmiles(canonical)
        key = Chem.MolToInchiKey(mol)
        block = key.split("-")[0]
        if block in seen:
            if not seen[block]["name"] and name:
                seen[block]["name"] = name
            continue
        if not has_mmff_conformer(mol):
            continue
        seen[block] = dict(smiles=canonical, name=name, formula=rdMolDescriptors.CalcMolFormula(mol),
                           inchikey=key, heavy_atoms=mol.GetNumHeavyAtoms(), source=source)
    rows = sorted(seen.values(), key=lambda r: r["inchikey"])
    order = np.random.default_rng(SPLIT_SEED).permutation(len(rows))
    n_train = int(FRACTIONS["train"] * len(rows))
    n_val = int(FRACTIONS["val"] * len(rows))
    for rank, i in enumerate(order):
        rows[i]["split"] = "train" if rank < n_train else "val" if rank < n_train + n_val else "heldout"
    return rows


def main() -> None:
    rows = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["smiles", "name", "formula", "inchikey", "heavy_atoms", "split",
                                               "source"])
        writer.writeheader()
        writer.writerows(rows)
    manifest.record([OUT], "scripts/make_diffspectra_universe.py", SPLIT_SEED)
    counts = {s: sum(r["split"] == s for r in rows) for s in FRACTIONS}
    print(f"{len(rows)} molecules -> {OUT.relative_to(ROOT)} {counts} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
