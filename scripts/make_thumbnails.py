"""Render assets/thumbnails/<slug>.png (320 x 200 px) for every paper in core.registry.PAPERS.

The thumbnails are computed, not drawn by hand: each one runs a tiny, seeded version of its paper's
mechanism (numpy / networkx / core.*) and plots the result, so a thumbnail can only show what the code
does. Every written file is recorded in assets/MANIFEST.tsv (scripts/manifest.py) with this script and seed.

    python scripts/make_thumbnails.py               # all papers
    python scripts/make_thumbnails.py --only spe    # one paper
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402
from PIL import Image  # noqa: E402

import manifest  # noqa: E402
from core.registry import PAPERS  # noqa: E402
from core.spectral import householder_product, laplacian, low_rank, sym_eigh, truncated_svd  # noqa: E402

SEED = 0
OUT = ROOT / "assets" / "thumbnails"
PRIMARY, ACCENT = "#4C6EF5", "#F76707"          # same as ui/theme.py
DARK, GREY, LIGHT = "#343A40", "#868E96", "#CED4DA"
DIVERGING = LinearSegmentedColormap.from_list("atlas_div", [PRIMARY, "#F8F9FA", ACCENT])
SEQUENTIAL = LinearSegmentedColormap.from_list("atlas_seq", ["white", PRIMARY, ACCENT])


def _axes(fig, rect=(0, 0, 1, 1), equal=False):
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    if equal:
        ax.set_aspect("equal")
    return ax


def _graph(ax, G, pos, colors, size=60, edge_color=LIGHT, cmap=DIVERGING, vlim=None):
    nx.draw_networkx_edges(G, pos, ax=ax, edge_color=edge_color, width=1.4)
    vmin, vmax = (None, None) if vlim is None else (-vlim, vlim)
    nx.draw_networkx_nodes(G, pos, ax=ax, node_color=colors, node_size=size, cmap=cmap, vmin=vmin,
                           vmax=vmax, edgecolors=DARK, linewidths=0.6)
    ax.set_axis_off()


# ----------------------------------------------------------------------------- one motif per paper

def grokking(fig, rng):
    """The page's run, shortened: train loss (grey) drops early, test loss (primary) much later."""
    from core.grokking import simulate
    run = simulate(steps=3000, n_lazy=50, n_align=5, seed=SEED)
    ax = _axes(fig, (0.04, 0.06, 0.92, 0.88))
    t = run.step[1:]
    ax.axvspan(run.t_train, run.t_test, color=ACCENT, alpha=0.12, lw=0)   # the grokking delay
    ax.axhline(run.threshold, color=ACCENT, lw=1, ls=(0, (3, 3)))
    ax.semilogx(t, run.train_loss[1:], color=GREY, lw=2.2)
    ax.semilogx(t, run.test_loss[1:], color=PRIMARY, lw=2.8)
    ax.set_xlim(t[0], t[-1])
    ax.set_axis_off()


def householder(fig, rng):
    """Unit vectors (grey) and their images (primary) under H(v1) H(v2); mirror lines in accent."""
    V = rng.normal(size=(2, 2))
    Q = householder_product(V)
    ax = _axes(fig, equal=True)
    for v in V.T:   # mirror of H(v): the line orthogonal to v
        m = np.array([-v[1], v[0]]) / np.linalg.norm(v)
        ax.plot(*np.c_[-1.25 * m, 1.25 * m], color=ACCENT, lw=1.4, ls=(0, (4, 3)))
    angles = np.linspace(0, 2 * np.pi, 7)[:-1] + 0.3
    X = np.stack([np.cos(angles), np.sin(angles)])
    for x, y in zip(X.T, (Q @ X).T):
        ax.annotate("", y, (0, 0), arrowprops=dict(arrowstyle="-|>", color=PRIMARY, lw=2, mutation_scale=10))
        ax.annotate("", x, (0, 0), arrowprops=dict(arrowstyle="-|>", color="#ADB5BD", lw=1.6, mutation_scale=9))
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.1, 1.1)


