"""Figures of the DiffSpectra page: pure functions returning (plotly figure, data) or image bytes.

No Streamlit here. Molecule drawings come from RDKit (rdkit.Chem.Draw, offline), imported only when a
drawing is made: its C++ core links libXrender / libXext / libX11, which a slim host may lack
(packages.txt installs them); there the drawings become a notice and the page runs on. The 3D view is a
plotly ball-and-stick (plotly.js ships with Streamlit, so no CDN viewer is needed).
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from PIL import Image, ImageDraw
from rdkit import Chem

from core.diffspectra.graphs import ATOM_CLASSES
from core.diffspectra.simulator import GRID, embed
from ui.theme import ACCENT, COLORWAY, MUTED, PRIMARY

CPK = {"C": "#404040", "H": "#E9ECEF", "N": "#3050F8", "O": "#FF0D0D", "F": "#90E050"}
RADIUS = {"C": 11, "H": 6, "N": 11, "O": 11, "F": 10}


def strongest_peaks(spectrum: np.ndarray, n: int = 6, min_gap: float = 60.0) -> list[float]:
    """Wavenumbers of the n highest local maxima, at least ``min_gap`` cm-1 apart (for annotation)."""
    y = np.asarray(spectrum)
    maxima = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:])) + 1
    chosen: list[float] = []
    for i in maxima[np.argsort(-y[maxima])]:
        if all(abs(GRID[i] - c) >= min_gap for c in chosen):
            chosen.append(float(GRID[i]))
        if len(chosen) == n:
            break
    return chosen


def spectrum_figure(query: np.ndarray, reference: np.ndarray | None, reference_label: str):
    """The query spectrum (what the solvers see) over the library's clean spectrum, peaks annotated."""
    data = pd.DataFrame({"wavenumber_cm-1": GRID, "query": query})
    fig = go.Figure()
    if reference is not None:
        data[reference_label] = reference
        fig.add_scatter(x=GRID, y=reference, name=reference_label, line=dict(color=MUTED, width=1.5))
    fig.add_scatter(x=GRID, y=query, name="query (measured)", line=dict(color=PRIMARY, width=2))
    for x in strongest_peaks(query):
        fig.add_annotation(x=x, y=float(np.interp(x, GRID, query)), text=f"{x:.0f}", showarrow=True,
                           arrowhead=0, ay=-22, font=dict(size=11, color=ACCENT))
    fig.update_layout(title="IR spectrum (MMFF94 harmonic): the query and the library's simulation",
                      xaxis=dict(title="wavenumber (cm⁻¹)", autorange="reversed"),
                      yaxis=dict(title="absorbance (max = 1)"), height=360, hovermode="x unified")
    return fig, data


def _graph_mol(atoms, bonds) -> Chem.Mol:
    """A drawable (possibly chemically invalid) molecule from a dense graph, no sanitisation."""
    mol = Chem.RWMol()
    index = {int(i): mol.AddAtom(Chem.Atom(ATOM_CLASSES[int(a)])) for i, a in enumerate(atoms) if a > 0}
    order = {1: Chem.BondType.SINGLE, 2: Chem.BondType.DOUBLE, 3: Chem.BondType.TRIPLE}
    for i in index:
        for j in index:
            if i < j and bonds[i, j] > 0:
                mol.AddBond(index[i], index[j], order[int(bonds[i, j])])
    mol = mol.GetMol()
    mol.UpdatePropertyCache(strict=False)
    for atom in mol.GetAtoms():
        atom.SetNoImplicit(True)          # draw the bare heavy-atom graph, no guessed hydrogens
    return mol


def trajectory_figure(trajectory):
    """Share of atom slots / bond pairs already equal to their final class, step by step (all samples)."""
    final_atoms, final_bonds = trajectory[-1][1], trajectory[-1][2]
    upper = np.triu(np.ones(final_bonds.shape[1:], bool), 1)
    rows = [dict(step=int(t), atoms_settled=float((a == final_atoms).mean()),
                 bonds_settled=float((b[:, upper] == final_bonds[:, upper]).mean()),
                 bonds_present=float((b[:, upper] > 0).mean())) for t, a, b in trajectory]
    data = pd.DataFrame(rows)
    fig = go.Figure()
    fig.add_scatter(x=data.step, y=data.atoms_settled, name="atom types settled", line=dict(color=PRIMARY, width=3))
    fig.add_scatter(x=data.step, y=data.bonds_settled, name="bonds settled", line=dict(color=ACCENT, width=3))
    fig.update_layout(title="Denoising trajectory: atoms settle, then bonds",
                      xaxis=dict(title="diffusion step t (50 = noise, 0 = molecule)", autorange="reversed"),
                      yaxis=dict(title="share equal to the final graph", range=[0, 1.02]), height=330)
    return fig, data


