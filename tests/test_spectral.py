"""Tests for core/spectral.py against numpy/scipy, closed forms and invariants."""
import networkx as nx
import numpy as np
import pytest
import scipy.linalg
import torch

from core.spectral import (eigengap, householder_product, laplacian, low_rank, sym_eigh,
                           truncated_svd)


def rng(seed=0):
    return np.random.default_rng(seed)


def random_sym(n, seed=0):
    X = rng(seed).standard_normal((n, n))
    return X + X.T


def largest_entry_positive(M):
    """True when every column's first largest-|.| entry is positive."""
    rows = np.argmax(np.abs(M), axis=0)
    return bool(np.all(M[rows, np.arange(M.shape[1])] > 0))


# ---------------------------------------------------------------- sym_eigh

def test_sym_eigh_reconstructs_and_matches_eigvalsh():
    A = random_sym(7)
    evals, evecs = sym_eigh(A)
    np.testing.assert_allclose(evals, np.linalg.eigvalsh(A), atol=1e-12)
    assert np.all(np.diff(evals) >= 0)
    np.testing.assert_allclose(evecs @ np.diag(evals) @ evecs.T, A, atol=1e-12)
    np.testing.assert_allclose(evecs.T @ evecs, np.eye(7), atol=1e-12)


def test_sym_eigh_sign_convention_and_stability():
    n = 6
    Q, _ = np.linalg.qr(rng(1).standard_normal((n, n)))
    lam = np.arange(1.0, n + 1)  # distinct, so each eigenvector is unique up to sign
    flips = np.array([1, -1, -1, 1, -1, 1.0])
    A1 = Q @ np.diag(lam) @ Q.T
    A2 = (Q * flips) @ np.diag(lam) @ (Q * flips).T  # same matrix, built from flipped vectors
    e1, V1 = sym_eigh(A1)
    e2, V2 = sym_eigh(A2)
    assert largest_entry_positive(V1) and largest_entry_positive(V2)
    np.testing.assert_allclose(e1, lam, atol=1e-12)
    np.testing.assert_allclose(V1, V2, atol=1e-10)
    # and the output is Q itself with canonical signs
    s = np.sign(Q[np.argmax(np.abs(Q), axis=0), np.arange(n)])
    np.testing.assert_allclose(V1, Q * s, atol=1e-10)


def test_sym_eigh_tie_uses_first_index():
    # eigenvector (1, -1)/sqrt2 has a tie in |.|; the first entry must come out positive
    _, V = sym_eigh(np.array([[1.0, 1.0], [1.0, 1.0]]))
    assert V[0, 0] > 0 and V[0, 1] > 0
    np.testing.assert_allclose(np.abs(V), np.full((2, 2), 2 ** -0.5), atol=1e-12)


def test_sym_eigh_symmetrises_roundoff():
    A = random_sym(5)
    A_noisy = A + 1e-14 * np.triu(np.ones((5, 5)), 1)
    np.testing.assert_allclose(sym_eigh(A_noisy)[0], np.linalg.eigvalsh(A), atol=1e-12)


@pytest.mark.parametrize("bad", [np.ones((2, 3)), np.ones(3), np.array([[1.0, np.nan], [np.nan, 1.0]]),
                                 np.array([[np.inf, 0.0], [0.0, 1.0]])])
def test_sym_eigh_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        sym_eigh(bad)


# ---------------------------------------------------------------- laplacian

def test_weighted_laplacian_equals_hand_built():
    G = nx.Graph()
    G.add_edge(0, 1, weight=2.0)
    G.add_edge(1, 2, weight=0.5)
    G.add_edge(0, 2)  # no weight attribute -> 1
    G.add_edge(2, 3, weight=3.0)
    A = np.zeros((4, 4))
    for i, j, w in [(0, 1, 2.0), (1, 2, 0.5), (0, 2, 1.0), (2, 3, 3.0)]:
        A[i, j] = A[j, i] = w
    np.testing.assert_allclose(laplacian(G), np.diag(A.sum(1)) - A, atol=1e-14)
    # weight=None ignores weights
    B = (A > 0).astype(float)
    np.testing.assert_allclose(laplacian(G, weight=None), np.diag(B.sum(1)) - B, atol=1e-14)
    # sym = D^-1/2 (D - A) D^-1/2
    dh = np.diag(A.sum(1) ** -0.5)
    np.testing.assert_allclose(laplacian(G, kind="sym"), np.eye(4) - dh @ A @ dh, atol=1e-14)


