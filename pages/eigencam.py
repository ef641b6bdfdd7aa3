"""Eigen-CAM: Class Activation Map using Principal Components (IJCNN 2020): the page.

Widgets, layout, plots and text only; the compute is core/eigencam/. The sections run top to bottom, in
the order of the calls at the end of this module.
"""
import time

import streamlit as st

from core import eigencam as paper_core
from core.registry import by_slug
from ui import cache
from ui.conventions import Slider, compute_note, controls, explainers, figure, paper_header
from ui.eigencam_figures import example_figure
from ui.navigation import use_app_navigation

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("eigencam")
CONTROLS = [
    Slider("n", "n: number of samples", 10, 2000, 200, 10, help="TODO: a knob the paper says matters."),
    Slider("seed", "seed", 0, 99, 0, 1),
]


@cache.data(max_entries=32)  # one entry: n floats, a few KB
def example(n: int, seed: int):
    return paper_core.example(n, seed=seed)


def header() -> dict:
    """The paper, its idea in a few sentences, the three explainers; returns the controls' values."""
    paper_header(PAPER)
    st.markdown("TODO: the paper's idea in the words a student needs, and what this page runs live.")
    explainers(shows="* TODO: the paper's key figures and claims.",
               try_this="1. TODO: a setting to try and what to look for.",
               differs="* TODO: what differs from the paper here, and why.")
    return controls(CONTROLS)


def key_figure(values: dict) -> None:
    st.header("1 · TODO: the paper's key figure, forming")
    start = time.perf_counter()
    result = example(values["n"], values["seed"])
    fig, data = example_figure(result)
    figure(fig, data, "eigencam_example", caption=f"Mean of the samples: {result.mean:.3f} (TODO: words built "
           "from the computed numbers).")
    compute_note(result.device, "float64", time.perf_counter() - start)


values = header()
key_figure(values)
