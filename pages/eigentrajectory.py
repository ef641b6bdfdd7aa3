"""EigenTrajectory (Bae, Oh, Jeon, ICCV 2023): the page.

Widgets, layout, plots and text only; the simulator, descriptors, anchors and forecaster are in
core/eigentrajectory/, the figures in ui/eigentrajectory_figures.py.
"""
import time

import numpy as np
import pandas as pd
import streamlit as st

from core import eigentrajectory as et
from core.eigentrajectory import data, forecast as fc
from core.registry import by_slug
from ui import cache
from ui import eigentrajectory_figures as figs
from ui.conventions import Choice, Slider, compute_note, controls, explainers, figure, paper_header, unbound
from ui.navigation import use_app_navigation

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("eigentrajectory")
NETS = {"ET + anchors (trained)": "et", "no anchors (trained)": "free"}
SHOWN = {"ET + anchors": "ET + anchors (trained)", "no anchors": "no anchors (trained)",
         "anchors only": "anchors only", "constant velocity": "constant velocity"}
CONTROLS = [
    Choice("k", "k: ET coefficients per trajectory", data.K_OPTIONS, 6,
           help="How many eigen-trajectories describe a history or a future (the paper uses 6)."),
    Choice("anchors", "anchors = predicted futures per person", data.ANCHOR_OPTIONS, 20,
           help="k-means clusters of the training futures in ET space; each becomes one refined sample "
                "(the paper uses 20, hence minADE20 / minFDE20)."),
    Choice("density", "crowd density", tuple(et.DENSITIES), "medium", radio=True,
           help=f"Arrivals per minute: {', '.join(f'{n} {r:g}' for n, r in et.DENSITIES.items())}."),
    Slider("seed", "scene seed (held-out scenes)", 0, 99, 0, 1),
    Slider("window", "time in the scene (% of the recording)", 0, 100, 40, 1,
           help="Which 8 + 12 frame window (8 s) of the scene is shown."),
]
SHOW = Choice("show", "Futures drawn", tuple(SHOWN), "ET + anchors", radio=True)
SHOWS = """
* **ET space**: a truncated SVD of all normalised training trajectories (history and future separately,
  no mean-centring). With k = 6 it keeps > 99.9% of the energy of the futures.
* **Descriptor study (Fig. 2)**: at equal parameter count, ET reconstructs trajectories better than Bézier
  curves and B-splines (Eckart-Young guarantees it on the fitted set).
* **Anchors + refinement**: 20 k-means anchors in ET space, each refined by a residual from the
  wrapped predictor (10 published predictors, e.g. Social-STGCNN, AgentFormer); trained with
  winner-takes-all losses on coefficients, ADE and FDE. On ETH/UCY it roughly halves the best-of-20 errors
  of weak predictors (Social-STGCNN 0.44/0.75 m to 0.23/0.38 m, as transcribed; not checked against the PDF)."""
TRY_THIS = """
1. Click another person in the scene: the 20 futures fan out around where they were heading (straight on,
   veering, slowing, stopping), and the dashed truth usually lies close to one of them.
2. **Futures drawn = anchors only**: the same 20 prototype paths for everyone, just rotated to the heading.
   Switch back to see what refinement adds. **no anchors**: the network alone, no prototypes to start from.
3. **k = 2**: every future becomes a straight line at constant speed (u1 and u2 only); the rank-k oracle's
   floor rises from ~0.06 m to ~0.22 m, yet best-of-20 suffers less (20 straight lines still cover the
   directions). **k = 8** barely beats 6.
4. **anchors = 5** vs **30**: best-of-S errors fall as S grows, for every sampled method (constant velocity
   is one sample); refinement matters most when anchors are few.
5. **dense** crowd: more interactions; compare constant velocity's error with sparse.
6. Upload a Social-GAN-format ETH/UCY file (e.g. `eth/test/biwi_eth.txt`) in the sidebar."""


