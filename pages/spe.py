"""SPE: stable and expressive positional encodings (Huang et al., ICLR 2024): the page.

Widgets, layout, plots and text only; the mathematics is core/spe/, the figures ui/spe_figures.py.
"""
import time
from types import SimpleNamespace

import networkx as nx
import pandas as pd
import streamlit as st

from core.device import pick_device
from core import assets
from core.registry import by_slug
from core.spe import LABELS, METHODS, counting, graphs, stability
from ui import cache
from ui.conventions import Choice, Slider, Text, compute_note, controls, explainers, figure, paper_header, unbound
from ui.jobs import on_request, store
from ui.navigation import use_app_navigation
from ui.spe_figures import (curves_figure, d_profile_figure, graph_figure, kernel_figure, multiplicities,
                            results_table, spectrum_figure, sweep_figure)

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("spe")
CUSTOM = "custom SMILES"
EPS_OPTIONS = (1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.03, 0.1, 0.3)

SOURCE = Choice("source", "Graph source", ("classic", "molecule", "random", "upload"), "classic", radio=True)
SOURCE_CONTROLS = {
    "classic": [Choice("graph", "Graph", tuple(graphs.CLASSICS), "cycle C12", radio=True)],
    "molecule": [Choice("molecule", "Molecule (RDKit, heavy atoms)", (*graphs.MOLECULES, CUSTOM), "benzene",
                        radio=True)],
    "random": [Choice("model", "Random graph", graphs.RANDOM_MODELS, graphs.RANDOM_MODELS[0], radio=True),
               Slider("n", "nodes", 8, graphs.MAX_NODES, 30, 1), Slider("graph_seed", "graph seed", 0, 99, 0, 1)],
    "upload": [],
}
CONTROLS = [
    Choice("kind", "Perturbation", stability.KINDS, "reweight", radio=True,
           help="reweight: W + eps S, S random on the existing edges, |S|_F = 1. add edge: a new edge of "
                "weight eps. remove edge: one edge's weight times (1 - eps)."),
    Choice("eps", "epsilon (log scale)", EPS_OPTIONS, 1e-3, help="Size of the perturbation shown in the heat-maps "
           "and graph drawings; the sweep covers 1e-7 to 0.3."),
    Slider("d", "d: eigenpairs kept (d >= n keeps all)", 1, graphs.MAX_NODES, graphs.MAX_NODES, 1,
           help="The first d eigenpairs of L, the trivial lambda = 0 pair included (the official preprocessing)."),
    Slider("seed", "seed (perturbation direction, network init)", 0, 99, 0, 1),
]
SMILES = Text("smiles", "SMILES", "c1ccc2ccccc2c1", max_chars=300)
KERNEL = Choice("kernel", "Channel phi", ("heat kernel t = 1",), "heat kernel t = 1", radio=True)  # options: below
PICKS = [Choice("pe", "Encoding on the graph", METHODS, "lap", format_func=LABELS.get, radio=True),
         Slider("channel", "PE channel", 1, 8, 2, 1)]
SHOWS = """
* **Instability of eigenvector PEs**: raw eigenvectors, sign-invariant SignNet and BasisNet (which groups
  eigenvectors by *exactly* equal eigenvalues, a hard partition) can all change by O(1) under an arbitrarily
  small perturbation of the graph.
* **SPE is stable** (Theorem 3.1: Hölder continuous in L) and **basis-invariant**: any rotation of the
  eigenvectors inside an eigenspace leaves every V diag(phi(lambda)) V^T unchanged.
* **Expressive**: SPE is universal for basis-invariant functions, at least as expressive as BasisNet, and can
  count cycles; trained SPE beats SignNet on substructure counting and on ZINC (in distribution: 0.0693 test
  MAE against SignNet's 0.0853), and out of distribution on DrugOOD the stable PEs (no PE, PEG, SPE) beat the
  unstable ones (scaffold split: SPE 69.64 AUROC, SignNet 66.43; on the size split SPE ties no PE, 66.02 vs 66.04)."""
