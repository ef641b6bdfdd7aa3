"""Write the skeleton of a new paper's page: `python scripts/new_paper.py <slug>` (see CONTRIBUTING.md).

The paper's entry in core/registry.py comes first (the slug names every file below). This writes, and
never overwrites:

    core/<slug>/__init__.py        the compute package: docstring naming the paper, one example function
    pages/<slug>.py                the page: header + controls, one section function, the calls in order
    ui/<slug>_figures.py           pure functions: core result -> (plotly figure, DataFrame)
    tests/test_<slug>.py           core against an invariant
    tests/test_page_<slug>.py      the page through AppTest (the contract test covers the rest)
    bench/bench_<slug>.py          prints timings
    assets/thumbnails/<slug>.png   a title card, until a motif in scripts/make_thumbnails.py draws the idea

The skeleton runs and passes the suite as written: replace every TODO with the paper's mechanism.
`--dry-run` lists what would be written.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.registry import by_slug  # noqa: E402

CORE = '''"""{title} ({venue}, arXiv {arxiv}): the compute core of the {short} page.

TODO: the paper's mechanism and the equations each module implements (one idea per module).
Pure Python + numpy/torch: never imports streamlit; every torch entry point takes ``device``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from core.device import pick_device, seeded_generator


@dataclass
class Example:
    samples: torch.Tensor
    mean: float
    device: torch.device


def example(n: int, seed: int = 0, device=None) -> Example:
    """TODO: replace with the paper's mechanism. n standard-normal draws and their mean."""
    device = pick_device(device)
    samples = torch.randn(n, generator=seeded_generator(seed, device), device=device, dtype=torch.float64)
    return Example(samples, float(samples.mean()), device)
'''

PAGE = '''"""{title} ({venue}): the page.

Widgets, layout, plots and text only; the compute is core/{slug}/. The sections run top to bottom, in
the order of the calls at the end of this module.
"""
import time

import streamlit as st

from core import {slug} as paper_core
from core.registry import by_slug
from ui import cache
from ui.conventions import Slider, compute_note, controls, explainers, figure, paper_header
from ui.{slug}_figures import example_figure
from ui.navigation import use_app_navigation

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("{slug}")
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
    figure(fig, data, "{slug}_example", caption=f"Mean of the samples: {{result.mean:.3f}} (TODO: words built "
           "from the computed numbers).")
    compute_note(result.device, "float64", time.perf_counter() - start)


values = header()
key_figure(values)
'''

FIGURES = '''"""Figures of the {short} page: pure functions from core/{slug}/ results to (plotly figure, data)."""
import pandas as pd
import plotly.graph_objects as go


def example_figure(result) -> tuple[go.Figure, pd.DataFrame]:
    data = pd.DataFrame({{"sample": result.samples.cpu().numpy()}})
    fig = go.Figure(go.Histogram(x=data["sample"], nbinsx=40))
    fig.update_layout(title="TODO: the figure's message as its title", xaxis_title="sample", yaxis_title="count")
    return fig, data
'''

CORE_TEST = '''"""core/{slug}/ against closed forms and invariants."""
import torch

from core import {slug} as paper_core


def test_example_is_seeded_and_its_mean_is_the_samples_mean():
    a, b = paper_core.example(500, seed=3), paper_core.example(500, seed=3)
    assert torch.equal(a.samples, b.samples)
    assert abs(a.mean - float(a.samples.mean())) < 1e-12
'''

PAGE_TEST = '''"""The {short} page through AppTest (tests/test_page_contract.py checks the conventions)."""
from pages_harness import chart_titles, open_page

PAGE = "pages/{slug}.py"


def test_defaults_show_the_key_figure():
    at = open_page(PAGE)
    assert any("TODO" in t or t for t in chart_titles(at))


def test_a_changed_control_recomputes():
    at = open_page(PAGE)
    at.slider(key="n").set_value(50).run()
    assert not at.exception
'''

BENCH = '''"""Timings of the {short} page's core on the CPU, one thread: `python bench/bench_{slug}.py`."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import {slug} as paper_core  # noqa: E402
from core.device import pin_threads  # noqa: E402

pin_threads(1)
start = time.perf_counter()
paper_core.example(200_000, seed=0, device="cpu")
print(f"example(200k): {{time.perf_counter() - start:.3f}} s")
'''

FILES = {
    "core/{slug}/__init__.py": CORE,
    "pages/{slug}.py": PAGE,
    "ui/{slug}_figures.py": FIGURES,
    "tests/test_{slug}.py": CORE_TEST,
    "tests/test_page_{slug}.py": PAGE_TEST,
    "bench/bench_{slug}.py": BENCH,
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slug", help="the paper's slug in core/registry.py (a Python identifier)")
    parser.add_argument("--dry-run", action="store_true", help="list the files, write nothing")
    args = parser.parse_args(argv)
    if not args.slug.isidentifier():
        sys.exit(f"{args.slug!r} is not a Python identifier: it names the package core/<slug>/")
    try:
        paper = by_slug(args.slug)
    except KeyError:
        sys.exit(f"no paper {args.slug!r} in core/registry.py: add its entry first (CONTRIBUTING.md, step 1)")
    fields = dict(slug=paper.slug, short=paper.short, title=paper.title, venue=paper.venue, arxiv=paper.arxiv)
    for pattern, template in FILES.items():
        path = ROOT / pattern.format(slug=paper.slug)
        if path.exists():
            print(f"kept     {path.relative_to(ROOT)}")
            continue
        print(f"{'would write' if args.dry_run else 'wrote':8} {path.relative_to(ROOT)}")
        if not args.dry_run:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(template.format(**fields))
    if not paper.thumbnail.exists() and not args.dry_run:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_thumbnails.py"), "--only", paper.slug],
                       check=True)
    print(f"Next: fill the TODOs, then `python -m pytest tests/test_{paper.slug}.py "
          f"tests/test_page_{paper.slug}.py tests/test_page_contract.py -k {paper.slug}`.")


if __name__ == "__main__":
    main()
