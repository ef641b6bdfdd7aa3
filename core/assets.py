"""Reading the files a paper ships in ``assets/<slug>/``: one helper for every paper.

Every shipped file has a line in ``assets/MANIFEST.tsv`` (size, sha256, the script and seed that made it).
A missing file raises ``MissingAsset``, whose message names that script, so a page can say how to rebuild
it instead of showing a traceback. Weights are read with ``torch.load(weights_only=True)``: nothing in a
file can run code.

    path("householder", "generator_base.pt")   -> Path (raises MissingAsset if absent)
    weights(slug, name)                        -> the state dict / tensors, on the CPU
    json_file(slug, name), csv(slug, name), npz(slug, name)
"""
from __future__ import annotations

import csv as _csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
MANIFEST = ASSETS / "MANIFEST.tsv"


class MissingAsset(FileNotFoundError):
    """A shipped file is absent; the message says which script regenerates it."""


def script_for(relpath: str) -> str | None:
    """The script that made ``assets/<relpath>``, from the manifest (None if unlisted)."""
    if not MANIFEST.exists():
        return None
    with MANIFEST.open(newline="") as f:
        for row in _csv.DictReader(f, delimiter="\t"):
            if row["path"] == relpath:
                return row["script"]
    return None


def path(slug: str, name: str) -> Path:
    """``assets/<slug>/<name>``, checked to exist."""
    file = ASSETS / slug / name
    if not file.exists():
        script = script_for(f"{slug}/{name}")
        how = f"run `python {script}` to rebuild it" if script else "it is not in assets/MANIFEST.tsv"
        raise MissingAsset(f"assets/{slug}/{name} is missing; {how}.")
    return file


def weights(slug: str, name: str):
    """A shipped torch file, on the CPU, read with weights_only=True."""
    import torch  # here, not at the top: the home page must not load torch
    return torch.load(path(slug, name), map_location="cpu", weights_only=True)


def json_file(slug: str, name: str):
    return json.loads(path(slug, name).read_text())


def csv(slug: str, name: str, **read_csv_kwargs):
    import pandas as pd
    return pd.read_csv(path(slug, name), **read_csv_kwargs)


def npz(slug: str, name: str) -> dict:
    """All arrays of a shipped .npz, loaded (the file is closed on return; no pickles allowed)."""
    import numpy as np
    with np.load(path(slug, name), allow_pickle=False) as f:
        return {key: f[key] for key in f.files}
