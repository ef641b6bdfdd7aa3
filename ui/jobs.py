"""Long jobs: cached compute with a live progress bar, one computation per key, shared and bounded.

Part of the caching policy in ui/cache.py. Why not ``st.cache_data`` with a progress callback: cache_data
records every Streamlit call made while the function runs and replays it on a hit; a progress bar created
outside the function then breaks the replay (CacheReplayClosureError on the second visit). So long core
calls go through this store instead: a process-wide LRU (``st.cache_resource``) keyed on the call's small
hashable parameters, never on tensors, bounded in entries and age. Results are shared between sessions:
treat them as read-only.

One computation per key: when two visitors ask for the same job, the first computes it and the second
waits for that result instead of starting a second copy (a per-key lock). If the first is interrupted
(its visitor moved a slider) or fails, a waiter takes over and computes it itself, so an error reaches
every visitor who asked, as their own.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Hashable

import streamlit as st

from ui.cache import TTL_SECONDS


class ResultStore:
    """A thread-safe LRU of results with a time-to-live, computing each missing key once at a time."""

    def __init__(self, max_entries: int, ttl_seconds: float):
        self.max_entries, self.ttl = max_entries, ttl_seconds
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}  # one lock per key being computed
        self.computations = 0  # how many times compute ran (the lock test reads it)

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

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any],
                       on_wait: Callable[[], None] | None = None) -> Any:
        """``self[key]``, computed by ``compute()`` unless it is there; concurrent callers of one key wait
        for the computation under way (``on_wait`` is called once before waiting) instead of repeating it."""
        while True:
            value = self.get(key)
            if value is not None:
                return value
            with self._lock:
                key_lock = self._computing.setdefault(key, threading.Lock())
            if key_lock.acquire(blocking=False):
                try:
                    value = self.get(key)  # finished between our get() and the acquire
                    if value is None:
                        self.computations += 1
                        value = compute()
                        self.put(key, value)
                    return value
                finally:
                    with self._lock:
                        self._computing.pop(key, None)
                    key_lock.release()
            if on_wait is not None:
                on_wait()
                on_wait = None
            with key_lock:  # wait for the computation under way; then loop: its result, or our turn
                pass

    def __len__(self) -> int:
        return len(self._items)


@st.cache_resource
def store(name: str, max_entries: int = 32, ttl_seconds: float = TTL_SECONDS) -> ResultStore:
    """The process-wide store called ``name`` (one per kind of result, each with its own bound)."""
    return ResultStore(max_entries, ttl_seconds)


def cached(results: ResultStore, key: Hashable, compute: Callable[[Callable[[float], None]], Any],
           label: str = "Computing...") -> Any:
    """``results[key]``, computing it on a miss inside an ``st.status`` box: a progress bar with the elapsed
    time, and a *Cancel* button for the visitor who started it.

    Each progress update is a Streamlit call, which is where a rerun (a click on *Cancel*, or a user
    moving a slider) interrupts a long computation; an interrupted computation stores nothing. A visitor
    who asks for a key another visitor is computing sees a note and gets that result when it is done.
    """
    # One fixed slot, whether this run computes, waits or finds the result: the elements below keep their
    # place in the page tree. (A status box drawn only on a miss shifts every later element on the next run,
    # and the browser then rebuilds every chart below it: 1.4 s of a cache hit on the EBV page.)
    slot, computed = st.empty(), []

    def run():
        computed.append(True)
        with slot.container(), st.status(label, expanded=True) as box:
            bar = st.progress(0.0, text=label)
            st.button("Cancel", key=f"cancel_{id(results)}_{abs(hash(key))}", icon=":material/cancel:",
                      help="Stops this computation (nothing is stored); the page reruns without it.")
            started = time.perf_counter()

            def progress(f: float) -> None:
                f = min(max(f, 0.0), 1.0)
                bar.progress(f, text=f"{label} {100 * f:.0f}% · {time.perf_counter() - started:.0f} s")
            value = compute(progress)
            box.update(label=f"{label} done in {time.perf_counter() - started:.1f} s", state="complete",
                       expanded=False)
        return value

    value = results.get_or_compute(key, run, on_wait=lambda: slot.info(
        "Another visitor started this same computation: waiting for its result instead of computing it "
        "twice.", icon=":material/hourglass_top:"))
    if not computed:
        slot.empty()
    return value


def on_request(results: ResultStore, key: Hashable, compute, label: str, button: str) -> Any | None:
    """Like ``cached`` but for jobs of tens of seconds or more: start only on a click, unless the
    result is already in the store (someone ran it before), in which case show it at once. The button or
    the job's box sit in one container, so what follows keeps its place once the button is gone."""
    with st.container():
        if results.get(key) is None and not st.button(button, key=f"run_{button}"):
            return None
        return cached(results, key, compute, label)