def spe(fig, rng):
    """A 4 x 7 grid graph, nodes coloured by the 2nd eigenvector of its Laplacian."""
    G = nx.grid_2d_graph(4, 7)
    _, vecs = sym_eigh(laplacian(G))
    f = vecs[:, 1]
    pos = {(i, j): (j, i) for i, j in G}
    ax = _axes(fig, (0.06, 0.08, 0.88, 0.84))
    _graph(ax, G, pos, f, size=95, vlim=np.abs(f).max())
    ax.set_xlim(-0.5, 6.5)
    ax.set_ylim(-0.5, 3.5)


def eigentrajectory(fig, rng):
    """Noisy curved 2-D paths (grey) and their rank-2 SVD reconstructions (primary)."""
    T, n = 12, 7
    t = np.linspace(0, 1, T)
    heading = rng.uniform(-0.6, 0.6, n)
    curve = rng.uniform(-1.0, 1.0, n)
    speed = rng.uniform(0.8, 1.1, n)
    ang = heading[:, None] + curve[:, None] * t
    xy = np.stack([np.cumsum(np.cos(ang), 1), np.cumsum(np.sin(ang), 1)], -1) * speed[:, None, None] / T
    noisy = xy + rng.normal(scale=0.02, size=xy.shape)
    rec = low_rank(noisy.reshape(n, -1), 2).reshape(n, T, 2)
    ax = _axes(fig, (0.05, 0.05, 0.9, 0.9))
    for a, b in zip(noisy, rec):
        ax.plot(*a.T, color=LIGHT, lw=1.2, marker="o", ms=2.5)
        ax.plot(*b.T, color=PRIMARY, lw=2.2)
        ax.plot(*b[-1], "o", color=ACCENT, ms=4)


def diffspectra(fig, rng):
    """A toluene-like graph; its Hueckel spectrum (adjacency eigenvalues) as sticks, Lorentzian-broadened."""
    G = nx.cycle_graph(6)
    G.add_edges_from([(0, 6), (3, 7), (7, 8)])
    evals = np.linalg.eigvalsh(nx.to_numpy_array(G))
    peaks, counts = np.unique(evals.round(6), return_counts=True)
    x = np.linspace(evals.min() - 0.4, evals.max() + 0.4, 400)
    gamma = 0.1
    spec = (counts[:, None] * gamma ** 2 / ((x - peaks[:, None]) ** 2 + gamma ** 2)).sum(0)
    ax = _axes(fig, (0.05, 0.42, 0.9, 0.54))
    ax.fill_between(x, spec, color=PRIMARY, alpha=0.18, lw=0)
    ax.plot(x, spec, color=PRIMARY, lw=1.8)
    ax.vlines(peaks, 0, counts, color=ACCENT, lw=1.6)
    ax.axhline(0, color=LIGHT, lw=1)
    ax.set_xlim(x[0], x[-1])
    pos = nx.kamada_kawai_layout(G)
    pos = {k: np.array([v[1], -v[0]]) for k, v in pos.items()} if np.ptp([p[1] for p in pos.values()]) > \
        np.ptp([p[0] for p in pos.values()]) else pos
    ax2 = _axes(fig, (0.05, 0.02, 0.9, 0.38), equal=True)
    _graph(ax2, G, pos, [GREY] * 6 + [DARK] * 3, size=28, edge_color=GREY, cmap=None)


