"""DiffSpectra (Wang et al., arXiv 2507.06853): from a spectrum to a molecule. The page.

Widgets, layout, plots and text only; the simulator, solvers and diffusion model are core/diffspectra/.
"""
import time

import numpy as np
import pandas as pd
import streamlit as st

from core import assets
from core.device import pick_device
from core.diffspectra import chem, generator, library
from core.registry import by_slug
from ui import cache
from core.diffspectra.measurement import Measurement, query_spectrum
from core.diffspectra.simulator import broaden, simulate_peaks
from ui import diffspectra_figures as figs
from ui.conventions import Choice, Slider, Text, compute_note, controls, explainers, figure, paper_header, unbound
from ui.jobs import cached, store
from ui.navigation import use_app_navigation

use_app_navigation()  # before anything renders (see ui/navigation.py)

PAPER = by_slug("diffspectra")
DEFAULT_MOLECULE = "O=C(O)C(F)F"   # difluoroacetic acid, a held-out molecule
SOURCES = ("held-out molecule", "type a SMILES", "upload a spectrum")
PAPER_TABLE = pd.DataFrame([  # source, data, acc@1, acc@10, acc@20 (model: 39.6M parameters, 1000 steps)
    ("paper v1 (canonical-SMILES match)", "QM9S, DFT IR+Raman+UV, 10k test", 0.1601, None, 0.9686),
    ("paper v2 (InChIKey match, tautomer-canonical)", "QM9S, DFT IR+Raman+UV, 10k test", 0.4076, 0.9949, 0.9999),
    ("paper v2, IR only", "QM9S, DFT IR, 10k test", 0.2590, 0.9445, 0.9972),
], columns=["source", "data", "acc@1", "acc@10", "acc@20"]).assign(model="39.6M, 1000 steps")
MEASURE = [
    Slider("scale", "frequency scale error (std)", 0.0, 0.03, 0.01, 0.005,
           help="A global factor N(1, std) on every frequency: anharmonicity and level-of-theory error."),
    Slider("width", "line half-width (cm⁻¹)", 5, 40, 15, 1),
    Slider("jitter", "intensity jitter (log-normal sigma)", 0.0, 0.8, 0.3, 0.05),
    Slider("noise", "noise (std, max band = 1)", 0.0, 0.05, 0.01, 0.005),
    Slider("conformer", "query conformer (ETKDG seed; the library uses 0)", 0, 5, 1, 1),
]
GENERATE = [
    Choice("formula", "formula known (from a mass spectrum)", ("yes", "no"), "yes", radio=True,
           help="The paper's sampler is given the total atom count; the formula is a little more."),
    Choice("samples", "candidates sampled", (10, 20, 40, 64), 64,
           help="Cost grows with the count: ~2 s for 20, ~4-5 s for 64 on one CPU thread (bench)."),
    Choice("guidance", "spectrum guidance scale w", (0.0, 0.5, 1.0, 2.0, 3.0), generator.GUIDANCE,
           help="Classifier-free guidance: logits = null + w x (spectrum - null). 0 ignores the spectrum, 1 is "
                "plain conditional sampling, > 1 pushes harder. w != 1 calls the denoiser twice per step, so "
                f"sampling costs twice as much (the default {generator.GUIDANCE:g} is the best measured, section 4)."),
    Choice("temperature", "sampling temperature", (0.3, 0.6, 0.8, 1.0, 1.2, 1.5), 1.0),
    Slider("seed", "seed", 0, 99, 0, 1),
]
GENERATIONS = store("diffspectra.generations", max_entries=32)
SOURCE = Choice("source", "Query", SOURCES, SOURCES[0], radio=True)
TYPED = Text("smiles", "SMILES (C, H, N, O, F; at most 9 heavy atoms)", "OCC(F)C#N", max_chars=200)
GIVEN_FORMULA = Text("upload_formula", "Formula, if known (e.g. C3H6O)", "", max_chars=30)


SHOWS = """
* **Generation beats search in open worlds**: a generator can propose molecules that are in no library.
* **Acc@K rises steeply with K** (v1: 16 % top-1, 97 % top-20 on QM9S): sampling many candidates matters.
* **Spectrum conditioning**: SpecFormer patches each spectrum, encodes the patches with a transformer and
  adds the flattened embedding to the diffusion step embedding (Sec. 3.3); pre-training it helps.
* **Staged generation** (Fig. 4): along the reverse chain atom types settle first, bonds later.
* **Sampling temperature** trades accuracy against diversity (7.9 % at T = 0, 16.6 % at 0.8, 15.7 % at 1.2).
* **The metric matters**: v1 counts canonical-SMILES equality (16.0 % top-1), v2 InChIKey equality
  after tautomer canonicalisation (40.8 %), with the *same* checkpoint."""
