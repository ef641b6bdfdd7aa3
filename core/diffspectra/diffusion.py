"""DiffSpectra's idea at teaching scale: a spectrum-conditioned diffusion model that *generates* the graph.

The paper (arXiv 2507.06853, Sec. 3) diffuses 2D+3D molecules continuously (JODO's VP-SDE) with a
40M-parameter equivariant transformer, conditioned on SpecFormer, a PatchTST-style spectrum encoder
whose embedding is added to the noise-level embedding. Here, on a CPU:
  * discrete diffusion over heavy-atom graphs (DiGress, Vignac et al. 2023): marginal transition
    matrices Q_t = a_t I + (1 - a_t) 1 m^T, cosine schedule, T = 50 steps, x0-prediction with a
    cross-entropy loss (edges weighted x5), ancestral sampling through q(x_{t-1} | x_t, x0);
  * a dense graph transformer (DiGress's edge-modulated attention, FiLM by the condition);
  * a SpecFormer-lite: patches of the IR spectrum -> transformer -> flatten head (the paper's layout);
  * condition = spectrum embedding + step embedding (+ formula embedding when the formula is known),
    summed as the paper sums SpecFormer's output with the noise-level embedding. Formula dropout in
    training makes one model serve both "spectrum only" and "spectrum + formula".
Version 2 of the generator (``GraphDenoiser(tower=True)``, issue 20) adds two of the paper's levers:
  * a contrastively pre-trained spectrum encoder: the spectrum tower of the CLIP-style retriever
    (library.Retriever, InfoNCE against Morgan fingerprints on the training split), fine-tuned here, as
    DiffSpectra fine-tunes the SpecFormer that MolSpectra pre-trained contrastively;
  * classifier-free guidance on the spectrum (Ho & Salimans 2022; not in DiffSpectra): in training the
    spectrum is replaced by the null spectrum (all zeros) with probability ``p_uncond``; at sampling the
    x0 logits are l_null + w (l_spectrum - l_null), so w = 0 ignores the spectrum and w > 1 pushes harder.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .graphs import ATOM_CLASSES, BOND_CLASSES
from .simulator import GRID

N_ATOM, N_BOND = len(ATOM_CLASSES), len(BOND_CLASSES)
STEPS = 50
FORMULA_ELEMENTS = ("C", "N", "O", "F", "H")
FORMULA_SCALE = torch.tensor([9.0, 5.0, 5.0, 6.0, 20.0])


# ----------------------------------------------------------------------------- noise schedule

def alpha_bar(steps: int = STEPS) -> torch.Tensor:
    """Cosine schedule (Nichol & Dhariwal), abar[0] = 1 ... abar[T] ~ 0: the kept fraction at step t."""
    s = 0.008
    t = torch.linspace(0, 1, steps + 1, dtype=torch.float64)
    f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
    return (f / f[0]).clamp(min=1e-5).float()


def noisy_probs(x0_onehot: torch.Tensor, abar_t: torch.Tensor, marginal: torch.Tensor) -> torch.Tensor:
    """q(x_t | x_0) = abar_t x0 + (1 - abar_t) m (marginal transitions, DiGress eq. 4)."""
    return abar_t * x0_onehot + (1 - abar_t) * marginal


def posterior(x_t: torch.Tensor, p_x0: torch.Tensor, abar_t, abar_s, marginal) -> torch.Tensor:
    """p(x_s | x_t) = sum_x0 p(x0 | x_t) q(x_s | x_t, x0), s = t - 1, per element, normalised.

    With marginal transitions it factorises: (a x_t + (1 - a) m[x_t]) * (abar_s p + (1 - abar_s) m).
    """
    a = abar_t / abar_s
    m_xt = (x_t * marginal).sum(-1, keepdim=True)
    likelihood = a * x_t + (1 - a) * m_xt                       # q(x_t | x_s = j) for every j
    prior = abar_s * p_x0 + (1 - abar_s) * marginal              # q(x_s = j | x0) averaged over p(x0)
    post = likelihood * prior
    return post / post.sum(-1, keepdim=True).clamp(min=1e-12)


def symmetric_sample(probs: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    """Sample edge classes from (B, n, n, K) probabilities on the upper triangle and mirror them."""
    b, n, _, k = probs.shape
    flat = torch.multinomial(probs.reshape(-1, k), 1, generator=gen).reshape(b, n, n)
    upper = torch.triu(flat, diagonal=1)
    return upper + upper.transpose(1, 2)


# ----------------------------------------------------------------------------- spectrum encoder

class SpecFormerLite(nn.Module):
    """Patch the spectrum (PatchTST / SpecFormer), encode the patches, flatten to one vector."""

    def __init__(self, n_bins: int = GRID.size, patch: int = 16, stride: int = 8, width: int = 64,
                 layers: int = 2, out: int = 64):
        super().__init__()
        self.patch, self.stride = patch, stride
        n_patches = (n_bins - patch) // stride + 1
        self.embed = nn.Linear(patch, width)
        self.position = nn.Parameter(0.02 * torch.randn(n_patches, width))
        layer = nn.TransformerEncoderLayer(width, 4, 2 * width, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(n_patches * width, out), nn.LayerNorm(out))

    def forward(self, spectrum: torch.Tensor) -> torch.Tensor:
        patches = spectrum.unfold(-1, self.patch, self.stride)           # (B, n_patches, patch)
        return self.head(self.encoder(self.embed(patches) + self.position))


# ----------------------------------------------------------------------------- graph transformer

class FiLM(nn.Module):
    """Scale and shift features by the condition vector (zero-initialised: starts as identity)."""

    def __init__(self, cond: int, dim: int):
        super().__init__()
        self.proj = nn.Linear(cond, 2 * dim)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, h: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        scale, shift = self.proj(y).chunk(2, -1)
        shape = (y.shape[0],) + (1,) * (h.dim() - 2) + (h.shape[-1],)
        return h * (1 + scale.reshape(shape)) + shift.reshape(shape)


class GraphTransformerLayer(nn.Module):
    """DiGress's layer: attention scores modulated by edge features, which they update in turn."""

    def __init__(self, dn: int, de: int, cond: int, heads: int = 4):
        super().__init__()
        self.heads, self.df = heads, dn // heads
        self.qkv = nn.Linear(dn, 3 * dn)
        self.e_mul, self.e_add = nn.Linear(de, dn), nn.Linear(de, dn)
        self.e_out, self.x_out = nn.Linear(dn, de), nn.Linear(dn, dn)
        self.film_x, self.film_e = FiLM(cond, dn), FiLM(cond, de)
        self.norm_x1, self.norm_x2 = nn.LayerNorm(dn), nn.LayerNorm(dn)
        self.norm_e1, self.norm_e2 = nn.LayerNorm(de), nn.LayerNorm(de)
        self.ff_x = nn.Sequential(nn.Linear(dn, 2 * dn), nn.GELU(), nn.Linear(2 * dn, dn))
        self.ff_e = nn.Sequential(nn.Linear(de, 2 * de), nn.GELU(), nn.Linear(2 * de, de))

    def forward(self, x, e, y):
        b, n, dn = x.shape
        q, k, v = self.qkv(x).chunk(3, -1)
        scores = q[:, :, None, :] * k[:, None, :, :] / math.sqrt(self.df)     # (B, n, n, dn), per channel
        scores = scores * (1 + self.e_mul(e)) + self.e_add(e)
        e = self.norm_e1(e + self.film_e(self.e_out(scores), y))
        attn = scores.reshape(b, n, n, self.heads, self.df).softmax(dim=2)
        mixed = (attn * v.reshape(b, 1, n, self.heads, self.df)).sum(2).reshape(b, n, dn)
        x = self.norm_x1(x + self.film_x(self.x_out(mixed), y))
        return self.norm_x2(x + self.ff_x(x)), self.norm_e2(e + self.ff_e(e))


