"""Cached compute with a live progress bar, shared by every session of the process and bounded.

Why not ``st.cache_data`` with a progress callback: cache_data records every Streamlit call made while
the function runs and replays it on a hit; a progress bar created outside the function then breaks the
replay (CacheReplayClosureError on the second visit). So long core calls go through this store instead:
a process-wide LRU (``st.cache_resource``) keyed on the call's small hashable parameters, never on
tensors, bounded in entries and age. Results are shared between sessions: treat them as read-only.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Hashable

import streamlit as st


class ResultStore:
    """A thread-safe LRU of results with a time-to-live."""

    def __init__(self, max_entries: int, ttl_seconds: float):
        self.max_entries, self.ttl = max_entries, ttl_seconds
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or time.monotonic() - item[0] > self.ttl:
                self._items.pop(key, None)
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@st.cache_resource
def store(name: str, max_entries: int = 32, ttl_seconds: float = 6 * 3600) -> ResultStore:
    """The process-wide store called ``name`` (one per kind of result, each with its own bound)."""
    return ResultStore(max_entries, ttl_seconds)


def cached(results: ResultStore, key: Hashable, compute: Callable[[Callable[[float], None]], Any],
           label: str = "Computing...") -> Any:
    """``results[key]``, computing it with a progress bar (fraction 0..1) on a miss.

    Each progress update is a Streamlit call, which is where a rerun (a user moving a slider)
    interrupts a long computation; an interrupted computation stores nothing.
    """
    value = results.get(key)
    if value is None:
        bar = st.progress(0.0, text=label)
        value = compute(lambda f: bar.progress(min(max(f, 0.0), 1.0), text=f"{label} {100 * f:.0f}%"))
        bar.empty()
        results.put(key, value)
    return value


def on_request(results: ResultStore, key: Hashable, compute, label: str, button: str) -> Any | None:
    """Like ``cached`` but for jobs of tens of seconds or more: start only on a click, unless the
    result is already in the store (someone ran it before), in which case show it at once."""
    if results.get(key) is None and not st.button(button, key=f"run_{button}"):
        return None
    return cached(results, key, compute, label)
