"""Shared AppTest helpers for the page tests (tests/test_app.py, tests/test_page_*.py)."""
import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.navigation import CURRENT_PAGE

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 180  # seconds per run: the first grokking run trains a network


def open_page(page: str | None = None, **query) -> AppTest:
    """A new session opening ``page``'s link with ``query`` in its URL.

    AppTest can only reach a page by a first run (the home page) and a switch; in the browser a link opens
    the page in that session's first run. Forgetting the home run makes the switch that first run, so the
    page keeps the link's values (ui/navigation.leave_links_behind drops them on a visitor's page change).
    """
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.session_state[CURRENT_PAGE] = None
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_titles(at: AppTest) -> list[str]:
    titles = []
    for chart in at.get("plotly_chart"):
        layout = json.loads(chart.proto.spec)["layout"]
        titles.append(layout.get("title", {}).get("text", ""))
        titles += [a["text"] for a in layout.get("annotations", []) if "text" in a]
    return titles


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def page_text(at: AppTest) -> str:
    """Everything the page says in prose: titles, markdown and captions, as one string."""
    return " ".join(e.value for kind in ("markdown", "caption", "title") for e in at.get(kind))


def upload(at: AppTest, content: bytes, name: str, key: str = "upload") -> AppTest:
    """Give the uploader ``key`` a file and rerun; the page must not raise (bad files get a message)."""
    at.file_uploader(key=key).set_value((name, content, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at