TRY_THIS = """
1. Defaults: compare library search, the retriever and the generator on one held-out molecule.
2. Type a SMILES that is **not** in the universe (e.g. `OCC(F)C#N`): library search cannot return it.
3. Set **formula known = no**: every solver gets much worse, as in the table below.
4. Raise the **frequency scale error** to 0.03 or the **noise** to 0.05 and watch library search degrade.
5. Move the **temperature** from 0.3 to 1.5 and watch section 3's validity and uniqueness (what it does
   here is measured, not promised: see What differs).
6. Set the **guidance scale** to 0: the generator no longer sees the spectrum (section 4 measures what that costs);
   1 is plain conditional sampling at half the cost per step; 2 and 3 lean on the spectrum harder."""
DIFFERS = f"""
* **Data**: QM9S (130k molecules, DFT B3LYP IR + Raman + UV-Vis) cannot be had offline. Here: 5,243 real
  molecules from data inside wheels (`chemicals`' PubChem table, RDKit's NCI file), split 80/5/15.
* **Level of theory**: MMFF94 harmonic IR (finite-difference Hessian of force-field gradients, intensities
  from fixed partial charges), not DFT. Bands land within a few % of experiment (water, nitriles, C=O)
  but intensities are crude and there is no Raman or UV. A model trained on MMFF spectra would not
  transfer to DFT or experimental spectra (project notes: MMFF vs GFN2-xTB spectra, median cosine 0.69).
* **Queries**: always a different conformer plus a measurement model (sliders), never the library's own
  spectrum (that closed world gives ~98 % top-1 and proves nothing).
* **Model**: discrete DiGress-style diffusion over heavy-atom graphs (50 steps, 0.57M parameters), not JODO's
  continuous 2D+3D diffusion (1000 steps, 39.6M, 1M GPU iterations); no 3D generation (the 3D view is a
  force-field conformer). The spectrum encoder is a SpecFormer-lite plus the retriever's contrastively
  pre-trained spectrum tower (as MolSpectra pre-trains SpecFormer), IR only. Classifier-free guidance on
  the spectrum is not in the paper; it is here to measure and steer how much the spectrum is used.
* **Conditioning**: the formula (its heavy atoms clamped by inpainting) instead of the total atom count.
  Without it, a spectrum -> formula classifier proposes the {generator.TOP_FORMULAS} likeliest training-split formulas and the
  samples are split among them (the paper always gives the atom count). Invalid samples are re-decoded
  under valence limits and candidates re-ranked by simulator agreement (generate-and-verify): the paper
  does neither.
* **Training budget**: 10,500 steps of 512 molecules (~1,280 epochs, 5.9 GPU-minutes on an H200 in three
  resumed runs; the first version had 21 CPU-minutes), with fresh simulated measurements every batch; most
  samples are still invalid before decoding (raw validity in section 4), so its accuracy is a floor.
* **Temperature** divides the denoiser's logits here; the paper's scales the sampler's noise.
* **Metric**: one criterion throughout: same constitution (first InChIKey block, stereo ignored)."""


@cache.data(4)  # a shipped table of a few kB
def results(name: str) -> pd.DataFrame:
    keep = dict(keep_default_na=False, dtype={"heavy_atoms": str}) if name == "ablation.csv" else {}
    return assets.csv("diffspectra", name, **keep)


@cache.data(1)  # ~800 rows
def heldout_table() -> pd.DataFrame:
    table = chem.universe()
    return table[table["split"] == "heldout"].reset_index(drop=True)


@cache.data(64)  # one spectrum (a few kB) per query
def measured(smiles: str, m: dict, seed: int) -> np.ndarray:
    return query_spectrum(smiles, Measurement(**m), seed)


@cache.data(64)
def library_spectrum(smiles: str) -> np.ndarray:
    return broaden(*simulate_peaks(smiles, 0))


@cache.resource(1)  # ~800 short strings, read-only: the selectbox formats every option on every rerun
def labels() -> dict:
    return {r.smiles: f"{r.name or 'unnamed'} · {r.formula} · {r.smiles}" for r in heldout_table().itertuples()}