def candidates_frame(ranked, truth: str | None, universe_keys: set) -> pd.DataFrame:
    """The ranked candidates as a table: score, match with the truth, Tanimoto, whether any library holds it."""
    from core.diffspectra import chem
    mark = lambda s: "" if truth is None else ("✓" if chem.same_molecule(s, truth) else "✗")  # noqa: E731
    return pd.DataFrame([dict(rank=i, smiles=s, score=round(score, 3), match=mark(s),
                              tanimoto=None if truth is None else round(chem.tanimoto(s, truth), 2),
                              in_universe=chem.constitution_key(s) in universe_keys)
                         for i, (s, score) in enumerate(ranked, 1)])


def acc_vs_k_sentence(table: pd.DataFrame) -> str:
    """What the Acc@K curves show, from their numbers: the retrievers rise with K, the generator stays flat."""
    with_formula = table[table["formula"]]
    def at(solver: str, k: int) -> float:
        return with_formula[(with_formula.solver == solver) & (with_formula.k == k)].accuracy.iloc[0]
    k_max = int(with_formula.k.max())
    gen = "diffusion generator + verify"
    return (f"With the formula, Acc@K rises with K for the retrievers (library search {at('library search', 1):.0%} "
            f"-> {at('library search', k_max):.0%}, contrastive retriever {at('contrastive retriever', 1):.0%} -> "
            f"{at('contrastive retriever', k_max):.0%} from K = 1 to {k_max}) but the generator's barely rises "
            f"({at(gen, 1):.0%} -> {at(gen, k_max):.0%}): its candidates are re-ranked by simulator agreement with "
            "the query, so when a sample is the molecule it is nearly always ranked first; a larger K cannot "
            "add a molecule the sampler never proposed.")


def difficulty_sentence(smiles: str, ablation: pd.DataFrame, guidance: float) -> str:
    """How typical a query is: the shipped generator's held-out Acc@10 at its heavy-atom count vs overall."""
    heavy = Chem.MolFromSmiles(smiles).GetNumHeavyAtoms()
    rows = ablation_rows(ablation, ablation.model.iloc[-1], SOURCES[0], True, guidance, 0)
    by = dict(zip(rows.heavy_atoms, rows["acc@10"]))
    size = by.get(str(heavy))
    known = f"found in the top 10 for {size:.0%} of held-out queries of that size" if size is not None else \
        "a size the benchmark has few of"
    return (f"The default molecule has {heavy} heavy atoms: an easy query ({known}, against {by['all']:.0%} "
            "overall, section 4). Pick a larger one for a typical case.")


def _draw():
    """rdkit.Chem.Draw, or None on a host without the X libraries it links."""
    try:
        from rdkit.Chem import Draw
    except ImportError:  # e.g. "libXrender.so.1: cannot open shared object file"
        return None
    return Draw


def _unavailable(width: int, height: int) -> bytes:
    """A notice in place of a molecule drawing, so the page says why instead of failing."""
    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).multiline_text((10, 10), "Molecule drawing unavailable on this host:\nRDKit's drawing "
                                         "needs libXrender,\nlibXext and libX11 (packages.txt).", fill="#495057")
    return _png(image)


def trajectory_png(trajectory, sample: int = 0, every: int = 10) -> bytes:
    """Snapshots of one sample's graph along the reverse chain (heavy atoms only)."""
    shots = [(t, a[sample], b[sample]) for t, a, b in trajectory if t % every == 0]
    if (Draw := _draw()) is None:
        return _unavailable(170 * len(shots), 150)
    mols = [_graph_mol(a, b) for _, a, b in shots]
    image = Draw.MolsToGridImage(mols, molsPerRow=len(mols), subImgSize=(170, 150),
                                 legends=[f"t = {t}" for t, _, _ in shots])
    return _png(image)


def candidate_png(smiles: list[str], legends: list[str], per_row: int = 5) -> bytes:
    if (Draw := _draw()) is None:
        return _unavailable(200 * per_row, 170)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    return _png(Draw.MolsToGridImage(mols, molsPerRow=per_row, subImgSize=(200, 170), legends=legends))