TRY_THIS = """
1. Defaults (C12, five repeated eigenvalue pairs): the two SPE curves fall with slope 1; raw and sign-aligned
   eigenvectors stay at an O(1) relative change down to epsilon = 1e-7, and SignNet's change is flat too
   (it never shrinks). BasisNet is near 0 until the split of each pair passes its 1e-5 rounding, then jumps.
2. **Molecule caffeine** (a simple spectrum): every method is Lipschitz for small epsilon; at epsilon = 0.3
   the raw eigenvectors flip sign (a relative change near 1).
3. **d = 2** on C12: d cuts a repeated pair (gamma = 0) and SPE jumps too, the theorem's 1/gamma term.
   d = 3 is fine again. Section 4 shows every d at once.
4. **hypercube Q4, add edge**: one new edge of weight 1e-7 already turns the raw eigenvectors around; compare
   the node colours of LapPE and SPE in section 3.
5. Heat-map channel **projector V V^T** (phi = 1) with d = 2 on C12: its difference panel stays near 0.01 when
   epsilon goes from 1e-3 to 1e-6 (a hard partition in disguise); with d = 3 it shrinks with epsilon.
6. **seed**: other random weights change the constants, never the slopes."""
DIFFERS = """
* **Untrained networks in the stability figures**: SignNet, BasisNet and SPE run with random, seeded weights
  (the seed control). The scaling with epsilon is the point; the constants depend on the weights. The y-axis
  is relative, |dPE| / |PE(G)|, so methods with different output scales share one plot.
* **Smaller networks**: phi_l are m = 16 element-wise MLPs 1-16-16-1 as in the official ZINC config (m = 8
  in the trained model); rho is a 2-layer GIN, hidden 16 (official: 8 layers, hidden 128). SignNet sums over
  eigenvectors (a DeepSets rho) instead of concatenating them; BasisNet uses the 2->1 IGN basis [diag P, P 1,
  tr P, 1^T P 1] per eigenspace instead of one IGN per multiplicity, with the official hard partition
  (eigenvalues rounded to 5 decimals).
* **Trivial eigenpair kept**: the first d eigenpairs include lambda = 0, as in the official preprocessing
  (PyG's AddLaplacianEigenvectorPE drops it).
* **Node order is fixed**, so the theorem's best permutation P* is the identity.
* **Trained comparison**: the paper's counting data (Chen et al.) is a download, so the graphs here are
  Erdős–Rényi (mean degree 3) with exact per-node 3-6-cycle counts, a 4-layer GIN of about 10k parameters,
  40 epochs and 3 seeds (paper: about 500k parameters, the benchmark graphs). DrugOOD/ZINC are not run.
* **Theorem 3.1's displayed form is a reconstruction** from the paper's text (the square-root term and the d/gamma
  term are the paper's; the exact constants alpha_1-3 were not checked against the PDF). The page shows its
  *scaling* (slopes 1 and 1/2, the 1/gamma jump), not its constants.
* **An extra LayerNorm on the PE** in the cycle counter (core/spe/counting.py, before the PE is embedded and
  added): not in the paper's model. SPE's output sums over n columns, so its scale grows with graph size, and the
  norm keeps 25-40-node graphs in range; the shipped table was trained with it, for every PE.
* **Graphs are capped at 60 nodes** (SPE's tensor is n x n x m per graph and the sweep batches 31 graphs)."""


@cache.data(32)  # a graph of <= 60 nodes and its layout
def load_graph(source, choice, smiles, upload, n, graph_seed):
    """(graph, notes, layout); raises graphs.GraphError on bad input."""
    if source == "classic":
        G = graphs.classic(choice)
    elif source == "molecule":
        G = graphs.from_smiles(smiles if choice == CUSTOM else graphs.MOLECULES[choice])
    elif source == "random":
        G = graphs.random_graph(choice, n, graph_seed)
    else:
        G = graphs.parse_edge_list(upload)
    G, notes = graphs.prepare(G)
    return G, notes, nx.kamada_kawai_layout(G)


@cache.data(32)  # 31 x 6 numbers
def run_sweep(key, _G, kind, d, seed, device):
    return stability.sweep(_G, kind, d, seed, device=device)


@cache.data(64)  # two encodings of a <= 60-node graph
def run_pair(key, _G, kind, eps, d, seed):
    return stability.pair(_G, eps, kind, d, seed)


@cache.data(32)
def run_profile(key, _G, kind, eps, seed):
    return stability.d_profile(_G, eps, kind, seed)


@cache.data(32)
def run_rotation(key, _G, d, seed):
    return stability.rotation_change(_G, d, seed)


@cache.data(2)
def shipped_results():
    return assets.json_file("spe", "count_results.json")


