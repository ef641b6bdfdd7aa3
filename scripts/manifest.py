"""assets/MANIFEST.tsv: one line per shipped asset (path relative to assets/, bytes, sha256, script, seed).

    record(paths, script, seed)   add or replace the lines for these files (kept sorted by path)
    read()                        the lines as dicts
    check()                       problems: missing file, size or sha256 mismatch, unlisted asset

`python scripts/manifest.py --check` prints the problems and exits 1 if there are any. Stdlib only.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"
MANIFEST = ASSETS / "MANIFEST.tsv"
FIELDS = ("path", "bytes", "sha256", "script", "seed")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rel(path) -> str:
    path = Path(path)
    path = path if path.is_absolute() else ASSETS / path
    return path.resolve().relative_to(ASSETS).as_posix()


def read() -> list[dict]:
    if not MANIFEST.exists():
        return []
    lines = MANIFEST.read_text(encoding="utf-8").splitlines()
    return [dict(zip(FIELDS, line.split("\t"))) for line in lines[1:] if line.strip()]


def record(paths, script: str, seed) -> None:
    """Add/replace the lines for ``paths`` (absolute, or relative to assets/)."""
    rows = {row["path"]: row for row in read()}
    for p in paths:
        rel = _rel(p)
        f = ASSETS / rel
        rows[rel] = dict(path=rel, bytes=str(f.stat().st_size), sha256=_sha256(f), script=script,
                         seed=str(seed))
    lines = ["\t".join(FIELDS)] + ["\t".join(rows[k][f] for f in FIELDS) for k in sorted(rows)]
    MANIFEST.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _shipped() -> set[str]:
    """Asset files that must be listed: everything under assets/ but MANIFEST.tsv, *.md and dotfiles."""
    return {p.relative_to(ASSETS).as_posix() for p in ASSETS.rglob("*")
            if p.is_file() and p != MANIFEST and p.suffix != ".md"
            and not any(part.startswith(".") for part in p.relative_to(ASSETS).parts)}


def check() -> list[str]:
    problems, listed = [], set()
    for row in read():
        rel = row["path"]
        listed.add(rel)
        f = ASSETS / rel
        if not f.is_file():
            problems.append(f"missing: {rel}")
        elif str(f.stat().st_size) != row.get("bytes"):
            problems.append(f"size mismatch: {rel} is {f.stat().st_size} bytes, manifest says {row.get('bytes')}")
        elif _sha256(f) != row.get("sha256"):
            problems.append(f"sha256 mismatch: {rel}")
    problems += [f"not in manifest: {rel}" for rel in sorted(_shipped() - listed)]
    return problems


if __name__ == "__main__":
    if "--check" not in sys.argv[1:]:
        sys.exit(f"usage: python {sys.argv[0]} --check")
    found = check()
    print("\n".join(found) if found else f"{MANIFEST.relative_to(ASSETS.parent)}: all {len(read())} assets match")
    sys.exit(1 if found else 0)