def test_laplacian_nodelist_orders_rows():
    G = nx.path_graph(3)
    L = laplacian(G, nodelist=[2, 1, 0])
    np.testing.assert_allclose(L, laplacian(G)[::-1, ::-1])


def test_sym_laplacian_spectrum_in_0_2():
    G = nx.gnp_random_graph(12, 0.4, seed=3)
    for u, v in G.edges:
        G.edges[u, v]["weight"] = 0.1 + (u * 7 + v) % 5
    evals = np.linalg.eigvalsh(laplacian(G, kind="sym"))
    assert evals.min() >= -1e-12 and evals.max() <= 2 + 1e-12
    # bipartite graphs reach 2 exactly
    evals_even_cycle = np.linalg.eigvalsh(laplacian(nx.cycle_graph(6), kind="sym"))
    assert abs(evals_even_cycle.max() - 2) < 1e-12


@pytest.mark.parametrize("n", [3, 5, 8])
def test_cycle_laplacian_closed_form(n):
    evals, _ = sym_eigh(laplacian(nx.cycle_graph(n)))
    expected = np.sort(2 - 2 * np.cos(2 * np.pi * np.arange(n) / n))
    np.testing.assert_allclose(evals, expected, atol=1e-12)


def test_path_with_isolated_node():
    G = nx.path_graph(3)
    G.add_node(3)  # isolated
    L = laplacian(G)
    np.testing.assert_allclose(L, [[1, -1, 0, 0], [-1, 2, -1, 0], [0, -1, 1, 0], [0, 0, 0, 0]])
    Ls = laplacian(G, kind="sym")
    assert np.all(Ls[3] == 0) and np.all(Ls[:, 3] == 0)  # networkx: isolated -> diagonal 0
    r = 2 ** -0.5
    np.testing.assert_allclose(Ls[:3, :3], [[1, -r, 0], [-r, 1, -r], [0, -r, 1]], atol=1e-14)
    # two components (the path and the lone node) -> two zero eigenvalues of L
    assert np.sum(np.abs(np.linalg.eigvalsh(L)) < 1e-12) == 2


def test_empty_graph_and_bad_kind_raise():
    with pytest.raises(ValueError, match="empty"):
        laplacian(nx.Graph())
    with pytest.raises(ValueError, match="kind"):
        laplacian(nx.path_graph(3), kind="random-walk")


# ---------------------------------------------------------------- SVD

def test_truncated_svd_matches_numpy():
    X = rng(4).standard_normal((9, 6))
    _, s_full, _ = np.linalg.svd(X)
    for k in (1, 3, 6):
        U, s, Vt = truncated_svd(X, k)
        assert U.shape == (9, k) and s.shape == (k,) and Vt.shape == (k, 6)
        np.testing.assert_allclose(s, s_full[:k], atol=1e-12)
        assert np.all(np.diff(s) <= 0)
        assert largest_entry_positive(U)
        np.testing.assert_allclose(U.T @ U, np.eye(k), atol=1e-12)
        np.testing.assert_allclose(Vt @ Vt.T, np.eye(k), atol=1e-12)
        np.testing.assert_allclose(X @ Vt.T, U * s, atol=1e-12)  # sign flips stay paired
    U, s, Vt = truncated_svd(X, 6)
    np.testing.assert_allclose((U * s) @ Vt, X, atol=1e-12)


def test_truncated_svd_sign_stable_under_negation():
    X = rng(5).standard_normal((5, 4))
    U1, s1, V1 = truncated_svd(X, 3)
    U2, s2, V2 = truncated_svd(-X, 3)
    # -X = U (-Vt): canonical U is the same, so the sign moves onto V
    np.testing.assert_allclose(U1, U2, atol=1e-12)
    np.testing.assert_allclose(V1, -V2, atol=1e-12)


@pytest.mark.parametrize("k", [0, 5, -1])
def test_truncated_svd_rejects_bad_k(k):
    with pytest.raises(ValueError):
        truncated_svd(np.ones((4, 5)), k)


def test_low_rank_eckart_young():
    X = rng(6).standard_normal((10, 7))
    s_full = np.linalg.svd(X, compute_uv=False)
    for k in range(1, 8):
        Xk = low_rank(X, k)
        assert np.linalg.matrix_rank(Xk) == k
        np.testing.assert_allclose(np.linalg.norm(X - Xk), np.sqrt(np.sum(s_full[k:] ** 2)), atol=1e-12)
        if k < 7:  # spectral-norm error is the first dropped singular value
            np.testing.assert_allclose(np.linalg.norm(X - Xk, 2), s_full[k], atol=1e-12)