def molecule_png(smiles: str, size=(300, 220)) -> bytes:
    if (Draw := _draw()) is None:
        return _unavailable(*size)
    return _png(Draw.MolToImage(Chem.MolFromSmiles(smiles), size=size))


def _png(image) -> bytes:
    if isinstance(image, bytes):
        return image
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def ball_and_stick(smiles: str, title: str):
    """ETKDG + MMFF94 conformer as a plotly 3D ball-and-stick (a force-field geometry, not generated)."""
    mol = embed(smiles, seed=0)
    xyz = mol.GetConformer().GetPositions()
    symbols = [a.GetSymbol() for a in mol.GetAtoms()]
    data = pd.DataFrame({"element": symbols, "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2]})
    fig = go.Figure()
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        fig.add_scatter3d(x=xyz[[i, j], 0], y=xyz[[i, j], 1], z=xyz[[i, j], 2], mode="lines",
                          line=dict(color="#868E96", width=6 * bond.GetBondTypeAsDouble()),
                          hoverinfo="skip", showlegend=False)
    for element in dict.fromkeys(symbols):
        pick = data[data.element == element]
        fig.add_scatter3d(x=pick.x, y=pick.y, z=pick.z, mode="markers", name=element,
                          marker=dict(size=RADIUS[element], color=CPK[element], line=dict(color="#212529", width=1)))
    axis = dict(visible=False)
    fig.update_layout(title=title, height=380, margin=dict(l=0, r=0, t=40, b=0), hovermode="closest",
                      scene=dict(xaxis=axis, yaxis=axis, zaxis=axis, aspectmode="data"))
    return fig, data


def acc_vs_k_figure(curves: pd.DataFrame):
    """Held-out Acc@K against K for each solver (solid: formula known, dotted: spectrum only)."""
    fig = go.Figure()
    for i, (solver, group) in enumerate(curves.groupby("solver", sort=False)):
        for with_formula, part in group.groupby("formula"):
            fig.add_scatter(x=part.k, y=part.accuracy, name=f"{solver} ({'+ formula' if with_formula else 'spectrum only'})",
                            line=dict(color=COLORWAY[i % len(COLORWAY)], dash="solid" if with_formula else "dot"))
    fig.update_layout(title="Held-out Acc@K against K (exact match = same constitution)",
                      xaxis=dict(title="K (candidates inspected)"), yaxis=dict(title="Acc@K", range=[0, 1.02]),
                      height=420, hovermode="closest",
                      legend=dict(orientation="h", y=-0.25, x=0, xanchor="left", yanchor="top"))
    return fig, curves


def temperature_figure(temps: pd.DataFrame):
    """The paper's trade-off: sampling temperature against Acc@K and validity."""
    fig = go.Figure()
    names = {"acc@1": "Acc@1", "acc@20": "Acc@20", "raw_validity": "valid as sampled", "uniqueness": "unique"}
    for (col, name), color in zip(names.items(), (PRIMARY, ACCENT, MUTED, COLORWAY[2])):
        if col in temps:
            fig.add_scatter(x=temps.temperature, y=temps[col], name=name, mode="lines+markers",
                            line=dict(color=color, dash="solid" if col.startswith("acc") else "dot"))
    fig.update_layout(title="Sampling temperature: accuracy against diversity (generator, + formula)",
                      xaxis=dict(title="temperature (divides the denoiser's logits)"),
                      yaxis=dict(title="share", range=[0, 1.02]), height=360, hovermode="x unified")
    return fig, temps


def training_figure(log: pd.DataFrame):
    """Training loss and the validation loss with the query spectrum and with the null spectrum:
    the gap between the two validation curves is what the spectrum tells the denoiser (nats)."""
    fig = go.Figure()
    fig.add_scatter(x=log.step, y=log.loss, name="training loss", line=dict(color=MUTED))
    if "val_loss" in log:
        fig.add_scatter(x=log.step, y=log.val_loss, name="validation, query spectrum", line=dict(color=PRIMARY))
        fig.add_scatter(x=log.step, y=log.val_null_loss, name="validation, null spectrum",
                        line=dict(color=ACCENT, dash="dot"))
    fig.update_layout(title="Training the diffusion model (loss = atom CE + 5 x bond CE)",
                      xaxis=dict(title="step (batch 512)"), yaxis=dict(title="loss", range=[1.2, 2.6]), height=320,
                      hovermode="x unified")
    return fig, log


SOURCES = ("query spectrum", "null (zeros)", "another molecule's", "random graphs, no model")


def ablation_rows(table: pd.DataFrame, model: str, spectrum: str, formula: bool, guidance: float,
                  top_formulas: int) -> pd.DataFrame:
    """One control's rows (overall + by heavy-atom count): the query spectrum's at ``guidance`` (and
    ``top_formulas`` without the formula); the null and another molecule's spectrum at the last guidance they
    were run with (the null's samples do not depend on it; the other's do, so callers print its w); the
    model-free control from model "none". Empty if that control was not run."""
    rows = table[(table.model == ("none" if spectrum == SOURCES[3] else model)) & (table.spectrum == spectrum)
                 & (table.formula.astype(str) == str(formula)) & (table.steps == 50) & (table.temperature == 1.0)]
    if spectrum in SOURCES[1:]:
        return rows[rows.guidance == rows.guidance.iloc[-1]] if len(rows) else rows
    rows = rows[rows.guidance == guidance]
    return rows if formula else rows[rows.top_formulas == top_formulas]


def ablation_view(table: pd.DataFrame, model: str, guidance: float, top_formulas: int) -> dict:
    """{(control, formula known): its overall row} for every control that was run."""
    view = {}
    for spectrum in SOURCES:
        for formula in (True, False):
            rows = ablation_rows(table, model, spectrum, formula, guidance, top_formulas)
            if len(rows):
                view[(spectrum, formula)] = rows[rows.heavy_atoms == "all"].iloc[-1].to_dict()
    return view


def guidance_sentence(table: pd.DataFrame, model: str, view: dict) -> str:
    """What guidance and the formula proposer add, from the shipped model's rows."""
    true, plain = view[(SOURCES[0], True)], ablation_rows(table, model, SOURCES[0], True, 1.0, 0)
    out = ""
    if len(plain):
        plain = plain[plain.heavy_atoms == "all"].iloc[-1]
        out = (f"Guidance {true['guidance']:g} against plain sampling (w = 1): Acc@10 {true['acc@10']:.0%} against "
               f"{plain['acc@10']:.0%}, at twice the network calls. ")
    spec, null = view.get((SOURCES[0], False)), view.get((SOURCES[1], False))
    if spec is not None and null is not None:
        out += (f"Without the formula the proposer's {int(spec['top_formulas'])} formulas hold the true one for "
                f"{float(spec['formula_proposed']):.0%} of queries, and Acc@10 is {spec['acc@10']:.1%} (null spectrum, "
                f"{int(null['top_formulas'])} formulas: {null['acc@10']:.1%}).")
        runs = table[(table.model == model) & (table.spectrum == SOURCES[0]) & (table.formula.astype(str) == "False")
                     & (table.heavy_atoms == "all")]
        best = runs.loc[runs["acc@10"].idxmax()]
        if best["acc@10"] > spec["acc@10"]:
            out += (f" The best no-formula setting measured is guidance {best['guidance']:g} with "
                    f"{int(best['top_formulas'])} formulas: Acc@10 {best['acc@10']:.1%}.")
    return out


def ablation_figure(table: pd.DataFrame, model: str, guidance: float, k: int = 10):
    """Acc@k by heavy-atom count for each control of one generator, with the formula, at ``guidance``."""
    part = pd.concat([ablation_rows(table, model, spectrum, True, guidance, 0) for spectrum in SOURCES])
    part = part[part.heavy_atoms != "all"]
    data = part[["spectrum", "guidance", "heavy_atoms", "n_queries", f"acc@{k}"]].reset_index(drop=True)
    fig = go.Figure()
    for i, (spectrum, group) in enumerate(data.groupby("spectrum", sort=False)):
        w = {SOURCES[1]: "", SOURCES[3]: ""}.get(spectrum, f" (w = {group.guidance.iloc[0]:g})")
        fig.add_bar(x=group.heavy_atoms.astype(str), y=group[f"acc@{k}"], name=spectrum + w,
                    marker_color=COLORWAY[i % len(COLORWAY)],
                    customdata=group.n_queries, hovertemplate="%{y:.2f} of %{customdata} queries")
    fig.update_layout(title=f"Acc@{k} by heavy-atom count, formula known: sampled from which spectrum?",
                      xaxis=dict(title="heavy atoms of the query molecule"),
                      yaxis=dict(title=f"Acc@{k}", range=[0, 1.02]),
                      barmode="group", height=380, legend=dict(orientation="h", y=-0.25, x=0, yanchor="top"))
    return fig, data
