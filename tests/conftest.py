import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # so `import core` works from any cwd

# Test the app as it runs: one math thread per process (app.py sets the same before torch loads).
# Here it must happen before any test module imports torch, or AppTest runs keep 2 threads.
from ui.threads import limit_threads  # noqa: E402

limit_threads()


import pytest  # noqa: E402


def pytest_collection_modifyitems(items):
    """Everything under tests/e2e/ is a browser test (``-m "not browser"`` skips it)."""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.browser)