class SpectrumTower(nn.Module):
    """The retriever's spectrum MLP (same layout as library.Retriever.spectrum, so its contrastively
    pre-trained weights load directly), projected to the condition width."""

    def __init__(self, n_bins: int = GRID.size, hidden: int = 128, dim: int = 128, out: int = 64):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(n_bins, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, dim))
        self.proj = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, out))

    def forward(self, spectrum: torch.Tensor) -> torch.Tensor:
        return self.proj(self.mlp(spectrum))


class GraphDenoiser(nn.Module):
    """p(x0 | x_t, spectrum, formula, t): atom and bond logits of the clean graph."""

    def __init__(self, dn: int = 64, de: int = 32, cond: int = 64, layers: int = 4, tower: bool = False):
        super().__init__()
        self.config = dict(dn=dn, de=de, cond=cond, layers=layers, tower=tower)
        self.spectrum_patches = SpecFormerLite(out=cond)
        self.tower = SpectrumTower(out=cond) if tower else None
        self.step = nn.Sequential(nn.Linear(1, cond), nn.SiLU(), nn.Linear(cond, cond))
        self.formula = nn.Sequential(nn.Linear(len(FORMULA_ELEMENTS) + 1, cond), nn.SiLU(), nn.Linear(cond, cond))
        self.atom_in, self.bond_in = nn.Linear(N_ATOM, dn), nn.Linear(N_BOND, de)
        self.layers = nn.ModuleList(GraphTransformerLayer(dn, de, cond) for _ in range(layers))
        self.atom_out = nn.Sequential(nn.Linear(dn, dn), nn.GELU(), nn.Linear(dn, N_ATOM))
        self.bond_out = nn.Sequential(nn.Linear(de, de), nn.GELU(), nn.Linear(de, N_BOND))

    def spectrum(self, spectrum: torch.Tensor) -> torch.Tensor:
        """Spectrum embedding: SpecFormer-lite patches (+ the pre-trained tower in version 2)."""
        emb = self.spectrum_patches(spectrum)
        return emb if self.tower is None else emb + self.tower(spectrum)

    def condition(self, spectrum, formula, t_frac):
        """The paper's conditioning: spectrum embedding added to the noise-level embedding."""
        return self.spectrum(spectrum) + self.step(t_frac[:, None]) + self.formula(formula)

    def forward(self, atoms_t, bonds_t, y):
        x = self.atom_in(F.one_hot(atoms_t, N_ATOM).float())
        e = self.bond_in(F.one_hot(bonds_t, N_BOND).float())
        for layer in self.layers:
            x, e = layer(x, e, y)
        bond_logits = self.bond_out(e)
        return self.atom_out(x), 0.5 * (bond_logits + bond_logits.transpose(1, 2))


