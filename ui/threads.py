"""One math thread per app process: several sessions share ~2 cores, and oversubscription was measured to
slow small torch steps and k-means 7-40x (core/device.py).

Two ways into a process, and both must pin:
* app.py runs first on most requests and calls ``limit_threads()`` before torch or numpy load, so the
  environment variables alone do it.
* A deep link (/householder) as a process's first request is served by Streamlit's legacy pages/ runner,
  which runs the page module directly (ui/navigation.py): its imports load torch and numpy with every
  core. ``use_app_navigation()``, every page's first call, calls ``limit_threads()`` too, and that pins
  the libraries already loaded. Measured on the Householder page: its 5x7 traversal grid rendered in
  1.5-2.7 s in such a process before this, 0.15 s pinned.
"""
import os
import sys

ENV_THREADS = "EIGEN_ATLAS_THREADS"  # same name as core.device.ENV_THREADS (not imported: it loads torch)
_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_blas_pinned = False


def limit_threads() -> int:
    """Pin this process to $EIGEN_ATLAS_THREADS (default 1) math threads; cheap to call on every run."""
    global _blas_pinned
    n = int(os.environ.get(ENV_THREADS, "1"))
    for var in _VARS:  # libraries loaded from now on read these at load time
        os.environ.setdefault(var, str(n))
    if "torch" in sys.modules:  # loaded already: its intra-op pool is process-wide, set it directly
        from core.device import pin_threads
        pin_threads(n)
    if "numpy" in sys.modules and not _blas_pinned:  # OpenBLAS / OpenMP pools loaded with every core
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=n)  # not used as a context manager: the limit stays for the process
        _blas_pinned = True
    return n
