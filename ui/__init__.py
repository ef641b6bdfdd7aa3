"""Streamlit-side helpers shared by the pages (the only package besides pages/ that imports streamlit)."""


def use_app_navigation() -> None:
    """Make sure the page runs under app.py's st.navigation, never Streamlit's legacy pages/ runner.

    Streamlit (1.67) decides once per process whether to treat a folder called pages/ as a v1
    multipage app, and only stops when some run calls st.navigation. If the server's very first visit
    is a deep link (/grokking), the legacy runner executes pages/grokking.py directly and the sidebar
    lists the raw file names for every session. Every page calls this first: it switches the legacy
    mode off and reruns, so app.py runs and routes the same URL through the registry's navigation.
    """
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