def topcow(fig, rng):
    """A Circle-of-Willis-like vessel graph: a single closed loop (checked: Betti-1 = 1) plus branches,
    each vessel a thick segment in its own label colour."""
    xy = {"acom_l": (-0.25, 1.0), "acom_r": (0.25, 1.0), "ica_l": (-0.9, 0.25), "ica_r": (0.9, 0.25),
          "p_l": (-0.7, -0.65), "p_r": (0.7, -0.65), "ba": (0.0, -0.9),
          "a2_l": (-0.35, 1.55), "a2_r": (0.35, 1.55), "mca_l": (-1.65, 0.45), "mca_r": (1.65, 0.45),
          "p2_l": (-1.4, -1.2), "p2_r": (1.4, -1.2), "ba_end": (0.0, -1.55)}
    vessels = [("acom_l", "acom_r"), ("acom_l", "ica_l"), ("acom_r", "ica_r"), ("ica_l", "p_l"),
               ("ica_r", "p_r"), ("p_l", "ba"), ("p_r", "ba"), ("acom_l", "a2_l"), ("acom_r", "a2_r"),
               ("ica_l", "mca_l"), ("ica_r", "mca_r"), ("p_l", "p2_l"), ("p_r", "p2_r"), ("ba", "ba_end")]
    G = nx.Graph(vessels)
    assert nx.number_connected_components(G) == 1 and len(nx.cycle_basis(G)) == 1
    ring = {frozenset(e) for e in zip(nx.cycle_basis(G)[0], np.roll(nx.cycle_basis(G)[0], -1))}
    colors = iter(LinearSegmentedColormap.from_list("v", [PRIMARY, "#AE3EC9", ACCENT])(np.linspace(0, 1, 7)))
    ax = _axes(fig, (0.04, 0.04, 0.92, 0.92), equal=True)
    for u, v in vessels:
        on_ring = frozenset((u, v)) in ring
        a, b = np.array(xy[u]), np.array(xy[v])
        bend = 0.12 * np.array([-(b - a)[1], (b - a)[0]]) * (1 if on_ring else 0.5)
        s = np.linspace(0, 1, 30)[:, None]
        path = (1 - s) * a + s * b + 4 * s * (1 - s) * bend * np.sign(np.dot(bend, (a + b) / 2) + 1e-9)
        ax.plot(*path.T, color=next(colors) if on_ring else GREY, lw=6 if on_ring else 4,
                solid_capstyle="round")
    ax.set_xlim(-1.9, 1.9)
    ax.set_ylim(-1.75, 1.75)


def eigencam(fig, rng):
    """A stack of smooth activation maps (left) and its first principal component map (right)."""
    H, W, C = 30, 48, 24
    yy, xx = np.mgrid[0:H, 0:W]
    blob = lambda cy, cx, s: np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s ** 2))
    obj = blob(14, 22, 6) + 0.8 * blob(18, 32, 5)                        # what every channel partly sees
    clutter = [blob(*rng.uniform([0, 0, 3], [H, W, 7])) for _ in range(C)]
    acts = np.stack([rng.uniform(0.3, 1.2) * obj + 1.0 * c for c in clutter], -1)
    A = acts.reshape(-1, C) - acts.reshape(-1, C).mean(0)
    _, _, Vt = truncated_svd(A, 1)
    cam = (A @ Vt[0]).reshape(H, W)
    cam = cam * np.sign(cam.flat[np.abs(cam).argmax()])
    panels = [((0.04 + 0.05 * k, 0.42 - 0.13 * k, 0.34, 0.48), acts[..., 2 - k], "Greys") for k in range(3)]
    for rect, img, cmap in panels + [((0.5, 0.1, 0.46, 0.8), np.clip(cam, 0, None), SEQUENTIAL)]:
        ax = fig.add_axes(rect)
        ax.imshow(img, cmap=cmap, interpolation="bilinear", aspect="auto")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color(GREY)


def farms(fig, rng):
    """Eigenvalues of W^T W / N for two aspect ratios, with their Marchenko-Pastur densities."""
    ax = _axes(fig, (0.04, 0.04, 0.92, 0.92))
    N = 1000
    for q, color in ((0.1, PRIMARY), (0.6, ACCENT)):
        W = rng.normal(size=(N, int(q * N)))
        ev = np.linalg.eigvalsh(W.T @ W / N)
        lo, hi = (1 - q ** 0.5) ** 2, (1 + q ** 0.5) ** 2
        ax.hist(ev, bins=40, range=(0, 3.2), density=True, color=color, alpha=0.35, lw=0)
        x = np.linspace(lo, hi, 300)
        ax.plot(x, np.sqrt(np.clip((hi - x) * (x - lo), 0, None)) / (2 * np.pi * q * x), color=color, lw=2)
    ax.axhline(0, color=LIGHT, lw=1)
    ax.set_xlim(0, 3.2)


