"""Eigen Atlas: the entry point. Page config, navigation built from the paper registry, run.

Run with `streamlit run app.py`. The home page and every paper page live in pages/ and are
registered through st.navigation (ui/navigation.py), which turns Streamlit's legacy pages/
auto-discovery off.
"""
import os

# Several sessions share ~2 cores: one math thread per process. Set before torch/numpy load
# (pages import them lazily), so OpenMP and BLAS read it at start-up.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, os.environ.get("EIGEN_ATLAS_THREADS", "1"))

from ui.navigation import app_navigation  # noqa: E402

app_navigation().run()
