"""core/spe against closed forms and the paper's invariance / stability claims (Huang et al., ICLR 2024)."""
import networkx as nx
import numpy as np
import pytest
import scipy.linalg
import torch

from core import spe
from core.spe import counting, graphs, stability
from core.spe.encodings import Encoders, sym_laplacians
from core.spectral import laplacian

C12 = nx.cycle_graph(12)   # 5 repeated eigenvalue pairs


def weighted_karate(seed=0):
    G = nx.karate_club_graph()
    rng = np.random.default_rng(seed)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.uniform(0.5, 2.0))
    return G


def test_batched_laplacian_matches_networkx_and_honours_weights():
    G = weighted_karate()
    L = sym_laplacians(torch.as_tensor(stability.adjacency(G))[None])[0].numpy()
    np.testing.assert_allclose(L, laplacian(G, "sym"), atol=1e-12)


@pytest.mark.parametrize("t", [0.5, 2.0])
def test_heat_kernel_spe_is_the_matrix_exponential(t):
    G = weighted_karate()
    L = laplacian(G, "sym")
    lam, V = np.linalg.eigh(L)
    W = spe.spe_matrices(lam, V, lambda x: np.exp(-t * x))[..., 0]
    np.testing.assert_allclose(W, scipy.linalg.expm(-t * L), atol=1e-10)
    pe = spe.encode(G, "spe_heat")                     # readout [diag W_l, W_l 1] for t in HEAT_TIMES
    col = spe.HEAT_TIMES.index(t)
    np.testing.assert_allclose(pe[:, col], np.diag(scipy.linalg.expm(-t * L)), atol=1e-10)
    np.testing.assert_allclose(pe[:, len(spe.HEAT_TIMES) + col], scipy.linalg.expm(-t * L).sum(1), atol=1e-10)


def test_spe_matrices_shapes_and_errors():
    lam, V = np.linalg.eigh(laplacian(C12, "sym"))
    assert spe.spe_matrices(lam, V, lambda x: np.stack([x, x ** 2], 1)).shape == (12, 12, 2)
    with pytest.raises(ValueError):
        spe.spe_matrices(lam, V[:, :5], np.ones_like)


def test_every_method_has_a_shape_and_encode_rejects_unknown():
    for method in spe.METHODS:
        pe = spe.encode(C12, method, d=6)
        assert pe.shape[0] == 12 and np.isfinite(pe).all()
    assert spe.encode(C12, "lap", d=6).shape == (12, 6)
    with pytest.raises(ValueError):
        spe.encode(C12, "pca")


def test_rotation_inside_eigenspaces_changes_eigenvectors_not_spe():
    lam, V = np.linalg.eigh(laplacian(C12, "sym"))
    VQ = stability.rotate_within_eigenspaces(lam, torch.as_tensor(V), seed=3).numpy()
    assert np.abs(VQ - V).max() > 0.1                                      # a different basis ...
    np.testing.assert_allclose(VQ.T @ laplacian(C12, "sym") @ VQ, np.diag(lam), atol=1e-12)  # ... of eigenvectors
    phi = lambda x: np.stack([np.exp(-x), np.sin(3 * x), x ** 2], 1)
    np.testing.assert_allclose(spe.spe_matrices(lam, VQ, phi), spe.spe_matrices(lam, V, phi), atol=1e-12)
    change = stability.rotation_change(C12, seed=0)
    for invariant in ("spe", "spe_heat", "basisnet"):
        assert change[invariant] < 1e-9, (invariant, change)
    for variant in ("lap", "lap_aligned", "signnet"):
        assert change[variant] > 1e-2, (variant, change)


