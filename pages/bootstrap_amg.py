"""Extending Bootstrap AMG for Clustering of Attributed Graphs (D'Ambra, Vassilevski, Cutillo, AMC 2023):
the page.

Widgets, layout, plots and text only; the compute is core/bootstrap_amg/, the figures
ui/bootstrap_amg_figures.py. The sections run top to bottom, in the order of the calls at the end.
"""
import time

import numpy as np
import pandas as pd
import streamlit as st

from core import assets
from core.bootstrap_amg import graphs, speed, study
from core.registry import by_slug
from ui import bootstrap_amg_figures as figs
from ui import cache
from ui.conventions import Choice, Slider, compute_note, controls, explainers, figure, paper_header, unbound
from ui.jobs import on_request, store
from ui.navigation import use_app_navigation

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("bootstrap_amg")
SOURCES = ("SBM", "karate club", "upload")
CONTROLS = [
    Choice("source", "Graph", SOURCES, "SBM", radio=True),
    Slider("n", "N: vertices (SBM)", 500, 5000, 2000, 100),
    Slider("q", "q: planted blocks (SBM) = clusters", 2, 8, 4, 1),
    Slider("degree", "mean degree c (SBM)", 4, 20, 10, 1),
    Choice("eps", "eps = c_out / c_in (SBM: 0 = clear, 1 = no structure)", study.SWEEPS["eps"] + (0.6, 0.8), 0.2),
    Choice("p", "p: attribute = true block with probability p (SBM)", (0.0, 0.25, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
           0.6, help="Otherwise a uniform draw over the q values, so p = 0 is pure noise."),
    Choice("omega", "omega: weight of the attribute edges (1 = paper)", study.SWEEPS["omega"], 1.0),
    Choice("embedding", "Clustering shown in detail", ("kmeansblock (paper)", "rows only"), "kmeansblock (paper)",
           radio=True, help="kmeansblock: each vertex's row plus its attribute vertices' rows (the paper's "
           "vector-valued distance). rows only: the structure vertices' rows of the same embedding."),
    Choice("method", "Embedding of the augmented graph", ("bootstrap", "eigsh"), "bootstrap", radio=True,
           help="bootstrap: smooth vectors of the Laplacian (the paper). eigsh: top eigenvectors of the "
                "normalised adjacency (classic spectral clustering)."),
    Choice("restarts", "k-means restarts kept by", ("inertia", "modularity"), "inertia", radio=True,
           help="inertia: scikit-learn k-means++, 10 restarts. modularity: the official code's rule, 100 "
                "restarts from random rows (<= 10 Lloyd steps), the highest modularity of the graph kept (slower)."),
    Slider("vectors", "smooth vectors (1 + hierarchies; official default up to 41)", 3, 21, 9, 1),
    Slider("k", "clusters for an upload", 2, 10, 3, 1),
    Slider("seed", "seed (graph, smooth vectors, k-means)", 0, 99, 0, 1),
]
DETAIL = {("bootstrap", "kmeansblock (paper)"): "boot_block", ("bootstrap", "rows only"): "boot_rows",
          ("eigsh", "kmeansblock (paper)"): "eigsh_block", ("eigsh", "rows only"): "eigsh_rows"}
SWEEP = Choice("sweep", "Sweep", tuple(study.SWEEPS), "eps", radio=True)
SCORE = Choice("score", "Score plotted", ("NMI", "ARI", "modularity"), "NMI", radio=True)
SWEEPS = store("bootstrap_amg_sweeps", max_entries=12)  # one entry: a ~40-row table
TIMINGS = store("bootstrap_amg_speed", max_entries=2)   # one entry: a 6-row table


# ----------------------------------------------------------------------------- cached compute (bounded)

@cache.data(16, spinner="Drawing the graph...")  # one entry: a CSR graph of <= 10k vertices, < 2 MB
def load_graph(source, n, q, degree, eps, p, seed, digest, _edges=None, _attrs=None):
    if source == "SBM":
        return graphs.sbm_graph(n, q, degree, eps, p, seed)
    if source == "karate club":
        return graphs.karate()
    return graphs.parse_upload(_edges, _attrs)


@cache.data(16, spinner="Bootstrap smooth vectors and the lowest eigenvectors...")  # tables + (n, 21) array
def diagnostics(key, _graph, k, vectors, seed):
    return study.diagnostics(_graph.A, k, vectors, seed, name="this graph")


@cache.data(32, spinner="Clustering with every method...")  # one entry: a 7-row table + 7 label vectors
def scores(key, _graph, k, omega, vectors, seed, restarts):
    return study.score_table(_graph, k, omega, vectors, seed, restarts=restarts)


@cache.resource(1)
def shipped_speed() -> pd.DataFrame:
    return pd.read_csv(assets.path("bootstrap_amg", "speed_100k.csv"))


# ----------------------------------------------------------------------------- sections

def header() -> dict:
    paper_header(PAPER)
    st.markdown(
        "Cluster a graph whose vertices carry categorical attributes. The paper **augments** the graph (one new "
        "vertex per attribute value, joined to the vertices that take it), embeds the augmented graph with the "
        "**algebraically smooth vectors** a bootstrap algebraic-multigrid (AMG) setup produces as a by-product, "
        "instead of Laplacian eigenvectors, and runs a block k-means. Everything below runs live (pyamg builds "
        "the hierarchies, scikit-learn runs k-means, scipy the eigen-solvers) except the 100k speed table, "
        "labelled precomputed.")
    explainers(
        shows="* The bootstrap loop: each AMG hierarchy is fitted to the error the composite solver built so "
              "far cannot reduce; those errors are *smooth vectors*, a cheap (linear-cost) stand-in for the low "
              "eigenvectors of L.\n* Augmentation + smooth vectors + **kmeansblock** (each vertex = its row plus "
              "its attribute vertices' rows) \"outperforms structure-only methods when the attributed network has "
              "an ambiguous structure\" and \"largely outperforms\" SA-Cluster (abstract).\n* Scored in the "
              "official code by modularity and SA-Cluster entropy; the paper's tables were not verified here.",
        try_this="1. Default SBM (eps 0.2, p 0.6): compare the paper's kmeansblock bar with the attribute alone: "
                 "the sentence under the chart says whether they match. Switch the detail to **rows only**.\n2. eps 0.05: structure alone is enough; "
                 "eps 0.4, p 0.8: only the attribute carries signal.\n3. omega from 0 to 10: the rows-only NMI "
                 "rises, peaks, then falls back to the attribute (run the omega sweep).\n4. Section 2: smooth "
                 "vectors capture a grid's low eigenspace, not the SBM's; raise the smooth vectors slider.\n5. "
                 "Karate club: the attribute *is* the known split, so any method that follows it scores NMI 1.",
        differs="* **pyamg re-implementation**, not the official C code (not vendored): pyamg's double pairwise "
                "aggregation (Notay) matched on D_w L D_w stands in for BootCMatch's compatible weighted matching "
                "(Preis' algorithm); unsmoothed aggregation fitted to w (`fit_candidates`), symmetric Gauss-Seidel, "
                "15 composite iterations per vector as in the official defaults.\n* 9 smooth vectors by default, "
                "not up to 41 (the official max_hrc = 40), to stay interactive; the slider goes to 21.\n* By default "
                "k-means++ with 10 restarts kept by inertia (scikit-learn); the restarts control switches to the "
                "official rule (100 random-row restarts kept by modularity). Rows-only embeddings are row-normalised."
                "\n* A tiny diagonal shift replaces the official rank-1 "
                "fix, so disconnected graphs and isolated vertices (which crash the official binary) work.\n* "
                "Attribute edges carry a weight omega (the official code ignores weights: omega = 1).\n* Data: "
                "generated SBMs and networkx's karate club; the paper's Lazega and yeast files have no licence.")
    return controls(CONTROLS)


def load(values: dict):
    """The graph chosen in the sidebar, or None after saying why not."""
    edges = attrs = None
    digest = ""
    if values["source"] == "upload":
        st.sidebar.caption(f"Edge list: `u v` or `u,v` per line (<= {graphs.MAX_EDGES:,} edges, "
                           f"{graphs.MAX_NODES:,} nodes). Attribute CSV: node, then one column per attribute.")
        edge_file = st.sidebar.file_uploader("Edge list", type=["txt", "csv", "tsv", "edges"],
                                             key=unbound("edges", "an uploaded file cannot travel in a link"))
        attr_file = st.sidebar.file_uploader("Attribute CSV (optional)", type=["csv", "txt"],
                                             key=unbound("attrs", "an uploaded file cannot travel in a link"))
        if edge_file is None:
            st.info("Upload an edge list in the sidebar (and optionally an attribute CSV); showing the karate "
                    "club meanwhile.")
            values = {**values, "source": "karate club"}
        else:
            edges, attrs = edge_file.getvalue(), attr_file.getvalue() if attr_file else None
            digest = cache.digest(edges) + (cache.digest(attrs) if attrs else "")
    try:
        graph = load_graph(values["source"], values["n"], values["q"], values["degree"], values["eps"],
                           values["p"], values["seed"], digest, edges, attrs)
    except graphs.GraphError as err:
        st.error(f"Cannot use this upload: {err}")
        return None, None, None
    k = values["q"] if values["source"] == "SBM" else 2 if values["source"] == "karate club" else values["k"]
    key = (values["source"], values["n"], values["q"], values["degree"], values["eps"], values["p"],
           values["seed"], digest)
    return graph, k, key


def augmentation(graph, values: dict) -> None:
    st.header("1 · The augmented graph")
    a, b, c, d = st.columns(4)
    a.metric("vertices", f"{graph.n:,}")
    b.metric("edges", f"{graph.edges:,}")
    values_count = 0 if graph.attributes is None else int(sum(graph.attributes.max(axis=0) + 1))
    c.metric("attribute vertices", values_count)
    d.metric("connected components", study.components(graph.A))
    colour = graph.labels if graph.labels is not None else (graph.attributes[:, 0] if graph.attributes is not None
                                                            else np.zeros(graph.n, int))
    name = graph.attribute_names[0] if graph.attribute_names else "attribute"
    fig, data = figs.augmentation_figure(graph.A, graph.attributes, colour, values["omega"], name, values["seed"],
                                         graph.value_names[0] if graph.value_names else ())
    figure(fig, data, "bootstrap_amg_augmentation", caption="A sample of the structure vertices (colour: planted "
           "block, or the first attribute when none is known), their edges, and the attribute vertices; the full "
           f"augmented graph has {graph.n + values_count:,} vertices and "
           f"{graph.edges + (0 if graph.attributes is None else graph.n * graph.attributes.shape[1]):,} edges.")
    if graph.attributes is None:
        st.warning("This graph has no attributes: the page clusters the structure alone.")
    if values["source"] == "karate club":
        st.caption("Karate club: the attribute `club` is also the known split, so the attribute alone scores "
                   "NMI 1 and any method that follows it does too; read modularity and the structure-only rows.")


def smooth_vectors(graph, k: int, key, values: dict) -> None:
    st.header("2 · Smooth vectors against Laplacian eigenvectors")
    start = time.perf_counter()
    diag = diagnostics(key, graph, k, values["vectors"], values["seed"])
    boot = diag.boot
    fig, data = figs.hierarchy_figure(boot.rho, boot.complexity, boot.levels)
    figure(fig, data, "bootstrap_amg_hierarchies", caption=f"{len(boot.rho)} hierarchies on L = D - A of the "
           f"structure graph; the composite solver's rate went from {boot.rho[0]:.3f} to {boot.rho[-1]:.3g}. Each "
           "hierarchy: pyamg double pairwise aggregation matched on diag(w) L diag(w), the prolongator fitted to w "
           "(BootCMatch matches on its compatible weights with Preis' algorithm instead).")
    fig, data = figs.capture_figure(diag.curves)
    last = diag.curves.groupby("graph", sort=False)["captured fraction"].last().to_list()
    figure(fig, data, "bootstrap_amg_capture", caption=f"With {boot.W.shape[1]} smooth vectors: "
           f"{100 * last[0]:.0f} % of this graph's {k} lowest eigenvectors, {100 * last[1]:.0f} % on the grid.")
    fig, data = figs.localisation_figure(diag.localisation)
    figure(fig, data, "bootstrap_amg_localisation", caption=f"The lowest-degree vertices "
           f"({100 * diag.low_vertex_share:.0f} % of them) hold {100 * diag.low_degree_share:.0f} % of the weight of "
           f"L's {k} lowest non-trivial modes.")
    low, share = diag.low_vertex_share, diag.low_degree_share
    parts = study.components(graph.A)
    if parts > 1:
        st.caption(f"This graph has {parts} connected components: L's null space alone holds {parts} indicator "
                   "vectors, so its lowest modes follow the components (isolated vertices included).")
    if share > 3 * low:
        st.markdown(f"Why: the smoothest vectors of the combinatorial L are its lowest modes, and here those "
                    f"**localise on low-degree vertices**: {100 * share:.0f} % of their weight sits on "
                    f"{100 * low:.0f} % of the vertices, not on the blocks. The normalised adjacency spreads its top "
                    "eigenvectors over the vertices, which is why `eigsh` on it finds the blocks; on a mesh the low "
                    "modes are the global waves AMG was built for.")
    else:
        st.markdown(f"Here the lowest modes of L do not localise on low-degree vertices ({100 * share:.0f} % of "
                    f"their weight on {100 * low:.0f} % of the vertices), the situation AMG smooth vectors handle.")
    compute_note(None, "float64", time.perf_counter() - start)


def verdicts(table: pd.DataFrame, measure: str) -> list[str]:
    """The two sentences the issue asks for, built from this graph's numbers."""
    row = table.set_index("method")[measure]
    names = {m[0]: m[1] for m in study.METHODS}
    if names["boot_rows"] not in row:
        return []
    rows_best = max(row[names["boot_rows"]], row[names["eigsh_rows"]])
    structure = max(row[names["boot_struct"]], row[names["eigsh_struct"]])
    alone = row[study.ATTRIBUTE]
    if measure != "NMI":
        help_ = ("No planted partition is known here, so the page cannot say whether the attributes help; it "
                 f"compares modularity of the graph, which favours structure-only methods by construction (fused "
                 f"rows only {rows_best:.3f}, structure alone {structure:.3f}, attribute alone {alone:.3f}).")
    elif rows_best > max(structure, alone) + 0.01:
        help_ = (f"**The attributes help here**: fused through the augmentation (rows only), {measure} reaches "
                 f"{rows_best:.3f}, above the structure alone ({structure:.3f}) and the attribute alone ({alone:.3f}).")
    elif structure >= alone:
        help_ = (f"**The attributes do not help here**: the best fused {measure} ({rows_best:.3f}) does not beat "
                 f"the structure alone ({structure:.3f}; the attribute alone: {alone:.3f}).")
    else:
        help_ = (f"**The attribute alone is as good as it gets here**: {alone:.3f}, against {rows_best:.3f} fused "
                 f"and {structure:.3f} for the structure alone.")
    block = table.set_index("method").loc[names["boot_block"]]
    same = block["NMI with the attribute"]
    if same >= 0.95:
        collapse = (f"**The paper's kmeansblock distance collapses onto the attribute partition**: its clusters "
                    f"have NMI {same:.3f} with the attribute values (1 = the same partition) and {measure} "
                    f"{block[measure]:.3f} against the attribute alone's {alone:.3f}. This confirms the reference "
                    "notes' finding: every vertex sharing a value copies the same attribute-vertex coordinates, and "
                    "those few far-apart points dominate the distance.")
    elif "NMI" in table and same > block["NMI"]:
        collapse = (f"Here kmeansblock **mostly follows the attribute**: NMI {same:.3f} with the attribute values, "
                    f"{block['NMI']:.3f} with the planted blocks (attribute alone {alone:.3f}): it does not fully "
                    "collapse, but stays closer to the attribute partition than to the blocks.")
    else:
        collapse = (f"Here kmeansblock does **not** collapse onto the attribute: NMI {same:.3f} with the attribute "
                    f"values ({measure} {block[measure]:.3f}, attribute alone {alone:.3f}).")
    return [help_, collapse]


def clustering(graph, k: int, key, values: dict) -> None:
    st.header("3 · Clustering: the paper's kmeansblock, rows only, and the baselines")
    start = time.perf_counter()
    table, partitions = scores(key, graph, k, values["omega"], values["vectors"], values["seed"], values["restarts"])
    measure = "NMI" if graph.labels is not None else "modularity"
    fig, data = figs.scores_figure(table, measure)
    figure(fig, data, "bootstrap_amg_scores", caption=f"{k} clusters, omega {values['omega']:g}, "
           f"{values['vectors']} smooth vectors. NMI/ARI against the planted blocks (scikit-learn), modularity of "
           "the original graph (networkx), entropy in bits (SA-Cluster).")
    for sentence in verdicts(table, measure):
        st.markdown(sentence)
    st.dataframe(table.round(3), hide_index=True)
    chosen = DETAIL[values["method"], values["embedding"]]
    if chosen in partitions and graph.labels is not None:
        fig, data = figs.contingency_figure(graph.labels, partitions[chosen],
                                            f"{values['method']} + augmentation, {values['embedding']}")
        figure(fig, data, "bootstrap_amg_contingency", caption="Rows: planted blocks; columns: clusters found.")
    compute_note(None, "float64", time.perf_counter() - start)


def sweeps(graph, values: dict) -> None:
    st.header("4 · When do the attributes help? eps, p and omega")
    if values["source"] != "SBM":
        st.caption("The sweeps draw SBMs: pick the SBM graph to run them.")
        return
    left, right = st.columns(2)
    shown = controls([SWEEP], where=left) | controls([SCORE], where=right)
    parameter, score = shown["sweep"], shown["score"]
    base = dict(n=values["n"], q=values["q"], mean_degree=values["degree"], eps=values["eps"], p=values["p"],
                omega=values["omega"])
    key = (parameter, *base.values(), values["vectors"], values["seed"], values["restarts"])
    frame = on_request(SWEEPS, key, lambda progress: study.sweep(parameter, base, values["vectors"], values["seed"],
                                                                  progress, values["restarts"]),
                       f"Sweeping {parameter}...", f"Run the {parameter} sweep")
    if frame is None:
        st.caption(f"{len(study.SWEEPS[parameter])} SBMs x 4 methods; about 10-40 s at N = 2000.")
        return
    fig, data = figs.sweep_figure(frame, parameter, base[parameter], score)
    pivot = frame.pivot(index=parameter, columns="method", values="NMI")
    names = {m[0]: m[1] for m in study.METHODS}
    helped = [f"{v:g}" for v in pivot.index if max(pivot.loc[v, names["boot_rows"]], pivot.loc[v, names[
        "eigsh_rows"]]) > max(pivot.loc[v, names["eigsh_struct"]], pivot.loc[v, study.ATTRIBUTE]) + 0.01]
    gap = (pivot[names["boot_block"]] - pivot[study.ATTRIBUTE]).abs().max()
    figure(fig, data, f"bootstrap_amg_sweep_{parameter}", caption=f"Rows-only fusion beats both the structure "
           f"alone (eigsh) and the attribute alone at {parameter} = {', '.join(helped) or 'none of the values'}; "
           f"kmeansblock's largest NMI gap to the attribute alone: {gap:.3f}.")


def failures(table: pd.DataFrame) -> str:
    """A sentence for each solver whose vectors carry no structure (quality < 0.1), from the table."""
    bad = table[table.quality < 0.1]
    return "".join(f" {row['solver']} on {row['graph']}: {row['measure']} {row['quality']:.2f} after "
                   f"{row['iterations / hierarchies']:g} iterations with operator complexity "
                   f"{row['operator complexity']:.1f}: its vectors are not the eigenvectors."
                   for _, row in bad.iterrows())


def speed_section() -> None:
    st.header("5 · Speed: eigsh vs pyamg SA + LOBPCG vs the bootstrap")
    table = on_request(TIMINGS, 10_000, lambda progress: speed.compare(10_000, progress=progress),
                       "Timing three solvers on two 10k-node graphs...", "Time them at 10k nodes (about 15 s)")
    if table is not None:
        fig, data = figs.speed_figure(table, "Live, 10,000 nodes (this machine, now)")
        figure(fig, data, "bootstrap_amg_speed_10k", caption=rule_of_thumb(table))
        st.dataframe(table.round(3), hide_index=True)
    try:
        shipped = shipped_speed()
    except assets.MissingAsset as err:
        st.warning(str(err))
        return
    fig, data = figs.speed_figure(shipped, f"Precomputed at 100k nodes (scripts/time_bootstrap_amg.py, "
                                           f"{shipped.measured[0]}, load average {shipped['load average'][0]:g})")
    figure(fig, data, "bootstrap_amg_speed_100k", caption="Precomputed, not live: " + rule_of_thumb(shipped)
           + failures(shipped) + f" CPU seconds (the load shared the cores): {cpu_note(shipped)}.")


def cpu_note(table: pd.DataFrame) -> str:
    return "; ".join(f"{row['graph'].split(' (')[0]}, {row['solver'].split(' (')[0]} {row['cpu seconds']:.1f} s"
                     for _, row in table.iterrows())


def rule_of_thumb(table: pd.DataFrame) -> str:
    """Who was fastest on each graph, and whether that is the notes' rule of thumb."""
    fastest = table.loc[table.groupby("graph", sort=False)["seconds"].idxmin()]
    parts = [f"{row.graph}: {row.solver} fastest ({row.seconds:.2f} s)" for row in fastest.itertuples()]
    winners = dict(zip(fastest.graph.str.startswith("SBM"), fastest.solver))
    holds = winners.get(True) == speed.LABELS["eigsh"] and winners.get(False) == speed.LABELS["sa_lobpcg"]
    return "; ".join(parts) + (". This is the rule of thumb: eigsh wins on expanders (SBMs), AMG on meshes."
                               if holds else ". This run does not show the rule of thumb (eigsh on expanders, "
                               "AMG on meshes).")


values = header()
graph, k, key = load(values)
if graph is not None:
    augmentation(graph, values)
    smooth_vectors(graph, k, key, values)
    clustering(graph, k, key, values)
    sweeps(graph, values)
speed_section()