@cache.resource(1)  # 5k keys, read-only
def universe_keys() -> set:
    return set(chem.universe()["inchikey"].str.split("-").str[0])


def grid(ranked, truth, per_row=5):
    legends = [f"#{i} {score:.2f}" + ("" if truth is None else (" MATCH" if chem.same_molecule(s, truth) else ""))
               for i, (s, score) in enumerate(ranked, 1)]
    st.image(figs.candidate_png([s for s, _ in ranked], legends, per_row))


def header() -> tuple[dict, dict, int]:
    """The paper, the idea, the explainers; the sidebar's measurement model and generator settings."""
    paper_header(PAPER)
    st.markdown(
        "Structure elucidation runs chemistry backwards: given a molecule's spectra, find the molecule. The "
        "classic tool is **library search**, which can only return molecules someone already measured. "
        "DiffSpectra instead **generates** the structure with a diffusion model conditioned on the spectra "
        "(SpecFormer's embedding added to the noise-level embedding), samples many candidates and reports "
        "Acc@K. Here the whole task runs on a CPU: 5,243 real small molecules (C/H/N/O/F, ≤ 9 heavy "
        "atoms), a force-field IR simulator, two retrieval baselines, and a 0.57M-parameter spectrum-"
        "conditioned graph diffusion model, all measured on molecules they never saw.")
    explainers(shows=SHOWS, try_this=TRY_THIS, differs=DIFFERS)
    st.sidebar.subheader("Measurement (the query)")
    m = controls(MEASURE)
    st.sidebar.subheader("Generator")
    g_values = controls(GENERATE)
    measurement = dict(scale_error=m["scale"], width_min=float(m["width"]), width_max=float(m["width"]),
                       jitter=m["jitter"], noise=m["noise"], conformer_seed=int(m["conformer"]))
    return measurement, g_values, int(g_values["seed"])


def choose_query() -> dict:
    """Section 1's choice: a held-out molecule, a typed SMILES or an uploaded spectrum (q["problem"] if unusable)."""
    st.header("1 · The query spectrum")
    source = controls([SOURCE], where=st)["source"]
    q = dict(source=source, truth=None, formula=None, query=None, problem=None, upload=None)
    if source == SOURCES[0]:
        options = tuple(heldout_table()["smiles"])
        q["truth"] = controls([Choice("mol", "Held-out molecule (never seen in training)", options, DEFAULT_MOLECULE,
                                      format_func=labels().__getitem__, selectbox=True)], where=st)["mol"]
    elif source == SOURCES[1]:
        try:
            q["truth"] = chem.check_smiles(controls([TYPED], where=st)["smiles"])
        except ValueError as exc:
            q["problem"] = f"Cannot use this SMILES: {exc}."
    else:
        q["upload"] = st.file_uploader("Two-column CSV: wavenumber (cm⁻¹), absorbance; at most 1 MB",
                                       type=["csv", "txt"], max_upload_size=1,
                                       key=unbound("upload", "an uploaded spectrum cannot travel in a link"))
        given = controls([GIVEN_FORMULA], where=st)["upload_formula"].strip()
        try:
            if q["upload"] is None:
                q["problem"] = ("Upload a spectrum to continue (the spectrum chart's *Data (CSV)* download of "
                                "another query works as an example).")
            else:
                q["query"] = library.as_features(library.read_spectrum_csv(q["upload"].getvalue())) ** 2
                q["formula"] = given if given and chem.check_formula(given) else None
        except ValueError as exc:
            q["query"], q["problem"] = None, f"Cannot use this upload: {exc}."
    return q


def query_spectrum_section(q: dict, measurement: dict, seed: int) -> None:
    """Measure the chosen molecule (or take the upload) and draw the query beside the library's spectrum."""
    truth = q["truth"]
    if truth is not None and q["problem"] is None:
        try:
            q["query"], q["formula"] = measured(truth, measurement, seed), chem.formula_of(truth)
        except ValueError as exc:
            q["problem"] = f"The simulator failed for this molecule: {exc}."
    if q["problem"] and q["source"] == SOURCES[2] and q["upload"] is None:
        st.info(q["problem"])
    elif q["problem"]:
        st.error(q["problem"], icon=":material/error:")
    if q["query"] is None:
        return
    left, right = st.columns([1, 2])
    if truth is not None:
        left.image(figs.molecule_png(truth), caption=f"truth: {truth} ({q['formula']})")
        if q["source"] == SOURCES[0] and truth == DEFAULT_MOLECULE:
            st.caption(figs.difficulty_sentence(truth, results("ablation.csv"), generator.GUIDANCE))
        left.caption("In the universe" if chem.constitution_key(truth) in universe_keys() else
                     "**Not in the universe**: no library contains it.")
    fig, data = figs.spectrum_figure(q["query"], library_spectrum(truth) if truth else None,
                                     "library (clean, conformer 0)")
    with right:
        figure(fig, data, "diffspectra_spectrum", caption="Numbers: the strongest bands of the query (cm⁻¹).")


