"""Shipped assets: a thumbnail per paper, all listed in assets/MANIFEST.tsv, all small. No matplotlib needed."""
import importlib.util
import struct

from core.registry import PAPERS, ROOT

ASSETS = ROOT / "assets"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _manifest_module():
    spec = importlib.util.spec_from_file_location("atlas_manifest", ROOT / "scripts" / "manifest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _png_size(path):
    """(width, height) from the IHDR chunk, which the PNG spec puts first."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path.name}: first chunk is not IHDR"
    return struct.unpack(">II", head[16:24])


def test_every_paper_has_a_thumbnail():
    missing = [p.slug for p in PAPERS if not p.thumbnail.is_file()]
    assert not missing, f"no thumbnail for {missing}: run python scripts/make_thumbnails.py"


def test_thumbnails_are_320x200_pngs():
    for paper in PAPERS:
        assert _png_size(paper.thumbnail) == (320, 200), paper.slug


def test_manifest_matches_assets():
    problems = _manifest_module().check()
    assert not problems, "\n".join(problems)


def test_manifest_lists_every_thumbnail():
    listed = {row["path"] for row in _manifest_module().read()}
    assert {f"thumbnails/{p.slug}.png" for p in PAPERS} <= listed


def _megabytes(folder) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def test_assets_are_small():
    # twelve pages share one deployable repository: a few MB per page (issue 4 allows its
    # generator 5 MB), and the whole folder well under what a Streamlit Cloud clone handles quickly
    for folder in (ASSETS / paper.slug for paper in PAPERS):
        if folder.is_dir():
            assert _megabytes(folder) < 5.0, f"{folder.name}/ holds {_megabytes(folder):.1f} MB"
    assert _megabytes(ASSETS) < 40, f"assets/ holds {_megabytes(ASSETS):.1f} MB"