def header() -> None:
    paper_header(PAPER)
    st.markdown(
        "Graph transformers and GNNs often get **positional encodings** from the Laplacian's eigenvectors. "
        "But eigenvectors are not unique (signs, and any rotation inside a repeated eigenvalue's eigenspace), "
        "and they are **unstable**: a tiny change of the graph can rotate an eigenspace completely. The paper's "
        "fix, SPE, never uses an eigenvector on its own. It weights the outer products v_i v_i^T by smooth "
        "functions of the eigenvalues, a *soft* partition of the spectrum:")
    st.latex(r"\mathrm{SPE}(V,\lambda)=\rho\big(V\,\mathrm{diag}(\phi_1(\lambda))V^\top,\ \dots,\ "
             r"V\,\mathrm{diag}(\phi_m(\lambda))V^\top\big),\qquad V\,\mathrm{diag}(\phi(\lambda))V^\top="
             r"\textstyle\sum_i \phi(\lambda_i)\,v_iv_i^\top")
    st.markdown("Close eigenvalues get close weights, so no threshold decides which eigenvectors belong together, "
                "and Theorem 3.1 bounds the change (gamma = lambda_{d+1} - lambda_d, the eigengap where d cuts). "
                "The form below is **our reconstruction** of the theorem, not its statement: the square-root and "
                "d/gamma terms are the paper's, the constants alpha_1-3 (built from the Lipschitz constants of phi "
                "and rho) are uncertain:")
    st.latex(r"\|\mathrm{SPE}(L)-\mathrm{SPE}(L')\|_F\le(\alpha_1+\alpha_2 d)\,d^{5/4}\sqrt{\|L-L'\|_F}+"
             r"\Big(\frac{\alpha_2 d}{\gamma}+\alpha_3\Big)\|L-L'\|_F")
    explainers(shows=SHOWS, try_this=TRY_THIS, differs=DIFFERS)


def choose_graph() -> SimpleNamespace:
    """The sidebar: graph source and perturbation controls; the graph, or a message and a stop."""
    source = controls([SOURCE])["source"]
    picked = controls(SOURCE_CONTROLS[source])
    smiles, upload = "", None
    if source == "molecule" and picked["molecule"] == CUSTOM:
        smiles = controls([SMILES])["smiles"]
    if source == "upload":
        file = st.sidebar.file_uploader(
            "Edge list: 'u v' or 'u v weight' per line", type=["csv", "txt"], help=f"At most {graphs.MAX_NODES} "
            f"nodes and {graphs.MAX_UPLOAD_BYTES // 1000} kB.", key=unbound("upload", "an uploaded file cannot "
                                                                            "travel in a link"))
        upload = file.getvalue() if file is not None else None
    values = controls(CONTROLS)
    kind, eps, seed = values["kind"], values["eps"], values["seed"]
    choice = picked.get("graph") or picked.get("molecule") or picked.get("model")
    if source == "upload" and upload is None:
        st.info("Upload an edge list in the sidebar (CSV or TXT, one edge per line: `u,v` or `u,v,weight`), or pick "
                "another graph source.")
        st.stop()
    try:
        G, notes, pos = load_graph(source, choice, smiles, upload, picked.get("n"), picked.get("graph_seed"))
    except graphs.GraphError as err:
        st.error(f"This graph cannot be used: {err}.", icon=":material/error:")
        st.stop()
    for note in notes:
        st.warning(note, icon=":material/call_split:")
    key = (source, choice, smiles, upload, picked.get("n"), picked.get("graph_seed"))
    n = G.number_of_nodes()
    d = min(values["d"], n)
    if kind == "add edge" and G.number_of_edges() == n * (n - 1) // 2:
        st.error("The graph is complete: there is no edge to add. Pick another perturbation.", icon=":material/error:")
        st.stop()
    return SimpleNamespace(G=G, pos=pos, key=key, n=n, d=d, kind=kind, eps=eps, seed=seed)


