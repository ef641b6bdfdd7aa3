"""NIfTI in and out with nibabel, in the orientation the TopCoW evaluation expects, and upload checks.

Written files carry the affine diag(-sx, -sy, sz) (RAS world, LPS index axes) with qform = sform = 1:
SimpleITK then reads an identity direction and the right spacing, as for the real TopCoW files, and the
official left/right flip test (left = larger x index) works. Read files are reoriented to LPS index
order whatever their stored orientation, so a RAS-stored upload is judged the same way.
"""
from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field

import nibabel as nib
import numpy as np

from .anatomy import LABELS

MAX_BYTES = 64 * 2**20          # a compressed upload
MAX_VOXELS = 256**3             # ~17 M voxels: a TopCoW ROI is < 1 M, a whole-head MRA ~ 20-60 M
VALID_LABELS = {0, *LABELS}     # 13 and 14 are the evaluation's unused placeholders


class UploadError(ValueError):
    """A file that cannot be used, with a message meant for the person who uploaded it."""


@dataclass
class Volume:
    data: np.ndarray = field(repr=False)   # (x, y, z), LPS
    spacing: tuple[float, float, float]
    affine: np.ndarray = field(repr=False)
    note: str = ""                           # what was done on reading (reorientation)


def to_bytes(array, affine, dtype=None) -> bytes:
    """A gzipped single-file NIfTI-1 (.nii.gz) of ``array`` with ``affine`` (qform = sform code 1)."""
    arr = np.asarray(array if dtype is None else array.astype(dtype))
    img = nib.Nifti1Image(arr, affine)
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    img.header.set_xyzt_units("mm")
    return gzip.compress(img.to_bytes(), compresslevel=6, mtime=0)


def image_bytes(image, affine) -> bytes:
    """The MRA-like image as int16 (half the size of float32, the precision of a scanner's output)."""
    return to_bytes(np.clip(np.round(image), -32768, 32767).astype(np.int16), affine)


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress with a ceiling, so a small 'zip bomb' cannot fill the memory."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = d.decompress(data, limit + 1)
    if len(out) > limit or d.unconsumed_tail:
        raise UploadError(f"The file unpacks to more than {limit / 2**20:.0f} MB: too large for this page.")
    if not d.eof:  # the stream stops before its end marker: an interrupted upload or copy
        raise UploadError("truncated")
    return out


def read(data: bytes, what: str = "file", max_bytes: int = MAX_BYTES, max_voxels: int = MAX_VOXELS) -> Volume:
    """Parse NIfTI bytes (.nii or .nii.gz) into an LPS (x, y, z) volume, or raise ``UploadError``."""
    if not data:
        raise UploadError(f"The {what} is empty.")
    if len(data) > max_bytes:
        raise UploadError(f"The {what} is {len(data) / 2**20:.1f} MB; the limit here is {max_bytes / 2**20:.0f} MB.")
    if data[:2] == b"\x1f\x8b":
        try:
            data = _gunzip(data, 352 + 8 * max_voxels)
        except zlib.error:
            raise UploadError(f"The {what} is gzip-compressed but corrupt.") from None
        except UploadError as err:
            if str(err) != "truncated":
                raise
            raise UploadError(f"The {what} is truncated: its gzip stream ends early (an interrupted upload or "
                              "copy?). Upload the complete .nii.gz.") from None
    try:
        img = nib.Nifti1Image.from_bytes(data)
    except Exception:       # nibabel raises several types for foreign bytes
        try:
            img = nib.Nifti2Image.from_bytes(data)
        except Exception:
            raise UploadError(f"The {what} is not a NIfTI file (.nii or .nii.gz).") from None
    shape = img.shape
    if len(shape) == 4 and shape[3] == 1:
        img = img.slicer[..., 0]
        shape = img.shape
    if len(shape) != 3 or min(shape) < 2:
        raise UploadError(f"The {what} has shape {shape}: a 3D volume is needed (2D slices or 4D series "
                          "cannot be scored).")
    if int(np.prod(shape)) > max_voxels:
        raise UploadError(f"The {what} has {np.prod(shape) / 1e6:.1f} M voxels; the limit here is "
                          f"{max_voxels / 1e6:.0f} M. Crop it to the Circle-of-Willis region first.")
    return _to_lps(img)


def _to_lps(img) -> Volume:
    start = nib.orientations.io_orientation(img.affine)
    target = nib.orientations.axcodes2ornt(("L", "P", "S"))
    transform = nib.orientations.ornt_transform(start, target)
    try:
        data = np.asanyarray(img.dataobj)
    except Exception as err:
        raise UploadError(f"The voxel data could not be read ({err}).") from None
    data = nib.orientations.apply_orientation(data, transform)
    affine = img.affine @ nib.orientations.inv_ornt_aff(transform, img.shape)
    spacing = tuple(float(s) for s in np.linalg.norm(affine[:3, :3], axis=0))
    codes = "".join(nib.aff2axcodes(img.affine))
    note = "" if codes == "LPS" else f"stored as {codes}, reoriented to LPS"
    return Volume(np.ascontiguousarray(data), spacing, affine, note)


def as_labels(vol: Volume, what: str = "label map") -> Volume:
    """Check a label map: integer values, only the challenge's ids {0, 1..12, 15}; returns uint8."""
    data = vol.data
    if not np.issubdtype(data.dtype, np.integer):
        if not np.all(np.isfinite(data)):
            raise UploadError(f"The {what} contains NaN or infinite values.")
        if np.any(data != np.round(data)):
            raise UploadError(f"The {what} has non-integer values: is it an image rather than labels?")
    values = set(np.unique(data).astype(np.int64).tolist())
    unknown = sorted(values - VALID_LABELS)
    if unknown:
        shown = ", ".join(str(v) for v in unknown[:8]) + (" ..." if len(unknown) > 8 else "")
        raise UploadError(f"The {what} has values the challenge does not use: {shown}. TopCoW labels are "
                          "0 (background), 1-12 and 15.")
    return Volume(data.astype(np.uint8), vol.spacing, vol.affine, vol.note)


def as_image(vol: Volume, what: str = "image") -> Volume:
    """Check an intensity image: finite values; returns float32."""
    data = vol.data.astype(np.float32)
    if not np.all(np.isfinite(data)):
        raise UploadError(f"The {what} contains NaN or infinite values.")
    return Volume(data, vol.spacing, vol.affine, vol.note)


def same_grid(a: Volume, b: Volume, what_a: str, what_b: str) -> None:
    """Raise unless the two volumes have the same shape (spacing differences only warn, see below)."""
    if a.data.shape != b.data.shape:
        raise UploadError(f"The {what_a} has shape {a.data.shape} but the {what_b} has shape {b.data.shape}: "
                          "they must be on the same voxel grid.")


def spacing_mismatch(a: Volume, b: Volume, tol: float = 1e-3) -> bool:
    """True when the spacings differ (the evaluation then uses the ground truth's, as the official one)."""
    return not np.allclose(a.spacing, b.spacing, rtol=tol, atol=tol)