# Cached compute (ui/cache.py): shared, read-only results keyed by plain parameters, bounded.
@cache.resource(1, spinner="Fitting the ET space on the training crowd...")  # the shipped tracks' basis
def training():
    samples = fc.prepare(data.scene_windows(data.load_train_tracks()))
    return samples, et.ETDescriptor(16).fit(samples.obs), et.ETDescriptor(24).fit(samples.future)


@cache.resource(16, spinner="k-means in ET space...")  # 4 k x 4 anchor counts
def live_anchors(k, n_anchors) -> fc.Anchors:
    samples, _, future = training()
    return fc.fit_anchors(future.truncated(k).encode(samples.future), n_anchors)


@cache.resource(1)  # the shipped weights and metrics
def shipped():
    return data.load_forecasters(), data.load_metrics()


@cache.resource(40)  # every trained network of the grid
def network(k, n_anchors, which) -> fc.ETForecaster:
    return fc.ETForecaster.from_state(shipped()[0]["cells"][f"k{k}_s{n_anchors}"][which])


@cache.data(32, spinner="Simulating the crowd...")  # one scene's rows, ~100 kB
def simulated(seed, density) -> np.ndarray:
    return data.scene_tracks([(data.HELDOUT_BASE + seed, density)])[0]


def forecasts(samples, k, n_anchors):
    anchors, weights = live_anchors(k, n_anchors), shipped()[0]
    nets = {name: network(k, n_anchors, which) for name, which in NETS.items()}
    return fc.every_method(samples, nets, anchors, weights["U_obs"].double().numpy(),
                           weights["U_pred"].double().numpy(), k)


@cache.resource(12, ttl=cache.TTL_SECONDS, spinner="Forecasting every window of the scene...")  # large: by reference
def scene_results(key, _rows, k, n_anchors):
    """Windows, samples and every method's per-sample best-of-S errors over the whole scene."""
    windows = et.make_windows(_rows)
    samples = fc.prepare(windows)
    parts = []                                   # in chunks: a long upload would need GBs of futures at once
    for chunk in fc.window_chunks(windows.window):
        sub = fc.select(samples, chunk)
        parts.append({name: fc.best_of(pred, sub.future) for name, (pred, _) in forecasts(sub, k, n_anchors).items()})
    errors = {name: tuple(np.concatenate([p[name][i] for p in parts]) for i in (0, 1)) for name in parts[0]}
    return windows, samples, errors


@cache.data(16, spinner="Fitting Bezier curves and B-splines...")
def study(key, _samples) -> pd.DataFrame:
    train, _, _ = training()
    parts = [et.descriptor_study(getattr(train, p), getattr(_samples, p)).assign(part=name)
             for p, name in (("obs", "history"), ("future", "future"))]
    return pd.concat(parts, ignore_index=True)


# Built plotly figures are cached too (30-60 ms each to build): a click or the time slider rebuilds one.

@cache.resource(8)
def basis_figures(k):
    train, obs_et, fut_et = training()
    pick = np.random.default_rng(0).choice(len(train.obs), 150, replace=False)
    return (figs.normalised_figure(train.obs[pick], train.future[pick]),
            figs.eigen_figure(fut_et.truncated(k).eigen_trajectories, fut_et.singular_values),
            figs.energy_figure(obs_et.energy, fut_et.energy, k))


@cache.resource(16)
def anchors_figure(k, n_anchors):
    train, _, fut_et = training()
    anchors, basis = live_anchors(k, n_anchors), fut_et.truncated(k)
    cloud = np.random.default_rng(1).choice(len(train.obs), 3000, replace=False)
    return figs.anchors_figure(basis.decode(anchors.centres), anchors.counts, basis.encode(train.future[cloud]),
                               anchors.labels[cloud])


@cache.resource(16, ttl=cache.TTL_SECONDS)
def study_figure(key, _samples, k):
    return figs.study_figure(study(key, _samples), k)


@cache.resource(16)
def heldout_figure(k, n_anchors):
    return figs.heldout_figure(shipped()[1]["cells"], k, n_anchors)


