"""Train the cycle-counting comparison of the SPE page (no PE / SignNet / SPE) and ship the results.

    nice -n 10 python scripts/train_spe.py        (about 5 minutes on one CPU core)

Writes assets/spe/count_results.json (every run's per-epoch train / ID / OOD MAE and final per-cycle
MAE, plus the config) and records it in assets/MANIFEST.tsv. No weights are shipped: the page shows the
numbers and can retrain a short run live. Settings: core.spe.counting.SHIPPED.
"""
from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import torch  # noqa: E402

import manifest  # noqa: E402
from core.spe import counting  # noqa: E402

OUT = ROOT / "assets" / "spe" / "count_results.json"


def main() -> None:
    torch.set_num_threads(1)
    start = time.perf_counter()
    done = [0.0]

    def progress(f: float) -> None:
        if f - done[0] >= 0.05 or f == 1:
            done[0] = f
            print(f"  {100 * f:3.0f}%  {time.perf_counter() - start:6.0f} s", flush=True)

    results = counting.compare(counting.SHIPPED, progress=progress, device="cpu")
    config = {k: list(v) if isinstance(v, tuple) else v for k, v in counting.SHIPPED.items()}
    payload = {"config": config, "cycle_lengths": list(counting.CYCLE_LENGTHS), "mean_degree": 3.0,
               "torch": torch.__version__, "python": platform.python_version(),
               "seconds": round(time.perf_counter() - start, 1),
               "runs": [{k: (round(v, 5) if isinstance(v, float) else [round(x, 5) for x in v]
                             if isinstance(v, list) else v) for k, v in r.__dict__.items()} for r in results]}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=1))
    manifest.record([OUT], "scripts/train_spe.py", ",".join(map(str, counting.SHIPPED["seeds"])))
    for row in counting.summary(payload["runs"]):
        print(f"{row['PE']:8s} ID MAE {row['id MAE']:.3f} ± {row['id MAE std']:.3f}   "
              f"OOD MAE {row['ood MAE']:.3f} ± {row['ood MAE std']:.3f}")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes) in {payload['seconds']} s")


if __name__ == "__main__":
    main()
