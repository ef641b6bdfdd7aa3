"""The app as a whole through AppTest: the home page and the navigation (each paper's page: tests/test_page_<slug>.py)."""
import subprocess
import sys


from core.registry import PAPERS, built

from pages_harness import APP, ROOT, open_page  # noqa: E402


# ----------------------------------------------------------------------------- home

def test_home_has_a_card_per_paper_and_links_only_built_pages():
    at = open_page()
    text = " ".join(m.value for m in at.markdown)
    for paper in PAPERS:
        assert paper.short in text and paper.arxiv in text
    links = at.get("page_link")
    assert len(links) == len(built()) >= 1
    assert len(at.get("image")) == len(PAPERS)  # every card has its thumbnail


def test_home_imports_neither_torch_nor_sklearn():
    code = ("import sys; from streamlit.testing.v1 import AppTest; "
            f"at = AppTest.from_file({APP!r}, default_timeout=60).run(); assert not at.exception; "
            "print(sorted(m for m in ('torch', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