@cache.resource(64, ttl=cache.TTL_SECONDS)
def scene_figure(key, w, k, n_anchors, agent, shown, _windows, _index, _world, _layout):
    sel = int(np.flatnonzero(_windows.agent[_index] == agent)[0])
    pred, prob = _world[SHOWN[shown]]
    return figs.scene_figure(_windows.traj[_index, :8], _windows.traj[_index, 8:], _windows.agent[_index], agent,
                             pred[sel], prob[sel], shown, _layout)


@cache.resource(64, ttl=cache.TTL_SECONDS)
def window_forecast(key, w, k, n_anchors, _samples, _windows):
    """The chosen window's samples and every method's futures, back in world coordinates."""
    samples, windows = _samples, _windows
    index = np.flatnonzero(windows.window == w)
    sub = fc.select(samples, index)
    return index, {name: (sub.norm.invert(pred), prob) for name, (pred, prob) in forecasts(sub, k, n_anchors).items()}


def scene_source(seed, density):
    """Rows, a cache key, the corridor layout (None for uploads) and a description."""
    upload = st.sidebar.file_uploader(
        "Your own trajectories (ETH/UCY text)", type=["txt", "csv", "tsv"], max_upload_size=5,
        key=unbound("upload", "an uploaded file cannot travel in a link"), help="Rows of frame, agent id, x, y "
        "(metres, 0.4 s per frame), whitespace- or comma-separated, optional header.")
    if upload is not None:
        raw = upload.getvalue()
        try:
            return et.read_tracks(raw), cache.digest(raw), None, f"your file {upload.name}"
        except et.TrackFormatError as err:
            st.error(f"Could not use {upload.name}: {err} The simulated crowd is shown instead.",
                     icon=":material/error:")
    cfg = et.CrowdConfig()
    return (simulated(seed, density), ("sim", seed, density), (cfg.length, cfg.width, cfg.pillar),
            f"simulated corridor, seed {seed}, {density}")


def pick_agent(agents, default):
    """Sync a click on the scene chart into the agent selectbox (the selectbox is the keyboard fallback)."""
    clicked = figs.agent_from_selection(st.session_state.get("fig_eigentrajectory_scene"))
    if clicked is not None and clicked in agents and clicked != st.session_state.get("_et_clicked"):
        st.session_state["agent"] = clicked
    st.session_state["_et_clicked"] = clicked
    if st.session_state.get("agent") not in agents:
        st.session_state["agent"] = default
    return st.selectbox("Agent", agents, key=unbound("agent", "the people change with the scene and the time slider; "
                        "a click on the chart picks one"), format_func=lambda a: f"agent {a}",
                        help="Or click an agent's current position in the plot.")


@st.fragment
def scene_section(key, w, k, n_anchors, windows, samples, errors, layout, source):
    """Section 1 as a fragment: a click on the chart, the agent box or the drawn futures reruns only this."""
    index, world = window_forecast(key, w, k, n_anchors, samples, windows)
    agents = windows.agent[index]
    default = int(agents[np.argmax(errors["constant velocity"][1][index])])   # the least straight-ahead walker
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    with left:
        agent = pick_agent(list(map(int, agents)), default)
    with right:
        shown = controls([SHOW], where=st)["show"]
    sel = int(np.flatnonzero(agents == agent)[0])
    fig, fig_data = scene_figure(key, w, k, n_anchors, agent, shown, windows, index, world, layout)
    n_drawn = world[SHOWN[shown]][1].shape[1]
    figure(fig, fig_data, "eigentrajectory_scene", on_select="rerun", selection_mode="points",
           caption=f"{source}; window from frame {windows.start[w]:g}, {len(index)} people. Orange: the {n_drawn} "
                   "forecast(s) of the selected person, more opaque = more probable; dashed: what really happened. "
                   "Grey dotted: the others' true futures. Click a person's current position to select them.")

    table = pd.DataFrame([{"method": name, "samples": world[name][0].shape[1],
                           "minADE scene (m)": ade.mean(), "minFDE scene (m)": fde.mean(),
                           f"minADE agent {agent} (m)": ade[index][sel], f"minFDE agent {agent} (m)": fde[index][sel]}
                          for name, (ade, fde) in errors.items()])
    cols = st.columns(4)
    for col, name in zip(cols, ("ET + anchors (trained)", "no anchors (trained)", "anchors only", "constant velocity")):
        ade, fde = errors[name]
        col.metric(f"{name}: minADE / minFDE", f"{ade.mean():.2f} / {fde.mean():.2f} m",
                   help=f"Best of {world[name][0].shape[1]} over all {len(samples.obs)} (person, window) samples "
                        "of this scene.")
    st.dataframe(table, hide_index=True, column_config={c: st.column_config.NumberColumn(format="%.3f")
                                                        for c in table.columns if c.startswith("min")})
    st.caption("Live, over every window of this scene. The rank-k oracle is the ground truth projected onto the "
               "first k eigen-trajectories: the floor of any forecast in ET space.")


