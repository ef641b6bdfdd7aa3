"""Streamlit-side helpers shared by the pages (with pages/ and app.py, the only code that imports streamlit)."""
