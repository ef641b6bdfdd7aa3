"""The EigenTrajectory page through AppTest: defaults, a changed control, URL state, a chart click, uploads."""
import numpy as np

from core import eigentrajectory as et

from pages_harness import chart_titles, metric, open_page

PAGE = "pages/eigentrajectory.py"
ET = "ET + anchors (trained): minADE / minFDE"
CV = "constant velocity: minADE / minFDE"


def metres(text: str) -> tuple[float, float]:
    ade, fde = text.replace(" m", "").split(" / ")
    return float(ade), float(fde)


def test_defaults_show_scene_basis_study_anchors_and_heldout():
    at = open_page(PAGE)
    titles = " | ".join(chart_titles(at))
    for expected in ("20 predicted futures", "Eigen-trajectories u1..u6", "Explained energy",
                     "Reconstruction error against number of parameters", "20 anchors: k-means",
                     "Held-out scenes, k = 6"):
        assert expected in titles, expected
    et_ade, et_fde = metres(metric(at, ET))
    cv_ade, cv_fde = metres(metric(at, CV))
    assert et_fde < cv_fde and et_ade < cv_ade                    # live, on this held-out scene
    assert [e.label for e in at.expander] == ["What the paper shows", "Try this", "What differs from the paper here"]
    assert len(at.get("download_button")) >= 7 and not at.error and not at.warning


def test_changing_k_and_the_drawn_futures():
    at = open_page(PAGE)
    at.select_slider(key="k").set_value(4).run()
    assert not at.exception
    assert any("u1..u4" in t for t in chart_titles(at))
    at.radio(key="show").set_value("constant velocity").run()
    assert not at.exception and any("1 predicted futures" in t for t in chart_titles(at))


def test_query_params_set_the_controls():
    at = open_page(PAGE, anchors="10", density="dense", seed="3")
    assert at.select_slider(key="anchors").value == 10 and at.radio(key="density").value == "dense"
    assert any("10 predicted futures" in t for t in chart_titles(at)) and not at.warning


def test_bad_query_param_falls_back_with_a_note():
    at = open_page(PAGE, k="5")
    assert any("k=5" in w.value for w in at.warning)
    assert at.select_slider(key="k").value == 6 and at.metric


def test_clicking_an_agent_selects_it():
    at = open_page(PAGE)
    options = at.selectbox(key="agent").options
    other = int(next(o for o in options if o != at.selectbox(key="agent").value).split()[-1])
    at.session_state["fig_eigentrajectory_scene"] = {"selection": {"points": [{"customdata": [other]}], "point_indices": [0],
                                                     "box": [], "lasso": []}}
    at.run()
    assert not at.exception
    assert at.selectbox(key="agent").value == other
    assert any(f"futures of agent {other}" in t for t in chart_titles(at))


def test_uploaded_tracks_are_forecast_and_bad_files_say_why():
    rows = et.simulate(7, "sparse")
    at = open_page(PAGE)
    at.file_uploader(key="upload").set_value(("mine.txt", et.write_tracks(rows).encode(), "text/plain")).run()
    assert not at.exception and not at.error
    assert any("your file mine.txt" in c.value for c in at.caption)
    at.file_uploader(key="upload").set_value(("bad.csv", b"frame,ped,x\n1,2,3\n", "text/csv")).run()
    assert not at.exception
    assert any("Missing column(s): y" in e.value for e in at.error)
    assert any("simulated corridor" in c.value for c in at.caption)   # fell back to the simulated crowd
    short = "\n".join(f"{f} 1 {0.4 * f:.2f} 1.0" for f in range(12)).encode()
    at.file_uploader(key="upload").set_value(("short.txt", short, "text/plain")).run()
    assert any("too short" in e.value for e in at.error) and not at.exception


def test_scene_metrics_are_numbers():
    at = open_page(PAGE, seed="1", density="sparse")
    ade, fde = metres(metric(at, "anchors only: minADE / minFDE"))
    assert np.isfinite(ade) and 0 < ade < fde


def test_click_events_in_every_shape_give_the_agent():
    from ui.eigentrajectory_figures import agent_from_selection
    browser = {"selection": {"points": [{"curve_number": 8, "customdata": {"0": 4}}]}}   # as Chromium sent it
    assert agent_from_selection(browser) == 4
    assert agent_from_selection({"selection": {"points": [{"customdata": 7}]}}) == 7
    assert agent_from_selection({"selection": {"points": [{"x": 1.0}, {"customdata": [3]}]}}) == 3
    assert agent_from_selection({"selection": {"points": []}}) is None and agent_from_selection(None) is None


def test_euclidean_twin_comparison_is_stated_from_the_numbers():
    at = open_page("pages/eigentrajectory.py")
    text = " ".join(m.value for m in at.markdown)
    assert "Euclidean space" in text and "the paper's claim holds here" in text
    assert "noisy constant velocity" in text and "Collision rates" in text