def lightsb(fig, rng):
    """Source mixture (grey) to target mixture (accent): pairs from entropic OT (Sinkhorn, the static
    Schroedinger bridge), then Brownian bridges between paired points (primary)."""
    n, eps = 28, 0.5
    x0 = np.array([[-2, 0.8], [-2, -0.8]])[np.arange(n) % 2] + 0.3 * rng.normal(size=(n, 2))
    x1 = np.array([[2, 1.9], [2.3, 0], [2, -1.9]])[np.arange(n) % 3] + 0.25 * rng.normal(size=(n, 2))
    K = np.exp(-((x0[:, None] - x1[None]) ** 2).sum(-1) / (2 * eps))
    u = np.ones(n)
    for _ in range(200):
        v = 1 / (K.T @ u)
        u = 1 / (K @ v)
    plan = u[:, None] * K * v[None]
    y1 = x1[[rng.choice(n, p=row / row.sum()) for row in plan]]
    t = np.linspace(0, 1, 25)[:, None]
    ax = _axes(fig, (0.03, 0.03, 0.94, 0.94))
    for a, b in zip(x0, y1):
        w = np.cumsum(rng.normal(scale=np.sqrt(1 / 24), size=(25, 2)), 0)
        w = w - t * w[-1]                                                # Brownian bridge: 0 at both ends
        ax.plot(*((1 - t) * a + t * b + np.sqrt(eps) * w * 0.5).T, color=PRIMARY, lw=0.8, alpha=0.45)
    ax.scatter(*x0.T, s=10, color=GREY, zorder=3, lw=0)
    ax.scatter(*x1.T, s=10, color=ACCENT, zorder=3, lw=0)


def ebv(fig, rng):
    """k random unit vectors pushed apart by gradient descent on a soft max of their pairwise cosines
    (they end equiangular), with class features clustered near each."""
    k = 5
    V = rng.normal(size=(k, 2))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    for _ in range(300):
        cos = V @ V.T - 10 * np.eye(k)
        w = np.exp(cos / 0.1)
        V -= 0.02 * (w / w.sum()) @ V * 2
        V /= np.linalg.norm(V, axis=1, keepdims=True)
    colors = LinearSegmentedColormap.from_list("c", [PRIMARY, "#AE3EC9", ACCENT])(np.linspace(0, 1, k))
    ax = _axes(fig, equal=True)
    ax.add_patch(plt.Circle((0, 0), 1, fill=False, color=LIGHT, lw=1))
    for v, c in zip(V, colors):
        pts = v * rng.normal(0.8, 0.1, (18, 1)) + rng.normal(scale=0.09, size=(18, 2))
        ax.scatter(*pts.T, s=7, color=c, alpha=0.6, lw=0)
        ax.annotate("", v, (0, 0), arrowprops=dict(arrowstyle="-|>", color=c, lw=2.2, mutation_scale=11))
    ax.set_xlim(-1.7, 1.7)
    ax.set_ylim(-1.1, 1.1)


