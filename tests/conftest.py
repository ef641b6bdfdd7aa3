import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # so `import core` works from any cwd

# Test the app as it runs: one math thread per process (app.py sets the same before torch loads).
# Here it must happen before any test module imports torch, or AppTest runs keep 2 threads.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, os.environ.get("EIGEN_ATLAS_THREADS", "1"))
