"""Precompute MMFF94 IR stick spectra for the universe: assets/diffspectra/peaks.npz.

Two conformers per molecule: ETKDG seed 0 (the library's spectrum, the training data) and seed 1 (where
measured queries start). Peaks below 400 cm-1 or weaker than 1e-3 of the strongest are dropped; the
rest are stored as ragged float16 arrays (offsets int32), about 1-2 MB compressed.

    nice -n 10 python scripts/make_diffspectra_spectra.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from core.diffspectra.chem import universe  # noqa: E402
from core.diffspectra.simulator import simulate_peaks  # noqa: E402
from scripts import manifest  # noqa: E402

OUT = ROOT / "assets" / "diffspectra" / "peaks.npz"
SEEDS = (0, 1)
MIN_FREQ, MIN_INTENSITY = 400.0, 1e-3


def stick(smiles: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    freqs, intensities = simulate_peaks(smiles, seed)
    keep = (freqs > MIN_FREQ) & (intensities > MIN_INTENSITY)
    return freqs[keep], intensities[keep]


def main() -> None:
    smiles = universe()["smiles"].tolist()
    arrays, start = {}, time.process_time()
    for seed in SEEDS:
        freqs, intensities, offsets = [], [], [0]
        for i, s in enumerate(smiles):
            f, a = stick(s, seed)
            freqs.append(f)
            intensities.append(a)
            offsets.append(offsets[-1] + len(f))
            if i % 500 == 0:
                print(f"seed {seed}: {i}/{len(smiles)} ({time.process_time() - start:.0f} s CPU)", flush=True)
        arrays[f"freq{seed}"] = np.concatenate(freqs).astype(np.float16)
        arrays[f"int{seed}"] = np.concatenate(intensities).astype(np.float16)
        arrays[f"offsets{seed}"] = np.array(offsets, np.int32)
    np.savez_compressed(OUT, **arrays)
    manifest.record([OUT], "scripts/make_diffspectra_spectra.py", "0,1")
    print(f"{len(smiles)} molecules x {len(SEEDS)} conformers, {time.process_time() - start:.0f} s CPU, "
          f"{OUT.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