def searching(q: dict, use_formula: str | None) -> None:
    query, truth = q["query"], q["truth"]
    st.header("2 · Searching: a spectral library and a contrastive retriever")
    st.markdown("**Library search** compares the query with the 5,243 stored spectra (cosine). The "
                "**contrastive retriever** embeds the spectrum and every *structure* into one space "
                "(InfoNCE on the training split) and returns the nearest structures. Both can only ever "
                "return molecules they hold."
                + (f" Both are restricted to the formula {use_formula}." if use_formula else ""))
    cols = st.columns(2)
    for col, (title, rank) in zip(cols, (("Library search (cosine)", library.library_ranked),
                                         ("Contrastive retriever", library.retriever_ranked))):
        ranked = rank(query, 5, use_formula)
        col.subheader(title)
        if ranked:
            with col:
                grid(ranked, truth, per_row=5)
        else:
            col.warning("No library molecule has this formula: retrieval has nothing to return.")


def generating(q: dict, use_formula: str | None, g_values: dict, seed: int) -> None:
    query, truth, device = q["query"], q["truth"], pick_device()
    st.header("3 · Generating: conditional graph diffusion")
    st.markdown("The diffusion model starts from noise (atoms and bonds drawn from their training "
                "frequencies) and denoises for 50 steps, each step predicting the clean graph from the "
                "spectrum embedding. With the formula known, its heavy atoms are fixed (inpainting) and "
                "only the bonds are generated. A sample that breaks a valence rule is re-decoded from the "
                "last step's bond probabilities under valence limits. Every unique valid candidate is then "
                "re-simulated and ranked by how well its spectrum agrees with the query (generate-and-verify).")
    key = (cache.digest(query.tobytes()), use_formula, g_values["samples"], g_values["temperature"],
           g_values["guidance"], seed)
    start = time.perf_counter()
    out = cached(GENERATIONS, key, lambda progress: generator.generate(
        query, g_values["samples"], use_formula, seed, g_values["temperature"], trajectory_every=1,
        progress=progress, device=device, guidance=g_values["guidance"]), "Sampling 50 denoising steps...")
    if out.proposals:
        st.caption("No formula: sampled for " + ", ".join(f"{f} ({n}, p = {p:.2f})" for f, n, p in out.proposals))
    seconds = time.perf_counter() - start
    cols = st.columns(4)
    cols[0].metric("valid as sampled", f"{out.raw_validity:.0%}", help=f"{out.validity:.0%} after valence-"
                   f"constrained decoding; {len(out.ranked)} candidates kept ({out.n_formula_mismatch} had "
                   "another formula)")
    cols[1].metric("unique among valid", f"{out.uniqueness:.0%}")
    rank_of_truth = next((i for i, (s, _) in enumerate(out.ranked, 1) if truth and chem.same_molecule(s, truth)),
                         None)
    cols[2].metric("rank of the truth", "n/a" if truth is None else
                   (f"#{rank_of_truth}" if rank_of_truth else "not found"))
    cols[3].metric("best Tanimoto to the truth", "n/a" if truth is None or not out.ranked else
                   f"{max(chem.tanimoto(s, truth) for s, _ in out.ranked):.2f}")
    fig, data = figs.trajectory_figure(out.trajectory)
    figure(fig, data, "diffspectra_trajectory", caption="Averaged over all samples of this query. With the "
           "formula known the atoms are fixed from the start; set *formula known = no* to see them settle.")
    st.image(figs.trajectory_png(out.trajectory), caption="Sample 1 along the reverse chain (heavy atoms only).")
    candidates(out, truth)
    compute_note(device, "float32", seconds)