def header(summary: dict) -> dict:
    paper_header(PAPER)
    st.markdown(
        "Pedestrian futures are 12 positions = 24 numbers, but they are highly redundant: people walk "
        "smoothly. EigenTrajectory normalises every trajectory to its own frame, stacks them as the columns of "
        "a matrix and keeps its top k left singular vectors, the **eigen-trajectories**. A history or future is "
        "then k coefficients. k-means in that space gives **anchors** (prototype futures), and a network "
        "only refines each anchor: the refined anchors are the multi-modal forecast.")
    st.latex(r"M=[\tilde{\mathbf x}_1\ \cdots\ \tilde{\mathbf x}_N]\in\mathbb R^{2T\times N},\quad "
             r"M=U\Sigma V^\top,\quad C=U_k^\top M,\quad \hat M=U_kC,\quad "
             r"\hat{\mathbf x}_s=U_k\,(\mathbf c^{\mathrm{anchor}}_s+\Delta\mathbf c_s)")
    explainers(shows=SHOWS, try_this=TRY_THIS, differs=figs.differs_text(summary))
    return controls(CONTROLS)


def live_scene(values: dict):
    """Section 1: the scene (simulated or uploaded), every window forecast; returns (rows, key, samples)."""
    k, n_anchors = values["k"], values["anchors"]
    start = time.perf_counter()
    rows, key, layout, source = scene_source(values["seed"], values["density"])
    windows, samples, errors = scene_results(key, rows, k, n_anchors)
    if source.startswith("your file"):
        st.sidebar.info("Using your file: the density and seed controls are idle until it is removed.")
    st.header("1 · A crowd, and 20 futures per person")
    w = int(round(values["window"] / 100 * (len(windows.start) - 1)))
    scene_section(key, w, k, n_anchors, windows, samples, errors, layout, source)
    compute_note(network(k, n_anchors, "et").anchors.device, "float32 network, float64 SVD",
                 time.perf_counter() - start)
    return rows, key, samples


def normalise_and_svd(k: int) -> None:
    train, obs_et, fut_et = training()
    normalised, basis, energy = basis_figures(k)
    st.header("2 · Normalise: every trajectory in its own frame")
    st.markdown("Translate each window so the last observed point is the origin, rotate it so the heading "
                "(the last two observed steps) points along +x. Only the history decides the frame; the future "
                "follows. What remains is the *shape* of the motion.")
    figure(*normalised, "eigentrajectory_normalised")

    st.header("3 · The SVD: eigen-trajectories and their energy")
    st.markdown(f"The {len(train.obs):,} normalised training futures form a 24 x {len(train.obs):,} matrix (histories "
                "16 x N). Its left singular vectors are the eigen-trajectories: u1 is the straight walk along the "
                "heading, u2 a steady sideways drift, u3 a change of speed, u4 a curving turn; the rest add "
                "wiggles, alternating along and across the heading. The singular values fall fast.")
    figure(*basis, "eigentrajectory_basis", caption="Each u_i is a unit vector in R^24 read back as 12 points.")
    figure(*energy, "eigentrajectory_energy",
           caption=f"k = {k} leaves {100 * (1 - fut_et.energy[k - 1]):.3f}% of the futures' energy out.")


