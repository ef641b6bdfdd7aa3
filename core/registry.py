"""The atlas: one entry per paper. It drives the navigation (app.py) and the home page's cards.

Adding a paper to the atlas = one entry here, then ``python scripts/new_paper.py <slug>`` writes the
skeleton (CONTRIBUTING.md). The slug names everything: ``core/<slug>/``, ``pages/<slug>.py``, the URL path,
the thumbnail. A paper's page is ``pages/<slug>.py`` once that file exists; until then the home page
lists the paper as "not yet in the atlas" (no link).
Facts (authors, venues, arXiv ids, repositories) come from ../shared/papers/<notes>.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Paper:
    slug: str            # names the URL path, core/<slug>/, pages/<slug>.py, the thumbnail: a Python identifier
    short: str           # navigation label
    title: str
    authors: str
    venue: str
    arxiv: str
    repo: str | None     # official code ("owner/name" on GitHub), None if the authors published none
    idea: str            # one sentence: the mechanism the page lets you play with
    icon: str            # material icon for the navigation (rendered from the bundled font, offline)
    repo_note: str = ""  # where the code lives when there is no official repository

    @property
    def page(self) -> str | None:
        """``pages/<slug>.py`` relative to the repo root, or None while that file does not exist."""
        page = f"pages/{self.slug}.py"
        return page if (ROOT / page).is_file() else None

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv}"

    @property
    def repo_url(self) -> str | None:
        return f"https://github.com/{self.repo}" if self.repo else None

    @property
    def thumbnail(self) -> Path:
        return ROOT / "assets" / "thumbnails" / f"{self.slug}.png"


PAPERS: tuple[Paper, ...] = (
    Paper("grokking", "Grokking: lazy to rich",
          "Grokking as the Transition from Lazy to Rich Training Dynamics",
          "Tanishq Kumar, Blake Bordelon, Samuel J. Gershman, Cengiz Pehlevan", "ICLR 2024", "2310.06110",
          None, "Test loss falls long after train loss when a lazy (kernel) network slowly starts "
          "learning features; the output scale alpha sets the delay.", ":material/trending_down:", repo_note="code released as an OpenReview supplementary notebook"),
    Paper("householder", "Householder projector",
          "Householder Projector for Unsupervised Latent Semantics Discovery",
          "Yue Song, Jichao Zhang, Nicu Sebe, Wei Wang", "ICCV 2023", "2307.08012",
          "KingJamesSong/HouseholderGAN", "An orthogonal low-rank style projection, built from Householder "
          "reflections, turns a StyleGAN's eigen-directions into disentangled edits.", ":material/flip:"),
    Paper("spe", "SPE: stable positional encodings",
          "On the Stability of Expressive Positional Encodings for Graphs",
          "Yinan Huang, William Lu, Joshua Robinson, Yu Yang, Muhan Zhang, Stefanie Jegelka, Pan Li",
          "ICLR 2024", "2310.02579", "Graph-COM/SPE", "Softly partitioning Laplacian eigenspaces by their "
          "eigenvalues makes graph positional encodings stable under small perturbations.", ":material/hub:"),
    Paper("eigentrajectory", "EigenTrajectory",
          "EigenTrajectory: Low-Rank Descriptors for Multi-Modal Trajectory Forecasting",
          "Inhwan Bae, Jean Oh, Hae-Gon Jeon", "ICCV 2023", "2307.09306", "InhwanBae/EigenTrajectory",
          "Pedestrian paths live in a low-rank SVD space where anchors cover the possible futures.",
          ":material/route:"),
    Paper("diffspectra", "DiffSpectra",
          "DiffSpectra: Molecular Structure Elucidation from Spectra using Diffusion Models",
          "Liang Wang, Yu Rong, Tingyang Xu, et al.", "arXiv 2025", "2507.06853", "AzureLeon1/DiffSpectra",
          "A spectrum-conditioned diffusion model generates the molecule instead of searching a library.",
          ":material/science:"),
    Paper("topcow", "TopCoW",
          "Benchmarking the CoW with the TopCoW Challenge: Topology-Aware Anatomical Segmentation of the "
          "Circle of Willis for CTA and MRA", "Kaiyuan Yang et al.", "arXiv 2023", "2312.17670",
          "CoWBenchmark/TopCoW_Eval_Metrics", "Segmenting the 13 Circle-of-Willis vessels, judged by "
          "topology-aware metrics as well as Dice.", ":material/neurology:"),
    Paper("eigencam", "Eigen-CAM", "Eigen-CAM: Class Activation Map using Principal Components",
          "Mohammed Bany Muhammad, Mohammed Yeasin", "IJCNN 2020", "2008.00299", None,
          "A saliency map from the first principal component of a conv layer's activations: no gradients.",
          ":material/visibility:", repo_note="reference implementation: jacobgil/pytorch-grad-cam"),
    Paper("farms", "FARMS", "Eigenspectrum Analysis of Neural Networks without Aspect Ratio Bias",
          "Yuanzhe Hu, Kinshuk Goel, Vlad Killiakov, Yaoqing Yang", "ICML 2025", "2506.06280",
          "HUST-AI-HYZ/FARMS", "Subsampling weight matrices at a fixed aspect ratio removes the "
          "Marchenko-Pastur bias from heavy-tail spectral metrics.", ":material/bar_chart:"),
    Paper("lightsb", "Light Schrödinger Bridge", "Light Schrödinger Bridge",
          "Alexander Korotin, Nikita Gushchin, Evgeny Burnaev", "ICLR 2024", "2310.01174",
          "ngushchin/LightSB", "A Gaussian-mixture Schrödinger potential gives a simulation-free "
          "bridge solver that trains in minutes on a CPU.", ":material/alt_route:"),
    Paper("ebv", "Equiangular basis vectors", "Equiangular Basis Vectors",
          "Yang Shen, Xuhao Sun, Xiu-Shen Wei", "CVPR 2023", "2303.11637", "aassxun/Equiangular-Basis-Vectors",
          "Fixed, nearly orthogonal unit vectors replace the trained classifier layer.", ":material/explore:"),
    Paper("bootstrap_amg", "Bootstrap AMG clustering", "Extending Bootstrap AMG for Clustering of Attributed Graphs",
          "Pasqua D'Ambra, Panayot S. Vassilevski, Luisa Cutillo", "Appl. Math. Comput. 2023", "2109.09367",
          "bootcmatch/BCMatch4Graphs", "Algebraically smooth vectors from a multigrid setup replace "
          "Laplacian eigenvectors to cluster attribute-augmented graphs.", ":material/scatter_plot:"),
    Paper("rkhs", "RKHS view of SSL",
          "Understanding Augmentation-based Self-Supervised Representation Learning via RKHS "
          "Approximation and Regression", "Runtian Zhai, Bingbin Liu, Andrej Risteski, J. Zico Kolter, "
          "Pradeep Ravikumar", "ICLR 2024", "2306.00788", None, "Augmentation defines a kernel; "
          "pretraining learns its top eigenspace and a linear probe does RKHS regression on it.",
          ":material/blur_on:"),
)


def by_slug(slug: str) -> Paper:
    for paper in PAPERS:
        if paper.slug == slug:
            return paper
    raise KeyError(slug)


def built() -> list[Paper]:
    """Papers whose page exists."""
    return [p for p in PAPERS if p.page]
