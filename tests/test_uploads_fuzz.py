"""Every uploader of every page, fed the same hostile files through its core reader.

Each reader must refuse each file with its own error (a ValueError subclass) and a sentence a visitor can
act on: never another exception (that would be a traceback on the page), never a silent acceptance, and
never running code from a pickle. The page shows that sentence with st.error (each page's own tests check
the page side for its uploads).
"""
import gzip
import io
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from core.bootstrap_amg import graphs as amg_graphs
from core.diffspectra.library import MAX_UPLOAD_BYTES as SPECTRUM_CAP, read_spectrum_csv
from core.eigencam import images as cam_images
from core.eigentrajectory.tracks import MAX_BYTES as TRACKS_CAP, read_tracks
from core.farms.layers import MAX_UPLOAD_BYTES as FARMS_CAP, load_checkpoint as farms_checkpoint
from core.householder.stylegan import load_checkpoint_bytes
from core.lightsb.toys import MAX_UPLOAD_BYTES as CLOUD_CAP, parse_point_cloud
from core.spe.graphs import MAX_UPLOAD_BYTES as EDGES_CAP, parse_edge_list
from core.topcow import nifti
from hostile import torch_bytes

SENTINEL = Path("/tmp/eigen_atlas_fuzz_pickle_ran")


class RunsCode:
    """Unpickling this would create SENTINEL: the reader must refuse it without running it."""

    def __reduce__(self):
        return (Path.touch, (SENTINEL,))


def nifti_labels(values: np.ndarray) -> bytes:
    import nibabel as nib
    buf = io.BytesIO()
    img = nib.Nifti1Image(values, np.eye(4))
    buf.write(gzip.compress(img.to_bytes()))
    return buf.getvalue()


def png_bytes() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, format="PNG")
    return buf.getvalue()


def topcow_labels(raw: bytes):
    return nifti.as_labels(nifti.read(raw, "label map"), "label map")


# reader name -> (read(raw), the reader's size cap in bytes, a file of the right kind full of NaN / inf)
READERS = {
    "spe edge list": (parse_edge_list, EDGES_CAP, b"0 1 nan\n1 2 inf\n2 0 1\n"),
    "eigentrajectory tracks": (read_tracks, TRACKS_CAP, b"0 1 nan 1.0\n10 1 inf 2.0\n" * 30),
    "diffspectra spectrum": (read_spectrum_csv, SPECTRUM_CAP,
                             b"".join(b"%d,nan\n" % w for w in range(500, 4000, 10))),
    "lightsb point cloud": (parse_point_cloud, CLOUD_CAP, b"x,y\n" + b"nan,1\ninf,2\n" * 50),
    # node ids, not numbers: NaN is no value this reader reads (a weight column is ignored), so no NaN case
    "bootstrap_amg edge list": (lambda raw: amg_graphs.parse_upload(raw), amg_graphs.MAX_BYTES, None),
    "eigencam image": (lambda raw: cam_images.prepare(raw, size=64), cam_images.MAX_BYTES, None),
    "farms checkpoint": (lambda raw: farms_checkpoint(raw, "upload.pt"), FARMS_CAP,
                         torch_bytes({"fc.weight": torch.full((32, 16), float("nan"))})),
    "householder checkpoint": (load_checkpoint_bytes, None,
                               torch_bytes({"g_ema": {"style.1.weight": torch.full((8, 8), float("nan"))}})),
    "topcow label map": (topcow_labels, nifti.MAX_BYTES,
                         nifti_labels(np.full((8, 8, 8), np.nan, dtype=np.float32))),
}


def hostile_files(name: str, cap: int | None, nan_file: bytes | None) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    valid_nifti = nifti_labels(rng.integers(0, 13, (40, 40, 40)).astype(np.uint8))  # ~40 kB: 2 kB is a part
    files = {
        "empty": b"",
        "random binary": rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "truncated .nii.gz": valid_nifti[:2048],
        "header only": b"wavenumber,absorbance\n" if "spectrum" in name else b"u,v\n",
        "pickle that runs code": pickle.dumps(RunsCode()),
        # a renamed file of another kind: a PNG for text and checkpoint readers, text for the image reader
        "wrong type renamed": b"x,y\n1,2\n" if "image" in name else png_bytes(),
    }
    if nan_file is not None:
        files["NaN / inf values"] = nan_file
    if cap is not None:
        files["over the size cap"] = b"0 1\n" * (cap // 4 + 1)
    return files


CASES = [(reader, case) for reader, (_, cap, nan_file) in READERS.items() for case in hostile_files(reader, cap, nan_file)]


@pytest.mark.parametrize("reader,case", CASES, ids=[f"{r}: {c}" for r, c in CASES])
def test_hostile_upload_gets_a_clear_refusal(reader, case):
    read, cap, nan_file = READERS[reader]
    raw = hostile_files(reader, cap, nan_file)[case]
    SENTINEL.unlink(missing_ok=True)
    with pytest.raises(ValueError) as refusal:
        read(raw)
    message = str(refusal.value)
    assert len(message) >= 10 and "Traceback" not in message, message
    assert not SENTINEL.exists(), "unpickling ran code"
    if reader == "topcow label map" and case == "truncated .nii.gz":
        assert "truncated" in message.lower() or "incomplete" in message.lower(), message


def test_a_header_row_in_an_edge_list_is_not_an_edge():
    graph = amg_graphs.parse_upload(b"source,target\n" + b"".join(b"%d,%d\n" % (i, (i + 1) % 20) for i in range(20)))
    assert graph.n == 20
