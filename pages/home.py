"""Home: one card per paper in the registry; a card links to its page only where the page exists."""
import streamlit as st

from core.registry import PAPERS, Paper
from ui.navigation import use_app_navigation

use_app_navigation()  # before anything renders (see ui/navigation.py)

st.title("Eigen Atlas")
st.markdown(
    "Twelve recent ML papers, each with a page that **runs the paper's own mechanism live**, at a scale "
    "that takes seconds on a laptop CPU. Every figure is computed while you watch, every control is in "
    "the page's link (copy the URL to share the exact figure), and every chart offers its data as CSV."
)
n_built = sum(p.page is not None for p in PAPERS)
st.caption(f"{n_built} of {len(PAPERS)} papers are in the atlas so far; the others are listed with "
           "their one-line idea until their page lands.")


def card(paper: Paper) -> None:
    with st.container(border=True, height="stretch"):
        if paper.thumbnail.exists():
            st.image(str(paper.thumbnail), width="stretch", alt=f"Thumbnail of the {paper.short} page: {paper.idea}")
        st.markdown(f"**{paper.short}**  \n<small>{paper.venue} · "
                    f"[arXiv {paper.arxiv}]({paper.arxiv_url})</small>", unsafe_allow_html=True)
        st.caption(paper.idea)
        if paper.page:
            st.page_link(paper.page, label="Open the page", icon=":material/arrow_forward:")
        else:
            st.caption(":grey[Not yet in the atlas]")


COLUMNS = 4
for start in range(0, len(PAPERS), COLUMNS):
    for column, paper in zip(st.columns(COLUMNS), PAPERS[start:start + COLUMNS]):
        with column:
            card(paper)