def spectrum(g: SimpleNamespace):
    G, key, n, d, kind, eps, seed = g.G, g.key, g.n, g.d, g.kind, g.eps, g.seed
    st.header("1 · The graph's spectrum")
    sweep_start = time.perf_counter()
    sweep = run_sweep(key, G, kind, d, seed, pick_device())
    sweep_seconds = time.perf_counter() - sweep_start
    result = run_pair(key, G, kind, eps, d, seed)
    evals = result.evals[0]
    mult = multiplicities(evals)
    cols = st.columns(4)
    cols[0].metric("nodes", n)
    cols[1].metric("edges", G.number_of_edges())
    cols[2].metric("repeated eigenvalues", f"{int((mult > 1).sum())} in {len(set(evals[mult > 1].round(6)))} groups")
    cols[3].metric("eigengap gamma at d", "full spectrum" if d == n else f"{sweep.gamma:.2g}",
                   help="lambda_{d+1} - lambda_d: the 1/gamma term of Theorem 3.1 blows up as it goes to 0.")
    figure(*spectrum_figure(evals, d, sweep.gamma), "spe_spectrum",
           caption="Diamonds: eigenvalues shared by several eigenvectors; their eigenvectors are only defined up to "
                   "a rotation, and a perturbation picks one of them.")
    if d < n and sweep.gamma < 1e-6:
        st.warning(f"d = {d} cuts inside a repeated eigenvalue (gamma = {sweep.gamma:.1e}): no method is stable "
                   "here, SPE included. Move d to the end of an eigenvalue group.", icon=":material/warning:")
    return sweep, result, sweep_seconds


def perturbation_sweep(g: SimpleNamespace, sweep, sweep_seconds: float) -> None:
    G, key, d, kind, seed = g.G, g.key, g.d, g.kind, g.seed
    st.header("2 · Perturb the graph: who moves, and how much?")
    st.markdown(f"Thirty perturbations G' with epsilon from 1e-7 to 0.3 ({kind}), all six encodings, as **one "
                "batched computation**: 31 Laplacians, one batched eigendecomposition, each encoder once on the batch.")
    ratio = sweep.delta_pe["spe"] / sweep.delta_L
    slope = {m: round(stability.loglog_slope(sweep.epsilons, sweep.delta_pe[m]), 2) + 0.0  # + 0.0: no "-0.00"
             for m in ("spe", "lap_aligned", "signnet")}
    cols = st.columns(4)
    cols[0].metric("SPE slope (log-log)", f"{slope['spe']:.2f}", help="1 = Lipschitz, 0 = a jump that never shrinks.")
    cols[1].metric("SignNet slope", f"{slope['signnet']:.2f}")
    cols[2].metric("LapPE (aligned) slope", f"{slope['lap_aligned']:.2f}")
    cols[3].metric("SPE |dPE| / |dL|", f"{ratio.min():.3g} to {ratio.max():.3g}",
                   help="Over the whole sweep: bounded as "
                   "epsilon shrinks, which is stability.")
    figure(*sweep_figure(sweep), "spe_sweep",
           caption="Dashed and dotted lines: slopes 1 and 1/2, the two Hölder terms of Theorem 3.1. A flat curve "
                   "means an O(1) change however small the perturbation.")
    compute_note(sweep.device, "float64", sweep_seconds)

    st.subheader("Same graph, another basis")
    st.markdown("eigh may return any orthonormal basis of a repeated eigenspace. Rotate the eigenvectors inside "
                "every eigenspace (no perturbation at all) and encode again:")
    rotation = run_rotation(key, G, d, seed)
    st.dataframe(pd.DataFrame({"encoding": [LABELS[m] for m in METHODS],
                               "|PE(V) - PE(VQ)|_F": [rotation[m] for m in METHODS]}),
                 hide_index=True, column_config={"|PE(V) - PE(VQ)|_F": st.column_config.NumberColumn(format="%.2e")})


def inside_spe(g: SimpleNamespace, result) -> None:
    G, pos, eps = g.G, g.pos, g.eps
    st.header(f"3 · Inside SPE at epsilon = {eps:g}")
    left, right = st.columns(2)
    channel = controls([Choice(**{**KERNEL.__dict__, "options": tuple(result.kernels)})], where=left)["kernel"]
    st.markdown(f"|L - L'|_F = {result.delta_L:.2e}. Each channel is one matrix V diag(phi(lambda)) V^T; "
                "SPE's rho reads "
                "m of them. The difference panel has its own colour scale.")
    figure(*kernel_figure(*result.kernels[channel], channel), "spe_kernels")
    picks = controls(PICKS, where=right)
    before, after = result.pe[picks["pe"]]
    column = min(picks["channel"], before.shape[1]) - 1
    figure(*graph_figure(G, pos, before[:, column], after[:, column], picks["pe"], column), "spe_graph",
           caption="One colour scale for both drawings; hover a node for its value.")


