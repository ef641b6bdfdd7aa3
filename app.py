"""Eigen Atlas: the entry point. Page config, navigation built from the paper registry, run.

Run with `streamlit run app.py`. The home page and every paper page live in pages/ and are
registered here through st.navigation (Streamlit's legacy pages/ auto-discovery is then off).
"""
import os

# Several sessions share ~2 cores: one math thread per process. Set before torch/numpy load
# (pages import them lazily), so OpenMP and BLAS read it at start-up.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, os.environ.get("EIGEN_ATLAS_THREADS", "1"))

import streamlit as st  # noqa: E402

from core.registry import built  # noqa: E402


def navigation() -> dict[str, list[st.Page]]:
    home = st.Page("pages/home.py", title="Home", icon=":material/home:", url_path="home", default=True)
    papers = [st.Page(p.page, title=p.short, icon=p.icon, url_path=p.slug) for p in built()]
    return {"Eigen Atlas": [home], "Papers": papers}


st.set_page_config(page_title="Eigen Atlas", page_icon="assets/favicon.png", layout="wide",
                   menu_items={"About": "Eigen Atlas: twelve ML papers, each running live at teaching scale."})
st.navigation(navigation()).run()