@pytest.mark.parametrize("G", [C12, nx.petersen_graph()], ids=["C12", "Petersen"])
def test_spe_change_is_lipschitz_while_eigenvectors_jump(G):
    result = stability.sweep(G, "reweight", seed=1, epsilons=np.logspace(-7, -2, 6))
    for method in ("spe", "spe_heat"):
        ratio = result.delta_pe[method] / result.delta_L
        assert ratio.max() < 3 * ratio.min(), (method, ratio)   # bounded as eps shrinks: slope 1
    # raw eigenvectors: an O(1) change however small the perturbation (the basis inside a repeated
    # eigenspace is arbitrary), so |dPE| / |dL| grows like 1 / eps
    assert result.delta_pe["lap_aligned"][0] > 0.1
    assert (result.delta_pe["lap_aligned"] / result.delta_L)[0] > 1e5


def test_basisnet_hard_partition_jumps_once_the_split_passes_its_rounding():
    result = stability.sweep(C12, "reweight", seed=1, epsilons=[1e-9, 1e-2])
    small, large = result.delta_pe["basisnet"] / result.pe_norm["basisnet"]
    assert small < 1e-6 and large > 0.05


def test_truncating_inside_a_repeated_eigenspace_breaks_spe_too():
    profile = stability.d_profile(C12, 1e-6, "reweight", seed=0)
    # C12: lambda_2 = lambda_3, so d = 2 cuts a pair (gamma = 0) while d = 3 does not
    assert profile.gamma[1] < 1e-10 and profile.gamma[2] > 0.05
    assert profile.delta["spe"][1] > 1e3 * profile.delta["spe"][2]


def test_sweep_batch_equals_encoding_each_perturbed_graph():
    G, eps = nx.petersen_graph(), 1e-2
    result = stability.sweep(G, "add edge", seed=2, epsilons=[eps])
    S = stability.direction(G, "add edge", seed=2)
    G2 = nx.from_numpy_array(stability.adjacency(G) + eps * S)           # the new edge has weight eps
    for method in ("spe", "basisnet", "spe_heat"):
        direct = np.linalg.norm(spe.encode(G2, method, seed=2) - spe.encode(G, method, seed=2))
        assert direct == pytest.approx(result.delta_pe[method][0], rel=1e-6, abs=1e-12)


def test_directions():
    G = weighted_karate()
    S = stability.direction(G, "reweight", seed=0)
    assert np.allclose(S, S.T) and np.linalg.norm(S) == pytest.approx(1)
    assert np.all((S != 0) <= (stability.adjacency(G) > 0))              # only existing edges move
    remove = stability.direction(G, "remove edge", seed=0)
    assert np.count_nonzero(remove) == 2 and remove.min() < 0
    with pytest.raises(ValueError):
        stability.direction(nx.complete_graph(5), "add edge")