def truncation(g: SimpleNamespace) -> None:
    G, key, n, d, kind, eps, seed = g.G, g.key, g.n, g.d, g.kind, g.eps, g.seed
    st.header("4 · Where to cut the spectrum: d")
    st.markdown(f"Every d = 1 ... {n} at epsilon = {eps:g}, in one batch (an eigen-mask keeps the first d "
                "eigenpairs of "
                "each copy). SPE stays small for every d that ends an eigenvalue group, and jumps exactly where "
                "gamma ~ 0. The dotted line is the sidebar's d.")
    figure(*d_profile_figure(run_profile(key, G, kind, eps, seed), d), "spe_d_profile")


def what_the_table_shows(rows: list[dict]) -> str:
    """Section 5's reading, built from the table: who is best, and who degrades most out of distribution."""
    by = {r["PE"]: r for r in rows}
    gap = {pe: r["ood MAE"] - r["id MAE"] for pe, r in by.items()}
    best, worst = min(rows, key=lambda r: r["ood MAE"])["PE"], max(gap, key=gap.get)
    text = (f"Lowest out-of-distribution error here: **{best}** ({by[best]['ood MAE']:.3f}). ID -> OOD: "
            + ", ".join(f"{pe} {by[pe]['id MAE']:.3f} -> {by[pe]['ood MAE']:.3f} ({gap[pe]:+.3f})" for pe in by) + ". ")
    if "signnet" in gap and "spe" in gap and abs(gap["signnet"] - gap["spe"]) < 0.5 * max(gap["signnet"], gap["spe"], 1e-9):
        text += (f"SignNet's and SPE's gaps are about equal ({gap['signnet']:+.3f} vs {gap['spe']:+.3f}), so at this "
                 "scale the gap does not separate the unstable PE from the stable one; ")
    if worst == "none":
        text += (f"the model **without** a PE, stable by construction, degrades most ({gap['none']:+.3f}). The likely "
                 "cause is not stability: Laplacian eigenvalues and eigenvectors carry the graph's size and global "
                 "shape, which a 1-WL GIN with constant features cannot see, so both PEs help it most on the larger, "
                 "unseen graphs. ")
    if "spe" in by and "signnet" in by:
        text += (f"What SPE does show here is a lower error in distribution too ({by['spe']['id MAE']:.3f} vs "
                 f"SignNet's {by['signnet']['id MAE']:.3f}), which it keeps out of distribution.")
    return text


def cycle_counting() -> None:
    st.header("5 · Does stability help a trained model? Cycle counting")
    st.markdown("A 4-layer GIN with no PE, SignNet or SPE added to its node embeddings learns how many 3-, 4-, 5- and "
                "6-cycles pass through every node. It trains on random graphs of 10-20 nodes and is tested on more "
                "of those (in distribution) and on graphs of 25-40 nodes (**out of distribution**). Error: MAE on "
                "counts standardised with the training mean and std. Shipped results (scripts/train_spe.py):")


    if (assets.ASSETS / "spe" / "count_results.json").exists():
        shipped = shipped_results()
        rows = counting.summary(shipped["runs"])
        st.dataframe(results_table(rows), hide_index=True)
        st.markdown(what_the_table_shows(rows))
        figure(*curves_figure(shipped["runs"]), "spe_counting",
               caption=f"{len(shipped['config']['seeds'])} seeds, {shipped['config']['epochs']} epochs, "
                       f"{shipped['config']['n_train']} training graphs.")
    else:
        st.warning("The shipped results (assets/spe/count_results.json) are missing: run scripts/train_spe.py.")

    live_cfg = counting.LIVE
    live = on_request(store("spe.counting", max_entries=4), tuple(sorted((k, str(v)) for k, v in live_cfg.items())),
                      lambda progress: [r.__dict__ for r in counting.compare(live_cfg, progress)],
                      "Training no PE, SignNet and SPE...",
                      f"Retrain a short run live ({live_cfg['n_train']} graphs, {live_cfg['epochs']} epochs, "
                      "about 30 s)")
    if live is not None:
        st.dataframe(results_table(counting.summary(live)), hide_index=True)
        figure(*curves_figure(live), "spe_counting_live", caption="The live run: one seed, fewer graphs and epochs, so "
               "noisier than the shipped table.")


header()
g = choose_graph()
sweep, result, sweep_seconds = spectrum(g)
perturbation_sweep(g, sweep, sweep_seconds)
inside_spe(g, result)
truncation(g)
cycle_counting()
