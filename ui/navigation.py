"""The app's navigation, built from the paper registry; used by app.py and by every page's guard.

Streamlit 1.67 decides once per process whether a folder called pages/ is a legacy (v1) multipage
app, and only stops when some run calls st.navigation. If a session's first request is a deep link
(/grokking) before any run has called it, the legacy runner executes pages/grokking.py directly: the
sidebar lists raw file names, and widgets get other identities than in later runs, so the first click
is lost. AppTest re-arms legacy mode before every run. So every page starts with
``use_app_navigation()``.
"""
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from core.registry import built
from ui.threads import limit_threads


def page_config() -> None:
    st.set_page_config(page_title="Eigen Atlas", page_icon="assets/favicon.png", layout="wide",
                       menu_items={"About": "Eigen Atlas: recent ML papers, each running live at teaching scale."})


def sections() -> dict[str, list[st.Page]]:
    home = st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)  # served at /
    papers = [st.Page(p.page, title=p.short, icon=p.icon, url_path=p.slug) for p in built()]
    return {"Eigen Atlas": [home], "Papers": papers}


CURRENT_PAGE = "eigen_atlas_current_page"  # session-state entry: the url_path of the page last run


def app_navigation() -> st.Page:
    """Page config + the sectioned navigation; returns the page the URL selects."""
    page_config()
    page = st.navigation(sections())
    leave_links_behind(page)
    return page


def leave_links_behind(page: st.Page) -> None:
    """A page's controls belong to that page: when the visitor changes page, the next one starts clean.

    Streamlit 1.67 carries two things across a sidebar click: the query string, and the values of the
    widgets just left (session state, and the front end sends them with the click). Pages reuse keys
    (``n``, ``steps``, ``seed``), so the next page read them as its own: ebv's N = 50 reached
    bootstrap_amg's N slider (500 to 5000), which Streamlit raises on, and lightsb's ``steps`` silently
    set ebv's. Every session-state entry here is page-scoped (widget values, chart selections, a page's
    click memory), so all of them go. The session's first page keeps its URL (a shared link), and a page
    rerunning itself keeps everything.
    """
    last = st.session_state.get(CURRENT_PAGE)
    st.session_state[CURRENT_PAGE] = page.url_path
    if last is None or last == page.url_path:
        return
    st.query_params.clear()
    for key in [k for k in st.session_state.keys() if k != CURRENT_PAGE]:
        del st.session_state[key]


def use_app_navigation() -> None:
    """First call of every page module: a no-op unless Streamlit's legacy pages/ runner is active.

    Under the legacy runner: install the registry's navigation (which ends legacy mode for the
    process) and run the page it selects inside it, so the page's widgets get the same identities
    as in every later run, then stop the legacy run.
    """
    limit_threads()  # a deep link's page module loads torch before app.py ever runs (ui/threads.py)
    if not PagesManager.uses_pages_directory:
        return
    app_navigation().run()
    st.stop()
