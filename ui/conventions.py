"""Page conventions every paper page uses: header, explainers, URL-bound controls, figures with data.

* ``paper_header(paper)``: title, authors, venue and links from the registry.
* ``explainers(shows, try_this, differs)``: the three expanders every page has.
* ``Slider`` / ``Choice`` / ``Toggle`` / ``Text`` + ``controls(...)``: every control is keyed and bound to
  the URL (``bind="query-params"``), so a copied link reproduces the exact figure. Streamlit silently drops
  a malformed or out-of-range URL value; ``controls`` says so on the page instead of staying silent.
* ``unbound(key, reason)``: the key of a widget that cannot live in a URL (a file upload), declared with
  the reason; the contract test accepts no other unbound input widget.
* ``figure(fig, data, name)``: the chart with the same plotly template everywhere and a CSV download of
  the numbers behind it, so nothing on a page is a picture without data.
* ``compute_note(device, dtype, seconds)``: where the figure was computed, with the device the core call
  actually used (taken from its result, never typed).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import pandas as pd
import streamlit as st

from core.registry import Paper
from ui import theme  # noqa: F401  (registers the plotly template)


# ----------------------------------------------------------------------------- header and explainers

def paper_header(paper: Paper) -> None:
    st.title(paper.short)
    st.markdown(f"**{paper.title}**  \n{paper.authors} · *{paper.venue}*")
    links = [f"[arXiv {paper.arxiv}]({paper.arxiv_url})"]
    links.append(f"[code: {paper.repo}]({paper.repo_url})" if paper.repo else
                 f"no official repository ({paper.repo_note})" if paper.repo_note else "no official repository")
    st.caption(" · ".join(links))


def explainers(shows: str, try_this: str, differs: str, expanded: bool = False) -> None:
    """The three expanders of every page, in this order."""
    with st.expander("What the paper shows", expanded=expanded):
        st.markdown(shows)
    with st.expander("Try this"):
        st.markdown(try_this)
    with st.expander("What differs from the paper here"):
        st.markdown(differs)


# ----------------------------------------------------------------------------- URL-bound controls

def _number(x: float) -> str:
    """How a number reads in a URL and a label: 0.5, 1, 2.5e-05 (no trailing .0)."""
    return f"{x:g}"


@dataclass(frozen=True)
class Slider:
    """A numeric slider; ints stay ints. The URL carries the value itself."""
    key: str
    label: str
    min: float
    max: float
    default: float
    step: float
    help: str | None = None
    format: str | None = None

    def parse(self, raw: str) -> float:
        value = float(raw)
        if isinstance(self.default, int) and value != int(value):
            raise ValueError("not an integer")
        if not (self.min <= value <= self.max) or math.isnan(value):
            raise ValueError("out of range")
        return value

    def expects(self) -> str:
        kind = "an integer" if isinstance(self.default, int) else "a number"
        return f"{kind} from {_number(self.min)} to {_number(self.max)}"

    def render(self, where, disabled: bool = False) -> Any:
        return where.slider(self.label, self.min, self.max, self.default, self.step, key=self.key,
                            help=self.help, format=self.format, bind="query-params", disabled=disabled)


@dataclass(frozen=True)
class Choice:
    """A pick from fixed options (a select slider, or radio buttons when ``radio``).

    The URL carries ``format_func(option)``, exactly as Streamlit writes it, so the check below
    accepts the same strings Streamlit does.
    """
    key: str
    label: str
    options: Sequence[Any]
    default: Any
    help: str | None = None
    format_func: Callable[[Any], str] = lambda x: _number(x) if isinstance(x, float) else str(x)
    radio: bool = False
    selectbox: bool = False  # for long option lists (a select slider shows every tick)

    def parse(self, raw: str) -> Any:
        for option in self.options:
            if self.format_func(option) == raw:
                return option
        raise ValueError("not an option")

    def expects(self) -> str:
        shown = [self.format_func(o) for o in self.options]
        return "one of " + ", ".join(shown[:8]) + (" ..." if len(shown) > 8 else "")

    def render(self, where, disabled: bool = False) -> Any:
        if self.radio:
            return where.radio(self.label, self.options, self.options.index(self.default), key=self.key,
                               help=self.help, format_func=self.format_func, horizontal=True,
                               bind="query-params", disabled=disabled)
        if self.selectbox:
            return where.selectbox(self.label, self.options, self.options.index(self.default), key=self.key,
                                   help=self.help, format_func=self.format_func, bind="query-params",
                                   disabled=disabled)
        return where.select_slider(self.label, self.options, self.default, key=self.key, help=self.help,
                                   format_func=self.format_func, bind="query-params", disabled=disabled)


@dataclass(frozen=True)
class Toggle:
    """An on/off switch; the URL carries ``true`` or ``false``."""
    key: str
    label: str
    default: bool
    help: str | None = None

    def parse(self, raw: str) -> bool:
        if raw.lower() not in ("true", "false"):
            raise ValueError("not true or false")
        return raw.lower() == "true"

    def expects(self) -> str:
        return "true or false"

    def render(self, where, disabled: bool = False) -> bool:
        return where.toggle(self.label, self.default, key=self.key, help=self.help, bind="query-params",
                            disabled=disabled)


@dataclass(frozen=True)
class Text:
    """A short free-text input (a SMILES, a formula); the page validates its meaning."""
    key: str
    label: str
    default: str
    max_chars: int
    help: str | None = None
    placeholder: str | None = None

    def parse(self, raw: str) -> str:
        if len(raw) > self.max_chars:
            raise ValueError("too long")
        return raw

    def expects(self) -> str:
        return f"at most {self.max_chars} characters"

    def render(self, where, disabled: bool = False) -> str:
        return where.text_input(self.label, self.default, max_chars=self.max_chars, key=self.key, help=self.help,
                                placeholder=self.placeholder, bind="query-params", disabled=disabled)


Control = Slider | Choice | Toggle | Text
UNBOUND = "eigen_atlas_unbound_widgets"  # session-state entry: {key: reason} of the declared unbound widgets


def unbound(key: str, reason: str) -> str:
    """Declare that the widget keyed ``key`` is deliberately not in the URL (say why); returns ``key``."""
    st.session_state.setdefault(UNBOUND, {})[key] = reason
    return key


def url_problems(specs: Sequence[Control], params: dict[str, str]) -> list[str]:
    """One sentence per URL value that Streamlit will ignore (the control falls back to its default)."""
    problems = []
    for spec in specs:
        raw = params.get(spec.key)
        if raw is None:
            continue
        try:
            spec.parse(raw)
        except (ValueError, TypeError):
            problems.append(f"The link's `{spec.key}={raw}` is not valid ({spec.key} takes "
                            f"{spec.expects()}); **{spec.label}** uses its default instead.")
    return problems


def controls(specs: Sequence[Control], where=None, disabled: Sequence[str] = ()) -> dict[str, Any]:
    """Render the controls (in the sidebar unless told otherwise) and return {key: value}.

    URL values are checked *before* the widgets exist, because Streamlit removes the invalid ones
    from the URL as the widgets register. Keys in ``disabled`` render greyed out (a preset owns them).
    """
    problems = url_problems(specs, st.query_params.to_dict())
    where = where if where is not None else st.sidebar
    values = {spec.key: spec.render(where, disabled=spec.key in disabled) for spec in specs}
    for problem in problems:
        st.warning(problem, icon="🔗")
    return values


# ----------------------------------------------------------------------------- figures with their data

def figure(fig, data: pd.DataFrame, name: str, caption: str | None = None, **select):
    """Draw a plotly figure and offer the data behind it as CSV (``name`` keys both).

    ``select`` passes st.plotly_chart's selection options through (``on_select="rerun"``,
    ``selection_mode=...``); the selection is then in ``st.session_state[f"fig_{name}"]`` and returned.
    """
    title = fig.layout.title.text if fig.layout.title and fig.layout.title.text else name.replace("_", " ")
    alt = f"Chart: {title}." + (f" {caption}" if caption else "")  # what a screen reader says instead
    event = st.plotly_chart(fig, key=f"fig_{name}", theme=None, config={"displaylogo": False}, alt=alt, **select)
    left, right = st.columns([4, 1], vertical_alignment="center")
    if caption:
        left.caption(caption)
    # The CSV is made on click (a callable), not on every rerun: no to_csv per chart per rerun, no media file
    # to serve, and a download does not rerun the page.
    right.download_button("Data (CSV)", lambda: data.to_csv(index=False).encode(), file_name=f"{name}.csv",
                          mime="text/csv", key=f"csv_{name}", icon=":material/download:",
                          width="stretch", on_click="ignore")
    return event


def compute_note(device, dtype: str, seconds: float | None = None) -> None:
    """A small line saying where and how the figure was computed (device, dtype, time).

    ``device`` is the torch device the core call ran on, read off its result (a tensor's or a model's
    ``.device``, a result's ``params["device"]``); ``None`` means numpy/scipy on the CPU.
    """
    where = "CPU (numpy/scipy)" if device is None else str(device)
    bits = [f"device `{where}`", f"dtype `{dtype}`"]
    if seconds is not None:
        # the time this run waited, cache hits included (a fast time is not proof of a hit: say only the time)
        bits.append(f"{seconds:.1f} s" if seconds >= 0.1 else f"{1000 * seconds:.0f} ms")
    st.caption("Computed live: " + " · ".join(bits))
