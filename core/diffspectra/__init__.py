"""Spectrum -> molecule, after DiffSpectra (Wang et al., arXiv 2507.06853), at teaching scale.

The paper generates QM9S molecules (2D graph + 3D coordinates) from DFT UV/IR/Raman spectra with a
JODO-style diffusion model conditioned on SpecFormer (Sec. 3.2-3.4), and reports exact-match Acc@K
(Sec. 4). This package rebuilds the task end to end on a CPU:

* ``chem``        the molecule universe (5k real C/H/N/O/F molecules, <= 9 heavy atoms) and the one
                  exact-match criterion (first InChIKey block = constitution);
* ``simulator``   the forward model: MMFF94 harmonic IR (finite-difference Hessian, partial-charge dipoles);
* ``measurement`` how a query differs from the library (conformer, frequency scale, width, jitter, noise);
* ``library``     baselines: cosine library search and a CLIP-style contrastive retriever;
* ``diffusion``   the paper's idea: a spectrum-conditioned discrete graph diffusion model (DiGress-style
                  dense graph transformer + a SpecFormer-lite patch encoder);
* ``formula_head`` spectrum -> formula proposals, for generation without a formula (version 2);
* ``generator``   sampling (with classifier-free guidance on the spectrum), decoding and generate-and-verify
                  re-ranking by the simulator;
* ``evaluate``    Acc@K, validity, uniqueness and Tanimoto on the held-out split;
* ``ablation``    the controls that measure whether the spectrum does the work (null, shuffled, random).

Core API: ``simulate_ir(smiles, seed=0)``, ``library_search(spectrum, k, formula=None)``,
``elucidate(spectrum, k, formula=None, seed=0)``.
"""
from .generator import elucidate
from .library import library_search
from .simulator import simulate_ir

__all__ = ["simulate_ir", "library_search", "elucidate"]