def bootstrap_amg(fig, rng):
    """A 2-block SBM; a random vector smoothed by weighted Jacobi on L x = 0 (the bootstrap AMG setup)
    splits the blocks: nodes coloured by its sign (checked to agree with the random-walk Fiedler vector's,
    the mode weighted Jacobi damps slowest); edges cut by the split dashed."""
    G = nx.stochastic_block_model([14, 14], [[0.4, 0.03], [0.03, 0.4]], seed=SEED)
    G = nx.convert_node_labels_to_integers(G.subgraph(max(nx.connected_components(G), key=len)))
    L = laplacian(G)
    x = rng.normal(size=len(L))
    for _ in range(60):
        x = x - 0.6 * (L @ x) / np.diag(L)
        x -= x.mean()
    fiedler = sym_eigh(laplacian(G, "sym"))[1][:, 1] / np.sqrt(np.diag(L))   # of L v = lambda D v
    assert np.all(np.sign(x) == np.sign(x @ fiedler) * np.sign(fiedler))
    side = x > 0
    pos = {k: v * [1.6, 1.0] for k, v in nx.spring_layout(G, seed=SEED).items()}
    ax = _axes(fig, (0.03, 0.03, 0.94, 0.94))
    cut = [(u, v) for u, v in G.edges if side[u] != side[v]]
    nx.draw_networkx_edges(G, pos, edgelist=cut, ax=ax, edge_color=GREY, width=1.0, style="dashed")
    nx.draw_networkx_edges(G, pos, edgelist=[e for e in G.edges if e not in cut], ax=ax, edge_color=LIGHT,
                           width=1.2)
    nx.draw_networkx_nodes(G, pos, ax=ax, node_color=[ACCENT if s else PRIMARY for s in side], node_size=40,
                           edgecolors=DARK, linewidths=0.6)
    ax.set_axis_off()


def rkhs_ssl(fig, rng):
    """A rough target (grey) and its projection (primary) onto the top eigenvectors of a Gaussian
    augmentation kernel on a grid; the top eigenfunctions faint below."""
    x = np.linspace(0, 1, 200)
    K = np.exp(-((x[:, None] - x[None]) ** 2) / (2 * 0.06 ** 2))
    _, vecs = sym_eigh(K)
    top = vecs[:, ::-1][:, :6]
    f = np.sin(2 * np.pi * x) + 0.6 * (x > 0.62) + 0.15 * rng.normal(size=x.size)
    ax = _axes(fig, (0.04, 0.04, 0.92, 0.92))
    for j in range(3):
        ax.plot(x, -2.2 + 4 * top[:, j], color=LIGHT, lw=1.2)
    ax.plot(x, f, color=GREY, lw=1)
    ax.plot(x, top @ (top.T @ f), color=PRIMARY, lw=2.6)
    ax.set_xlim(0, 1)


MOTIFS = {"grokking": grokking, "householder": householder, "spe": spe, "eigentrajectory": eigentrajectory,
          "diffspectra": diffspectra, "topcow": topcow, "eigencam": eigencam, "farms": farms,
          "lightsb": lightsb, "ebv": ebv, "bootstrap_amg": bootstrap_amg, "rkhs": rkhs_ssl}


def title_card(fig, rng, slug: str) -> None:
    """A paper without a motif yet (a new page from scripts/new_paper.py): its short name on a card."""
    from core.registry import by_slug
    ax = _axes(fig, (0, 0, 1, 1))
    ax.set_xlim(0, 1), ax.set_ylim(0, 1)
    ax.add_patch(plt.Rectangle((0.06, 0.1), 0.88, 0.8, color=LIGHT, alpha=0.5))
    ax.text(0.5, 0.5, by_slug(slug).short, ha="center", va="center", color=DARK, fontsize=13, wrap=True)


def render(slug: str) -> Path:
    fig = plt.figure(figsize=(3.2, 2.0), dpi=100, facecolor="white")
    if slug in MOTIFS:
        MOTIFS[slug](fig, np.random.default_rng(SEED))
    else:
        title_card(fig, np.random.default_rng(SEED), slug)
    path = OUT / f"{slug}.png"
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, facecolor="white")
    plt.close(fig)
    # matplotlib depends on Pillow: a 256-colour palette (no dithering) keeps every thumbnail < 25 KB
    img = Image.open(buf).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    img.save(path, optimize=True)   # no text chunks: the bytes don't depend on the matplotlib version
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(p.slug for p in PAPERS), help="render one paper's thumbnail")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    paths = []
    for paper in PAPERS:
        if args.only in (None, paper.slug):
            paths.append(render(paper.slug))
            print(f"{paths[-1].relative_to(ROOT)}  {paths[-1].stat().st_size / 1024:.1f} KB")
    manifest.record(paths, script="scripts/make_thumbnails.py", seed=SEED)


if __name__ == "__main__":
    main()