def test_networks_are_seeded_without_touching_the_global_rng():
    state = torch.random.get_rng_state()
    a, b, c = Encoders(3), Encoders(3), Encoders(4)
    assert torch.equal(torch.random.get_rng_state(), state)
    pa, pb, pc = (torch.cat([p.flatten() for p in e.parameters()]) for e in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


# ----------------------------------------------------------------------------- graph sources

def test_edge_list_parsing_and_errors():
    G = graphs.parse_edge_list(b"source,target,weight\na,b,2\nb,c,1.5\n# note\nc,a,1\n")
    assert G.number_of_edges() == 3 and G["a"]["b"]["weight"] == 2
    assert graphs.parse_edge_list(b"0 1\n1 2\n").number_of_edges() == 2
    bad = {b"": "no edges", b"0 1 2 3\n": "should be", b"0,1,-2\n": "positive", b"0,0\n": "self-loop",
           b"\xff\xfe\x00": "UTF-8", "\n".join(f"{i} {i + 1}" for i in range(80)).encode(): "limit"}
    for data, message in bad.items():
        with pytest.raises(graphs.GraphError, match=message):
            graphs.parse_edge_list(data)


def test_prepare_keeps_the_largest_component_and_checks_limits():
    G, notes = graphs.prepare(nx.disjoint_union(nx.cycle_graph(5), nx.path_graph(3)))
    assert G.number_of_nodes() == 5 and "disconnected" in notes[0]
    with pytest.raises(graphs.GraphError, match="limit"):
        graphs.prepare(nx.path_graph(graphs.MAX_NODES + 1))
    with pytest.raises(graphs.GraphError):
        graphs.prepare(nx.Graph())


def test_molecules_and_random_graphs():
    benzene = graphs.from_smiles("c1ccccc1")
    assert nx.is_isomorphic(benzene, nx.cycle_graph(6))
    for bad in ("", "C1CC", "not a molecule"):
        with pytest.raises(graphs.GraphError):
            graphs.from_smiles(bad)
    for model in graphs.RANDOM_MODELS:
        a, b = graphs.random_graph(model, 20, 4), graphs.random_graph(model, 20, 4)
        assert a.number_of_nodes() == 20 and set(a.edges) == set(b.edges)


# ----------------------------------------------------------------------------- cycle counting

def test_cycle_counts_per_node():
    K4 = nx.complete_graph(4)            # every node: 3 triangles, 3 four-cycles
    np.testing.assert_array_equal(counting.cycle_counts(K4), [[3, 3, 0, 0]] * 4)
    np.testing.assert_array_equal(counting.cycle_counts(nx.cycle_graph(5))[:, 2], [1] * 5)


def _graph_set(graphs):
    """A GraphSet of the given networkx graphs (same size), as counting.make_graphs builds them."""
    import networkx as nx
    f32 = lambda x: torch.as_tensor(np.array(x), dtype=torch.float32)  # noqa: E731
    adj = [nx.to_numpy_array(G) for G in graphs]
    eig = [np.linalg.eigh(nx.normalized_laplacian_matrix(G).toarray()) for G in graphs]
    n = graphs[0].number_of_nodes()
    return counting.GraphSet(f32(adj), f32([e[0] for e in eig]), f32([e[1] for e in eig]),
                             torch.ones(len(graphs), n), f32([counting.cycle_counts(G) for G in graphs]),
                             np.full(len(graphs), n))


def test_plain_gin_cannot_tell_regular_graphs_apart_but_the_pes_can():
    """K_{3,3} and the prism are both 3-regular on 6 nodes (1-WL equivalent) but only the prism has triangles:
    the no-PE counter must give identical outputs on both, SignNet and SPE must not."""
    import networkx as nx
    data = _graph_set([nx.complete_bipartite_graph(3, 3), nx.circular_ladder_graph(3)])
    assert data.counts[0, :, 0].sum() == 0 and data.counts[1, :, 0].sum() == 6  # 3-cycles: none vs 2 triangles
    inputs, _ = data.batch(np.arange(2))
    for pe in counting.PE_KINDS:
        model = counting.seeded(lambda: counting.CycleCounter(pe), 0, "cpu")
        with torch.no_grad():
            out = model(*inputs)
        differ = float((out[0] - out[1]).abs().max())
        if pe == "none":
            assert differ < 1e-5, "a GIN on constant features is at most 1-WL"
        else:
            assert differ > 1e-3, f"{pe} sees the spectrum, which differs"


def test_counting_models_learn_beyond_the_mean():
    """A few epochs must take every model's train error well below its start, and SPE's held-out error below
    the constant predictor (the training mean, MAE = mean |standardised count|)."""
    train_set, id_set = counting.make_graphs(64, (8, 12), seed=0), counting.make_graphs(32, (8, 12), seed=1)
    real = train_set.counts[train_set.mask.bool()]
    mean, std = real.mean(0), real.std(0).clamp_min(1e-6)
    constant = float(((id_set.counts[id_set.mask.bool()] - mean) / std).abs().mean())
    for pe in counting.PE_KINDS:
        result, _ = counting.train(pe, train_set, id_set, id_set, epochs=8, seed=0, batch_size=16)
        assert result.train_mae[-1] < 0.8 * result.train_mae[0], pe
        if pe == "spe":
            assert result.id_mae[-1] < 0.85 * constant, (result.id_mae[-1], constant)