# ---------------------------------------------------------------- Householder

def H(v):
    return np.eye(len(v)) - 2 * np.outer(v, v) / (v @ v)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_householder_product_numpy(k):
    n = 6
    V = rng(k).standard_normal((n, k))
    Q = householder_product(V)
    assert isinstance(Q, np.ndarray) and Q.shape == (n, n) and Q.dtype == np.float64
    np.testing.assert_allclose(Q.T @ Q, np.eye(n), atol=1e-12)
    assert np.isclose(np.linalg.det(Q), (-1) ** k)
    explicit = np.linalg.multi_dot([H(V[:, j]) for j in range(k)] + [np.eye(n)])
    np.testing.assert_allclose(Q, explicit, atol=1e-12)


def test_householder_single_reflector_geometry():
    v = np.array([1.0, 2.0, -2.0, 0.5])
    Q = householder_product(v[:, None])
    np.testing.assert_allclose(Q @ v, -v, atol=1e-14)
    w = scipy.linalg.null_space(v[None, :])  # basis of v's orthogonal complement
    np.testing.assert_allclose(Q @ w, w, atol=1e-14)
    np.testing.assert_allclose(Q, Q.T, atol=1e-14)  # a reflection is symmetric ...
    np.testing.assert_allclose(Q @ Q, np.eye(4), atol=1e-14)  # ... and its own inverse


def test_householder_product_scale_invariant_and_int_input():
    V = rng(7).standard_normal((5, 3))
    np.testing.assert_allclose(householder_product(V * [3.0, -0.1, 10.0]), householder_product(V), atol=1e-12)
    Q = householder_product(np.array([[1], [1]]))  # ints promote to float
    np.testing.assert_allclose(Q, [[0.0, -1.0], [-1.0, 0.0]], atol=1e-15)


def test_householder_product_torch_matches_numpy_and_differentiates():
    V_np = rng(8).standard_normal((7, 4))
    V = torch.tensor(V_np, dtype=torch.float64, requires_grad=True)
    Q = householder_product(V)
    assert isinstance(Q, torch.Tensor) and Q.dtype == torch.float64 and Q.device == V.device
    np.testing.assert_allclose(Q.detach().numpy(), householder_product(V_np), atol=1e-12)
    torch.testing.assert_close(Q.T @ Q, torch.eye(7, dtype=torch.float64), atol=1e-12, rtol=0)
    target = torch.tensor(rng(9).standard_normal((7, 7)))
    ((Q - target) ** 2).sum().backward()
    assert V.grad is not None and V.grad.shape == V.shape
    assert torch.isfinite(V.grad).all() and V.grad.abs().sum() > 0


def test_householder_product_torch_gradcheck_and_float32():
    V = torch.randn(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0),
                    requires_grad=True)
    assert torch.autograd.gradcheck(householder_product, (V,))
    Q32 = householder_product(V.detach().float())
    assert Q32.dtype == torch.float32
    torch.testing.assert_close(Q32.T @ Q32, torch.eye(4), atol=1e-5, rtol=0)


@pytest.mark.parametrize("V", [np.array([[1.0, 0.0], [2.0, 0.0]]), torch.zeros(3, 1), np.ones(3),
                               torch.ones(3, 2, dtype=torch.int64)])
def test_householder_product_rejects_bad_input(V):
    with pytest.raises(ValueError):
        householder_product(V)


# ---------------------------------------------------------------- eigengap

def test_eigengap_values():
    evals = np.array([0.0, 0.0, 0.5, 2.0, 2.0])
    assert eigengap(evals, 1) == 0.0
    assert eigengap(evals, 2) == 0.5
    assert eigengap(evals, 3) == 1.5
    assert eigengap(evals, 4) == 0.0
    # on C_6 the first gap is lambda_2 - lambda_1 = 2 - 2cos(2pi/6) = 1
    evals_c6, _ = sym_eigh(laplacian(nx.cycle_graph(6)))
    assert np.isclose(eigengap(evals_c6, 1), 1.0)


@pytest.mark.parametrize("d", [0, 5, -1])
def test_eigengap_rejects_out_of_range(d):
    with pytest.raises(ValueError):
        eigengap([0.0, 1.0, 2.0, 3.0, 4.0], d)