def descriptor_study(key, samples, k: int) -> None:
    st.header("4 · ET against Bézier curves and B-splines")
    st.markdown("The paper's descriptor study on this page's held-out scene: the same windows described with n "
                "numbers each. ET at n = k coefficients; Bézier and B-splines with n / 2 two-dimensional control "
                "points fitted by least squares. The ET basis comes from the training crowd, so this is the "
                "stricter train/test variant.")
    figure(*study_figure(key, samples, k), "eigentrajectory_study",
           caption="Mean (ADE) and final (FDE) point error in metres, log scale; dashed: the current k. ET's "
                   "history FDE is 0 and not drawn: every normalised history ends at the origin, so every "
                   "eigen-trajectory does too. ET minimises the squared error over all points, so at large n the "
                   "curves can match it on the final point alone.")


def anchors_section(k: int, n_anchors: int) -> None:
    st.header("5 · Anchors: k-means in ET space")
    figure(*anchors_figure(k, n_anchors), "eigentrajectory_anchors",
           caption="Left: the anchors as futures (line width = share of training futures). Right: 3,000 training "
                   "futures' first two coefficients, coloured by cluster.")


def refinement(summary: dict, k: int, n_anchors: int) -> None:
    st.header("6 · Refinement: the trained forecaster")
    st.markdown("For each person the network reads its own history coefficients and its 6 nearest neighbours "
                "(relative position, last step, their history coefficients), then outputs one residual per anchor "
                "and a score. Losses (winner-takes-all, as the paper): min over samples of the coefficient error, "
                "of ADE and of FDE, each its own min; plus a cross-entropy that teaches the scores which sample wins.")
    cell = summary["cells"][f"k{k}_s{n_anchors}"]
    figure(*heldout_figure(k, n_anchors), "eigentrajectory_heldout",
           caption=f"Precomputed by scripts/train_eigentrajectory.py on {summary['heldout_samples']:,} held-out "
                   f"samples ({len(summary['heldout_scenes'])} scenes). This cell trained in "
                   f"{cell['cpu_seconds']:.0f} s of one CPU core (both networks + k-means + evaluation).")
    st.dataframe(pd.DataFrame([{"method": m, **v} for m, v in cell["metrics"].items()]), hide_index=True)
    euclidean_twin(k, n_anchors)


def euclidean_twin(k: int, n_anchors: int) -> None:
    """The paper's headline: the same predictor in ET space against Euclidean space (precomputed)."""
    twin = data.load_twin_metrics()
    cell = (twin or {}).get("cells", {}).get(f"k{k}_s{n_anchors}")
    if cell is None:
        st.info(f"The Euclidean twin was trained for {', '.join(sorted((twin or {}).get('cells', {}))) or 'no cell'}"
                " (scripts/train_eigentrajectory_twin.py); pick one of those k / anchors to compare.")
        return
    st.markdown("**ET space or Euclidean space?** The same network body, loss, data, epochs and seed, but each "
                "sample is the 24 numbers of the future instead of k coefficients (no anchors), against a "
                f"best-of-{n_anchors} noisy constant velocity and the collision rate of every method's futures:")
    st.dataframe(figs.twin_table(cell), hide_index=True)
    st.markdown(figs.twin_sentence(cell))


def own_data(rows) -> None:
    st.header("7 · Your own data")
    st.markdown("Upload an ETH/UCY-style text file in the sidebar (frame, agent id, x, y in metres at 2.5 fps). "
                "Every agent seen in 20 consecutive frames is forecast. Or download this scene in that layout:")
    st.download_button("This scene as ETH/UCY text", et.write_tracks(rows).encode(), "eigentrajectory_scene.txt",
                       "text/plain", key="scene_txt", icon=":material/download:")


weights, summary = shipped()
values = header(summary)
rows, key, samples = live_scene(values)
normalise_and_svd(values["k"])
descriptor_study(key, samples, values["k"])
anchors_section(values["k"], values["anchors"])
refinement(summary, values["k"], values["anchors"])
own_data(rows)
