"""The one caching policy of Eigen Atlas: what is cached where, how long, and why.

The hosted instance serves many sessions from one process on ~2 cores and ~2.7 GB, so every cache is
shared by all visitors, keyed on small hashable parameters (hyper-parameters, seeds, a file's digest,
never tensors or raw uploads) and bounded in entries (and, for results, in age). Three tools, by what
the cached thing is:

1. ``resource(max_entries)`` — **shipped models and assets** (a generator, a trained CNN, a fitted
   basis): ``st.cache_resource``. One object per process, shared by reference and never copied, so it is
   read-only by contract (no training it in place, no ``.to(device)`` that mutates). No time limit: the
   same file gives the same object for the process's life. ``resource(max_entries, ttl=TTL_SECONDS)`` also
   holds **large read-only results** (a whole scene's forecasts, built plotly figures) that would cost more
   to copy on every hit than ``cache_data``'s pickling saves; these do expire.
2. ``data(max_entries, spinner=...)`` — **quick results** (a second or a few: arrays, DataFrames, the data
   behind a figure): ``st.cache_data``. Each hit is a fresh copy (pickled), so a page may modify what it
   gets; bounded by ``max_entries`` and ``TTL_SECONDS``.
3. ``ui.jobs.store(name, max_entries)`` with ``jobs.cached`` / ``jobs.on_request`` — **long jobs** (tens of
   seconds and more, with a progress bar, started on a button): a process-wide LRU with the same TTL in
   which one computation runs per key, however many visitors ask for it (the others wait for it), and an
   interrupted computation stores nothing. (``cache_data`` cannot do this: it replays a progress bar
   drawn inside the function and breaks on the second visit.)

Pages use these three and nothing else (the contract test checks that no page calls ``st.cache_data`` or
``st.cache_resource`` directly). Choose ``max_entries`` from the size of one entry and say it in a comment.
"""
from __future__ import annotations

import hashlib

import streamlit as st

TTL_SECONDS = 6 * 3600  # results older than this are recomputed: long enough for a class, short for a server


def resource(max_entries: int, ttl: float | None = None, spinner: str | bool = False):
    """Decorator for a loader of shipped models/assets (shared object, read-only, no TTL), or with
    ``ttl=TTL_SECONDS`` for a large read-only result shared by reference."""
    return st.cache_resource(max_entries=max_entries, ttl=ttl, show_spinner=spinner)


def data(max_entries: int, spinner: str | bool = False):
    """Decorator for a quick, small computation (a copy per hit; bounded in entries and age)."""
    return st.cache_data(max_entries=max_entries, ttl=TTL_SECONDS, show_spinner=spinner)


def digest(raw: bytes) -> str:
    """A short key for uploaded bytes: cache on this, never on the bytes themselves."""
    return hashlib.sha256(raw).hexdigest()[:16]
