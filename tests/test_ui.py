"""The page helpers that hold logic: URL checking, the result store, figure data."""
import numpy as np

from core import grokking as gk
from ui.conventions import Choice, Slider, url_problems
from ui.grokking_figures import loss_figure, phase_figure
from ui.jobs import ResultStore

SPECS = [Slider("lr", "lr", 1, 30, 20, 1), Slider("x", "x", 0.0, 1.0, 0.5, 0.1),
         Choice("alpha", "alpha", (0.5, 1.0, 2.0), 1.0), Choice("mode", "mode", ("A", "B"), "A")]


def test_url_problems_accepts_what_streamlit_accepts():
    good = {"lr": "7", "x": "0.25", "alpha": "2", "mode": "B", "unrelated": "whatever"}
    assert url_problems(SPECS, good) == []


def test_url_problems_names_each_bad_value():
    bad = {"lr": "7.5", "x": "nan", "alpha": "2.0", "mode": "C"}
    problems = url_problems(SPECS, bad)
    assert len(problems) == 4
    for key, value in bad.items():
        assert any(f"`{key}={value}`" in p for p in problems)
    assert url_problems(SPECS, {"lr": "1e9"}) and url_problems(SPECS, {"x": ""})


def test_result_store_is_a_bounded_lru_with_ttl(monkeypatch):
    store = ResultStore(max_entries=2, ttl_seconds=10)
    store.put("a", 1), store.put("b", 2)
    assert store.get("a") == 1          # "a" is now the most recent
    store.put("c", 3)                   # evicts "b"
    assert store.get("b") is None and store.get("a") == 1 and len(store) == 2
    import ui.jobs
    now = ui.jobs.time.monotonic()
    monkeypatch.setattr(ui.jobs.time, "monotonic", lambda: now + 11)
    assert store.get("a") is None       # expired


def test_two_visitors_asking_for_one_job_share_one_computation():
    """Two threads ask for the same key at once: one computes, the other waits and gets the same object."""
    import threading
    import time
    store, started, results, waited = ResultStore(max_entries=4, ttl_seconds=60), threading.Event(), [], []

    def slow():
        started.set()
        time.sleep(0.3)
        return object()

    def visitor(first):
        if not first:
            started.wait(5)
        results.append(store.get_or_compute("job", slow, on_wait=lambda: waited.append(True)))

    threads = [threading.Thread(target=visitor, args=(i == 0,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert store.computations == 1 and len(results) == 2 and results[0] is results[1] and waited == [True]


def test_a_failed_job_is_retried_by_the_waiter_and_its_error_reaches_it():
    """The first computation fails: the waiting visitor computes it itself and sees its own error."""
    import threading
    import time
    store, started, errors = ResultStore(max_entries=4, ttl_seconds=60), threading.Event(), []

    def failing():
        started.set()
        time.sleep(0.2)
        raise RuntimeError("boom")

    def visitor(first):
        if not first:
            started.wait(5)
        try:
            store.get_or_compute("job", failing)
        except RuntimeError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=visitor, args=(i == 0,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert errors == ["boom", "boom"] and store.computations == 2 and store.get("job") is None


def test_figure_data_is_what_is_plotted():
    run = gk.simulate(D=20, P=110, lr_scale=5, steps=400, n_lazy=20, n_align=5)
    fig, data = loss_figure(run)
    test_trace = next(t for t in fig.data if t.name.startswith("network: test"))
    np.testing.assert_allclose(np.asarray(test_trace.y), data["test"].dropna().to_numpy())
    pd_ = gk.phase_diagram([0.5, 1.0], [0.02, 0.1], P=110, D=20, lr_scale=5, steps=300)
    fig, data = phase_figure(pd_)
    assert len(data) == 4 and np.allclose(fig.data[0].z.ravel(), data["amount"], equal_nan=True)


def test_limit_threads_pins_a_torch_loaded_before_it(monkeypatch):
    import torch

    from ui.threads import limit_threads
    monkeypatch.delenv("EIGEN_ATLAS_THREADS", raising=False)
    torch.set_num_threads(2)  # what torch picks on a 2-core machine when it loads before app.py runs
    try:
        assert limit_threads() == 1 and torch.get_num_threads() == 1
        monkeypatch.setenv("EIGEN_ATLAS_THREADS", "2")
        assert limit_threads() == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


def test_deep_linked_page_pins_threads():
    """A process whose first request is a deep link runs the page module without app.py (legacy runner)."""
    import threading

    import torch
    from streamlit.testing.v1 import AppTest

    from tests.pages_harness import ROOT
    torch.set_num_threads(2)
    try:
        at = AppTest.from_file(str(ROOT / "pages" / "topcow.py"), default_timeout=120)  # a quick page
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        # torch keeps the count per OpenMP thread and a new thread starts from the last one set: every
        # later script run happens in a new thread, so read it in one
        seen = []
        later_run = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
        later_run.start(), later_run.join()
        assert seen == [1]
    finally:
        torch.set_num_threads(1)


def _job_then_text():
    import streamlit as st
    from ui.jobs import cached, store
    cached(store("test.place", 2), "key", lambda progress: 42, "Computing...")
    st.markdown("below the job")


def test_a_cache_hit_keeps_every_later_element_in_place():
    """A computed and a cached job take the same one slot: the elements below keep their index, so the
    browser does not rebuild every chart below after the miss (issue 27's warm-interaction time)."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_function(_job_then_text).run()
    miss = list(at.main.children)
    at.run()
    assert not at.exception and at.markdown[0].value == "below the job"
    assert list(at.main.children) == miss and len(miss) == 2
