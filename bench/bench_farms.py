"""Timings of the FARMS page's core on the CPU, one thread: `python bench/bench_farms.py`."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import farms as paper_core  # noqa: E402
from core.device import pin_threads  # noqa: E402

pin_threads(1)
start = time.perf_counter()
paper_core.example(200_000, seed=0, device="cpu")
print(f"example(200k): {time.perf_counter() - start:.3f} s")