def formula_vector(counts: dict | None, batch: int = 1) -> torch.Tensor:
    """(batch, 6): scaled element counts plus a 'formula known' flag; zeros when unknown."""
    if counts is None:
        return torch.zeros(batch, len(FORMULA_ELEMENTS) + 1)
    values = torch.tensor([float(counts.get(e, 0)) for e in FORMULA_ELEMENTS]) / FORMULA_SCALE
    return torch.cat([values, torch.ones(1)]).expand(batch, -1).clone()


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ----------------------------------------------------------------------------- training loss

def null_spectrum(like: torch.Tensor) -> torch.Tensor:
    """The uninformative spectrum: all zeros (the unconditional branch of classifier-free guidance)."""
    return torch.zeros_like(like)


def diffusion_loss(model: GraphDenoiser, atoms0, bonds0, spectrum, formula, marginals,
                   gen: torch.Generator | None = None, bond_weight: float = 5.0, p_uncond: float = 0.0,
                   reduce: bool = True) -> torch.Tensor:
    """Noise a clean batch to a random step t, predict x0, cross-entropy (DiGress's training loss).

    Where the formula is known its heavy atoms are given clean (the sampler clamps them), so the
    model learns to generate bonds for a fixed atom set; elsewhere atoms and bonds are both noised.
    With ``p_uncond`` > 0 that fraction of the batch sees the null spectrum (classifier-free guidance).
    ``reduce=False`` returns one loss per molecule (for validation: true against null spectrum).
    """
    abar = alpha_bar().to(atoms0.device)
    b, n = atoms0.shape
    if p_uncond > 0:
        drop = torch.rand(b, 1, generator=gen, device=atoms0.device) < p_uncond
        spectrum = torch.where(drop, null_spectrum(spectrum), spectrum)
    t = torch.randint(1, STEPS + 1, (b,), generator=gen, device=atoms0.device)
    a_t = abar[t]
    atom_probs = noisy_probs(F.one_hot(atoms0, N_ATOM).float(), a_t[:, None, None], marginals[0])
    bond_probs = noisy_probs(F.one_hot(bonds0, N_BOND).float(), a_t[:, None, None, None], marginals[1])
    atoms_t = torch.multinomial(atom_probs.reshape(-1, N_ATOM), 1, generator=gen).reshape(b, n)
    known = formula[:, -1:] > 0            # formula known -> atoms clamped, as the sampler inpaints them
    atoms_t = torch.where(known, atoms0, atoms_t)
    bonds_t = symmetric_sample(bond_probs, gen)
    y = model.condition(spectrum, formula, t.float() / STEPS)
    atom_logits, bond_logits = model(atoms_t, bonds_t, y)
    upper = torch.triu(torch.ones(n, n, dtype=torch.bool, device=atoms0.device), diagonal=1)
    if not reduce:
        atom_loss = F.cross_entropy(atom_logits.transpose(1, 2), atoms0, reduction="none").mean(1)
        bond_loss = F.cross_entropy(bond_logits[:, upper].transpose(1, 2), bonds0[:, upper], reduction="none").mean(1)
        return atom_loss + bond_weight * bond_loss
    atom_loss = F.cross_entropy(atom_logits.reshape(-1, N_ATOM), atoms0.reshape(-1))
    bond_loss = F.cross_entropy(bond_logits[:, upper].reshape(-1, N_BOND), bonds0[:, upper].reshape(-1))
    return atom_loss + bond_weight * bond_loss


