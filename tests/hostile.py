"""Shared builders of hostile upload files for the tests (tests/test_uploads_fuzz.py, the pages' own tests)."""
import io

import torch


def torch_bytes(obj) -> bytes:
    """``obj`` as torch.save writes it (a checkpoint file's bytes)."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


class Evil:
    """Unpickling this calls print: a reader that runs code from a file would show it."""

    def __reduce__(self):
        return (print, ("this ran",))