def candidates(out, truth) -> None:
    if not out.ranked:
        st.warning("No sample decoded to a valid molecule with this formula. Try more samples or another seed.")
        return
    st.subheader("Candidates, ranked by simulator agreement")
    grid(out.ranked[:10], truth)
    st.dataframe(figs.candidates_frame(out.ranked, truth, universe_keys()), hide_index=True)
    left, right = st.columns(2)
    fig, data = figs.ball_and_stick(out.ranked[0][0], f"Top candidate in 3D: {out.ranked[0][0]}")
    with left:
        figure(fig, data, "diffspectra_top3d", caption="ETKDG + MMFF94 conformer (force field, not generated).")
    if truth:
        fig, data = figs.ball_and_stick(truth, f"Truth in 3D: {truth}")
        with right:
            figure(fig, data, "diffspectra_truth3d")


def benchmark() -> None:
    st.header("4 · Held-out benchmark (precomputed by scripts/make_diffspectra_metrics.py)")
    table = results("heldout_results.csv")
    st.markdown(f"Every solver on measured queries of the held-out molecules (conformer 1, default measurement "
                f"model). Retrieval: all {int(table['n_queries'].max())} held-out molecules; generator: a fixed "
                f"random subset of {int(table['n_queries'].min())} (64 samples each). **Exact match = same "
                "constitution** (first InChIKey block). 'Train-split library' holds no held-out molecule: "
                "search then scores 0 by construction, the closed-world limit generation removes.")
    shown = table.assign(formula=table["formula"].map({True: "yes", False: "no"}))
    st.dataframe(shown, hide_index=True)
    st.markdown("**The paper's numbers: different data (QM9S, DFT spectra) and a 80x larger model, not comparable "
                "one to one**. v1 and v2 are the same checkpoint under two exact-match criteria.")
    st.dataframe(PAPER_TABLE, hide_index=True)
    fig, data = figs.acc_vs_k_figure(results("acc_vs_k.csv"))
    figure(fig, data, "diffspectra_acc_vs_k", caption=figs.acc_vs_k_sentence(results("acc_vs_k.csv")))
    ablation()
    figure(*figs.training_figure(results("generator_log.csv")), "diffspectra_training",
           caption="scripts/train_diffspectra.py --part generator2 (H200); shipped: the EMA with the lowest val loss.")


def ablation() -> None:
    """Does the spectrum do the work? The same sampler + re-ranking, fed other spectra (precomputed)."""
    st.subheader("Does the spectrum do the work? (precomputed ablation)")
    table = results("ablation.csv")
    new = table.model.iloc[-1]
    view = figs.ablation_view(table, new, generator.GUIDANCE, generator.TOP_FORMULAS)
    true, null, other, rand = (view[(sp, True)] for sp in ("query spectrum", "null (zeros)", "another molecule's",
                                                           "random graphs, no model"))
    st.markdown(
        f"Candidates come from four sources, and **all are verified against the true query spectrum** by the "
        f"same re-ranking ({true['n_queries']} held-out queries, {true['samples']} samples each). With the "
        f"formula and guidance {true['guidance']:g}, {new} has the molecule in its top 10 for "
        f"**{true['acc@10']:.0%}** of queries (Acc@1 {true['acc@1']:.0%}) when sampling from the query spectrum, "
        f"{null['acc@10']:.0%} from the null spectrum (which guidance cannot change: both branches are then the "
        f"same), {other['acc@10']:.0%} from another molecule's (w = {other['guidance']:g}) and "
        f"{rand['acc@10']:.0%} from random graphs "
        f"on the formula's atoms: **the spectrum adds {100 * (true['acc@10'] - null['acc@10']):.0f} points over "
        f"the null control** ({true['acc@10'] / max(null['acc@10'], 1e-9):.1f}x). "
        + figs.guidance_sentence(table, new, view))
    st.dataframe(table[table.heavy_atoms == "all"].drop(columns=["heavy_atoms", "steps", "temperature"]),
                 hide_index=True)
    figure(*figs.ablation_figure(table, new, generator.GUIDANCE), "diffspectra_ablation",
           caption="scripts/make_diffspectra_metrics.py --part ablation; 4-5 heavy atoms: few queries, noisy.")


measurement, g_values, seed = header()
q = choose_query()
query_spectrum_section(q, measurement, seed)
if q["query"] is not None:
    use_formula = q["formula"] if g_values["formula"] == "yes" else None
    searching(q, use_formula)
    generating(q, use_formula, g_values, seed)
benchmark()