# ----------------------------------------------------------------------------- sampling

def step_schedule(steps: int = STEPS) -> list[int]:
    """The reverse chain's time points, T ... 0; fewer than STEPS skips steps evenly (the posterior
    below holds for any s < t, so a model trained on 50 steps can be sampled with 25)."""
    steps = max(1, min(int(steps), STEPS))
    return sorted({round(STEPS * i / steps) for i in range(steps + 1)}, reverse=True)


@torch.no_grad()
def sample_many(model: GraphDenoiser, spectra: torch.Tensor, formulas: torch.Tensor, marginals,
                fixed_atoms: torch.Tensor | None = None, n_nodes: int = 9, temperature: float = 1.0,
                guidance: float = 1.0, steps: int = STEPS, gen: torch.Generator | None = None,
                trajectory_every: int = 0, progress=None):
    """Ancestral sampling of one graph per row of ``spectra`` (B, bins) / ``formulas`` (B, 6).

    ``temperature`` divides the x0 logits (lower = greedier denoiser; the reverse chain stays stochastic).
    ``guidance`` w mixes the x0 logits with those under the null spectrum: l_null + w (l - l_null)
    (w = 1: plain conditional sampling, one network call per step; otherwise two).
    ``fixed_atoms`` (B, n_nodes) clamps the atom types at every step (inpainting: the formula fixes them)
    so only the bonds are generated. Returns (atoms, bonds, trajectory, last bond probabilities).
    """
    device = spectra.device
    abar = alpha_bar().to(device)
    m_atom, m_bond = marginals
    b = spectra.shape[0]
    atoms = torch.multinomial(m_atom.expand(b * n_nodes, -1), 1, generator=gen).reshape(b, n_nodes)
    if fixed_atoms is not None:
        atoms = fixed_atoms.clone()
    bonds = symmetric_sample(m_bond.expand(b, n_nodes, n_nodes, -1), gen)
    spec_emb = model.spectrum(spectra)
    guided = guidance != 1.0
    null_emb = model.spectrum(null_spectrum(spectra[:1])).expand(b, -1) if guided else None
    form_emb = model.formula(formulas)
    times = step_schedule(steps)
    trajectory = []
    for i, (t, s) in enumerate(zip(times[:-1], times[1:])):
        if trajectory_every and (t % trajectory_every == 0 or t == STEPS):
            trajectory.append((t, atoms.clone(), bonds.clone()))
        step_emb = model.step(torch.full((b, 1), t / STEPS, device=device))
        atom_logits, bond_logits = model(atoms, bonds, spec_emb + step_emb + form_emb)
        if guided:
            null_atoms, null_bonds = model(atoms, bonds, null_emb + step_emb + form_emb)
            atom_logits = null_atoms + guidance * (atom_logits - null_atoms)
            bond_logits = null_bonds + guidance * (bond_logits - null_bonds)
        t_ = max(temperature, 1e-3)
        p_atom, p_bond = (atom_logits / t_).softmax(-1), (bond_logits / t_).softmax(-1)
        atoms = torch.multinomial(posterior(F.one_hot(atoms, N_ATOM).float(), p_atom, abar[t], abar[s], m_atom)
                                  .reshape(-1, N_ATOM), 1, generator=gen).reshape(b, n_nodes)
        if fixed_atoms is not None:
            atoms = fixed_atoms.clone()
        bonds = symmetric_sample(posterior(F.one_hot(bonds, N_BOND).float(), p_bond, abar[t], abar[s], m_bond), gen)
        if progress is not None:
            progress((i + 1) / (len(times) - 1))
    if trajectory_every:
        trajectory.append((0, atoms.clone(), bonds.clone()))
    return atoms, bonds, trajectory, p_bond


def sample(model: GraphDenoiser, spectrum: torch.Tensor, formula: torch.Tensor, marginals, n_samples: int,
           n_nodes: int = 9, temperature: float = 1.0, gen: torch.Generator | None = None,
           trajectory_every: int = 0, progress=None, fixed_atoms: torch.Tensor | None = None,
           guidance: float = 1.0, steps: int = STEPS):
    """``n_samples`` graphs for one query (spectrum (1, bins), formula (1, 6), fixed_atoms (n_nodes,)),
    see ``sample_many``; returns (atoms, bonds, trajectory, last bond probabilities)."""
    fixed = fixed_atoms.expand(n_samples, -1) if fixed_atoms is not None else None
    return sample_many(model, spectrum.expand(n_samples, -1), formula.expand(n_samples, -1), marginals, fixed,
                       n_nodes, temperature, guidance, steps, gen, trajectory_every, progress)
