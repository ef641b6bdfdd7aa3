"""Eigen Atlas: the entry point. Page config, navigation built from the paper registry, run.

Run with `streamlit run app.py`. The home page and every paper page live in pages/ and are
registered through st.navigation (ui/navigation.py), which turns Streamlit's legacy pages/
auto-discovery off.
"""
from ui.threads import limit_threads

# Several sessions share ~2 cores: one math thread per process, set before torch/numpy load.
limit_threads()

from ui.navigation import app_navigation  # noqa: E402

app_navigation().run()
