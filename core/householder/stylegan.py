"""A small StyleGAN2 (Karras et al., CVPR 2020) in rosinality/stylegan2-pytorch's layout, for the Householder page.

The Householder Projector (Song et al., ICCV 2023) and its baseline SeFa (Shen & Zhou, CVPR 2021) both act
on the style affine of each modulated convolution, ``s = A w + b`` (StyleGAN2 Sec. 2.2, eq. 1-3: modulate
the 3x3 weights by s, then demodulate by their norm). This module implements

* the generator: mapping MLP (PixelNorm + equalised-lr linears), a learned 4x4 constant, per-resolution
  blocks of an upsampling StyledConv and a StyledConv (modulated + demodulated 3x3 convs, noise,
  fused leaky ReLU), and ToRGB skips with FIR upsampling. Parameter names and maths follow
  rosinality's ``model.py`` exactly, so a rosinality ``g_ema`` state dict loads into ``Generator``;
* a compact residual discriminator with minibatch-std (not rosinality's: only our training uses it);
* the StyleGAN2 losses: non-saturating logistic G loss, logistic D loss with lazy R1 (Sec. 3.1 / B);
* ``train_step``: one D step + one G step with EMA, shared by the training script, the Householder
  fine-tune and the page's live fine-tune;
* ``load_checkpoint(path)``: safe reading of a user's rosinality ``.pt`` (``torch.load(weights_only=True)``,
  only ``argparse.Namespace`` allowed); NVlabs ``.pkl`` files are refused (they execute embedded code).

The upfirdn2d / fused-leaky-ReLU CUDA kernels of the original are replaced by their pure-torch
equivalents (rosinality ships the same fallbacks), so everything runs on CPU.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import tempfile
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from core.device import pick_device, seeded_generator

BLUR = (1, 3, 3, 1)


# ----------------------------------------------------------------------------- configuration

@dataclass
class GConfig:
    """Generator shape. ``channels`` maps resolution -> feature maps (rosinality's ``self.channels``)."""
    size: int = 32
    style_dim: int = 64
    n_mlp: int = 4
    channels: dict = field(default_factory=lambda: {4: 64, 8: 64, 16: 64, 32: 32})
    lr_mlp: float = 0.01

    @property
    def n_latent(self) -> int:
        return int(math.log2(self.size)) * 2 - 2

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = {int(k): int(v) for k, v in self.channels.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "GConfig":
        d = dict(d)
        d["channels"] = {int(k): int(v) for k, v in d["channels"].items()}
        return cls(**d)


# ----------------------------------------------------------------------------- building blocks

def make_kernel(k) -> torch.Tensor:
    k = torch.tensor(k, dtype=torch.float32)
    k = k[None, :] * k[:, None] if k.ndim == 1 else k
    return k / k.sum()


def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, up: int = 1, down: int = 1, pad=(0, 0)) -> torch.Tensor:
    """Upsample by zero insertion, pad, FIR-filter, downsample (rosinality's upfirdn2d_native)."""
    b, c, h, w = x.shape
    if up > 1:
        x = F.pad(x[:, :, :, None, :, None], (0, up - 1, 0, 0, 0, up - 1)).reshape(b, c, h * up, w * up)
    # one depthwise conv (groups = channels), not rosinality's (b*c, 1, h, w) reshape: same sums, ~7x
    # faster forward + backward on CPU (bench/bench_householder.py)
    weight = torch.flip(kernel, [0, 1])[None, None].to(x.dtype).expand(c, 1, *kernel.shape)
    if pad[0] == pad[1] >= 0:  # the conv pads with zeros itself: no padded copy (which made it ~5x slower on CPU)
        return F.conv2d(x, weight, padding=pad[0], groups=c)[:, :, ::down, ::down]
    x = F.pad(x, (pad[0], pad[1], pad[0], pad[1]))  # negative padding crops, as in the original
    return F.conv2d(x, weight, groups=c)[:, :, ::down, ::down]


def fused_leaky_relu(x: torch.Tensor, bias: torch.Tensor, slope: float = 0.2) -> torch.Tensor:
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return F.leaky_relu(x + bias.view(shape), slope) * math.sqrt(2)


class PixelNorm(nn.Module):
    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + 1e-8)


class EqualLinear(nn.Module):
    """Linear layer with equalised learning rate: weights stored N(0,1)/lr_mul, scaled at run time."""

    def __init__(self, in_dim, out_dim, bias_init=0.0, lr_mul=1.0, activation=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale, self.lr_mul, self.activation = lr_mul / math.sqrt(in_dim), lr_mul, activation

    def effective_weight(self) -> torch.Tensor:
        """The matrix A actually applied (SeFa factorises this one)."""
        return self.weight * self.scale

    def forward(self, x):
        out = F.linear(x, self.effective_weight())
        if self.activation:
            return fused_leaky_relu(out, self.bias * self.lr_mul)
        return out + self.bias * self.lr_mul


class EqualConv2d(nn.Module):
    def __init__(self, in_ch, out_ch, kernel, padding=0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.scale, self.padding = 1 / math.sqrt(in_ch * kernel**2), padding

    def forward(self, x):
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


class ModulatedConv2d(nn.Module):
    """StyleGAN2 eq. 1-3: w'_ijk = s_i w_ijk, then divide by sqrt(sum_ik w'^2); ``modulation`` is s = A w + b."""

    def __init__(self, in_ch, out_ch, kernel, style_dim, demodulate=True, upsample=False):
        super().__init__()
        self.in_ch, self.out_ch, self.kernel = in_ch, out_ch, kernel
        self.demodulate, self.upsample = demodulate, upsample
        self.scale, self.padding = 1 / math.sqrt(in_ch * kernel**2), kernel // 2
        self.weight = nn.Parameter(torch.randn(1, out_ch, in_ch, kernel, kernel))
        self.modulation = EqualLinear(style_dim, in_ch, bias_init=1)
        if upsample:
            self.blur = Blur(BLUR, pad=(1, 1), upsample_factor=2)

    def forward(self, x, w):
        # rosinality's non-fused path: scale the input by s, one shared conv for the whole batch, scale
        # the output by the demodulation coefficients. Same maths as the grouped conv, faster on CPU.
        style = self.modulation(w)
        weight = self.scale * self.weight[0]
        x = x * style[:, :, None, None]
        if self.upsample:  # transposed conv, stride 2, then the [1,3,3,1] blur
            out = self.blur(F.conv_transpose2d(x, weight.transpose(0, 1), stride=2))
        else:
            out = F.conv2d(x, weight, padding=self.padding)
        if self.demodulate:  # 1/sqrt(sum_ik (s_i w_oik)^2) per sample and output channel
            demod = torch.rsqrt(style.pow(2) @ weight.pow(2).sum([2, 3]).T + 1e-8)
            out = out * demod[:, :, None, None]
        return out


class Blur(nn.Module):
    def __init__(self, kernel, pad, upsample_factor=1):
        super().__init__()
        self.register_buffer("kernel", make_kernel(kernel) * upsample_factor**2)
        self.pad = pad

    def forward(self, x):
        return upfirdn2d(x, self.kernel, pad=self.pad)


class Upsample(nn.Module):
    def __init__(self, kernel, factor=2):
        super().__init__()
        self.register_buffer("kernel", make_kernel(kernel) * factor**2)
        p = len(kernel) - factor
        self.factor, self.pad = factor, ((p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x):
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x, noise=None):
        if noise is None:
            noise = x.new_empty(x.shape[0], 1, x.shape[2], x.shape[3]).normal_()
        return x + self.weight * noise


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return fused_leaky_relu(x, self.bias)


class ConstantInput(nn.Module):
    def __init__(self, channels, size=4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch):
        return self.input.repeat(batch, 1, 1, 1)


class StyledConv(nn.Module):
    def __init__(self, in_ch, out_ch, kernel, style_dim, upsample=False):
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, kernel, style_dim, upsample=upsample)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_ch)

    def forward(self, x, w, noise=None):
        return self.activate(self.noise(self.conv(x, w), noise))


class ToRGB(nn.Module):
    def __init__(self, in_ch, style_dim, upsample=True):
        super().__init__()
        if upsample:
            self.upsample = Upsample(BLUR)
        self.conv = ModulatedConv2d(in_ch, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x, w, skip=None):
        out = self.conv(x, w) + self.bias
        return out if skip is None else out + self.upsample(skip)


# ----------------------------------------------------------------------------- generator

class Generator(nn.Module):
    """rosinality's Generator with free channel counts. W+ slot 2i+1 feeds block i's upsampling conv."""

    def __init__(self, cfg: GConfig):
        super().__init__()
        self.cfg = cfg
        ch, sd = cfg.channels, cfg.style_dim
        self.style = nn.Sequential(PixelNorm(), *[EqualLinear(sd, sd, lr_mul=cfg.lr_mlp, activation=True)
                                                  for _ in range(cfg.n_mlp)])
        self.input = ConstantInput(ch[4])
        self.conv1 = StyledConv(ch[4], ch[4], 3, sd)
        self.to_rgb1 = ToRGB(ch[4], sd, upsample=False)
        log_size = int(math.log2(cfg.size))
        self.noises = nn.Module()
        for j in range((log_size - 2) * 2 + 1):
            res = 2 ** ((j + 5) // 2)
            self.noises.register_buffer(f"noise_{j}", torch.randn(1, 1, res, res))
        self.convs, self.to_rgbs = nn.ModuleList(), nn.ModuleList()
        in_ch = ch[4]
        for i in range(3, log_size + 1):
            out_ch = ch[2**i]
            self.convs.append(StyledConv(in_ch, out_ch, 3, sd, upsample=True))
            self.convs.append(StyledConv(out_ch, out_ch, 3, sd))
            self.to_rgbs.append(ToRGB(out_ch, sd))
            in_ch = out_ch
        self.n_latent = cfg.n_latent

    @property
    def projector_layers(self) -> list[ModulatedConv2d]:
        """The upsampling convs, one per block: where the Householder projector goes (ortho_id = -2)."""
        return [self.convs[2 * i].conv for i in range(len(self.to_rgbs))]

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        return self.style(z)

    def mean_w(self, n: int = 4096, seed: int = 0) -> torch.Tensor:
        p = next(self.parameters())
        z = torch.randn(n, self.cfg.style_dim, generator=seeded_generator(seed, p.device), device=p.device)
        with torch.no_grad():
            return self.mapping(z).mean(0)

    def synthesis(self, w_plus: torch.Tensor, noise: str | torch.Generator = "random") -> torch.Tensor:
        """W+ codes (B, n_latent, style_dim) -> images (B, 3, size, size) in about [-1, 1].

        noise="const" uses the stored noise buffers (reproducible traversals), "random" fresh noise from
        torch's global RNG, a ``torch.Generator`` fresh noise drawn from it (reproducible samples).
        """
        n_layers = len(self.convs) + 1
        buffers = [getattr(self.noises, f"noise_{j}") for j in range(n_layers)]
        if isinstance(noise, torch.Generator):
            noises = [torch.randn(w_plus.shape[0], 1, *b.shape[2:], generator=noise, device=b.device, dtype=b.dtype)
                      for b in buffers]
        else:
            noises = buffers if noise == "const" else [None] * n_layers
        out = self.input(w_plus.shape[0])
        out = self.conv1(out, w_plus[:, 0], noises[0])
        skip = self.to_rgb1(out, w_plus[:, 1])
        for i, (up, conv, rgb) in enumerate(zip(self.convs[::2], self.convs[1::2], self.to_rgbs)):
            out = up(out, w_plus[:, 2 * i + 1], noises[2 * i + 1])
            out = conv(out, w_plus[:, 2 * i + 2], noises[2 * i + 2])
            skip = rgb(out, w_plus[:, 2 * i + 3], skip)
        return skip

    def forward(self, z: torch.Tensor, mix_prob: float = 0.0, noise: str = "random") -> torch.Tensor:
        """Images from z with optional style mixing (a random crossover layer, StyleGAN Sec. 3.1)."""
        w = self.mapping(z).unsqueeze(1).repeat(1, self.n_latent, 1)
        if mix_prob > 0 and random.random() < mix_prob:
            w2 = self.mapping(torch.randn_like(z)).unsqueeze(1)
            cross = random.randint(1, self.n_latent - 1)
            w = torch.cat([w[:, :cross], w2.expand(-1, self.n_latent - cross, -1)], 1)
        return self.synthesis(w, noise)


def build_generator(cfg: GConfig, state: dict | None = None, device=None) -> Generator:
    device = pick_device(device)
    G = Generator(cfg)
    if state is not None:
        G.load_state_dict({k: v.float() for k, v in state.items()})
    return G.to(device).eval()


# ----------------------------------------------------------------------------- discriminator

class DBlock(nn.Module):
    """Two 3x3 convs + 2x average-pool, with a scaled residual 1x1 skip (StyleGAN2's resnet D)."""

    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.conv1, self.conv2 = EqualConv2d(in_ch, in_ch, 3, 1), EqualConv2d(in_ch, out_ch, 3, 1)
        self.skip = EqualConv2d(in_ch, out_ch, 1)

    def forward(self, x):
        out = F.leaky_relu(self.conv1(x), 0.2) * math.sqrt(2)
        out = F.avg_pool2d(F.leaky_relu(self.conv2(out), 0.2) * math.sqrt(2), 2)
        # pool before the 1x1 skip conv: both are linear, so they commute; 4x fewer pixels to convolve
        return (out + self.skip(F.avg_pool2d(x, 2))) / math.sqrt(2)


# Twice the 32x32 width of the first try ({32: 16, 16: 32}), tried against G's drift to circles only. It
# did not stop the drift on CPU (runs to ~0.1M images), but it is kept: D is the cheap side to widen.
D_CHANNELS = {64: 32, 32: 32, 16: 64, 8: 64, 4: 64}


class Discriminator(nn.Module):
    def __init__(self, size: int = 32, channels: dict | None = None):
        super().__init__()
        ch = channels or D_CHANNELS
        self.from_rgb = EqualConv2d(3, ch[size], 1)
        self.blocks = nn.Sequential(*[DBlock(ch[2**i], ch[2**(i - 1)]) for i in range(int(math.log2(size)), 2, -1)])
        self.final_conv = EqualConv2d(ch[4] + 1, ch[4], 3, 1)
        self.fc1, self.fc2 = EqualLinear(ch[4] * 16, ch[4], activation=True), EqualLinear(ch[4], 1)

    def forward(self, x):
        out = self.blocks(F.leaky_relu(self.from_rgb(x), 0.2) * math.sqrt(2))
        group = min(4, out.shape[0])
        while out.shape[0] % group:
            group -= 1
        # minibatch standard deviation (Karras et al. 2018): lets D see a lack of sample variety
        y = out.view(group, -1, *out.shape[1:]).std(0, unbiased=False).mean([1, 2, 3])
        out = torch.cat([out, y.repeat(group)[:, None, None, None].expand(-1, 1, 4, 4)], 1)
        out = F.leaky_relu(self.final_conv(out), 0.2) * math.sqrt(2)
        return self.fc2(self.fc1(out.flatten(1)))


def d_channels_from_state(state: dict, size: int) -> dict:
    """The resolution -> width map of a saved Discriminator (so old and new widths both load)."""
    ch = {size: int(state["from_rgb.weight"].shape[0])}
    for i in range(int(math.log2(size)) - 2):
        ch[size >> (i + 1)] = int(state[f"blocks.{i}.conv2.weight"].shape[0])
    return ch


def discriminator_from_state(state: dict, size: int) -> Discriminator:
    D = Discriminator(size, d_channels_from_state(state, size))
    D.load_state_dict({k: v.float() for k, v in state.items()})
    return D


def widen_state(old: dict, fresh: dict) -> dict:
    """Function-preserving widening (Net2Net's idea, Chen et al. 2016) of a G or D state to ``fresh``'s widths.

    ``fresh`` is the state of a newly built, wider module. Every trained weight keeps its effective value
    (stored weights are rescaled by sqrt(new fan-in / old fan-in), undoing the equalised-lr scale change);
    new output channels keep their fresh initialisation; weights from new input channels into old outputs
    start at zero. So the wider network computes exactly what the trained one did (demodulation included:
    zero weights add nothing to its norms), and gradient descent grows the new channels from there.
    Weights are (out, in, ...) or, for modulated convs, (1, out, in, ...); only widths change here.
    """
    wide = {}
    for key, w_old in old.items():
        w_new = fresh[key].clone().to(torch.float32)
        if w_old.shape == w_new.shape:
            wide[key] = w_old.float().clone()
            continue
        if any(n_old > n_new for n_old, n_new in zip(w_old.shape, w_new.shape)):
            raise ValueError(f"{key}: {tuple(w_old.shape)} does not fit in {tuple(w_new.shape)} (widening only)")
        o = 1 if w_old.ndim == 5 else 0  # where the output axis sits
        if w_old.ndim >= 2:
            n_in_old, n_in_new = w_old.shape[o + 1], w_new.shape[o + 1]
            w_new.narrow(o, 0, w_old.shape[o]).narrow(o + 1, n_in_old, n_in_new - n_in_old).zero_()
            old_part = w_old.float() * math.sqrt(n_in_new / n_in_old)
        else:
            old_part = w_old.float()
        w_new[tuple(slice(0, n) for n in w_old.shape)] = old_part
        wide[key] = w_new
    return wide


# ----------------------------------------------------------------------------- losses and one training step

def d_logistic_loss(real_pred, fake_pred):
    return F.softplus(fake_pred).mean() + F.softplus(-real_pred).mean()


def g_nonsaturating_loss(fake_pred):
    return F.softplus(-fake_pred).mean()


def r1_penalty(real_pred, real_img):
    (grad,) = torch.autograd.grad(real_pred.sum(), real_img, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()


@dataclass
class TrainConfig:
    batch: int = 16
    lr: float = 0.002
    r1_gamma: float = 0.05
    d_reg_every: int = 16
    mix_prob: float = 0.5
    ema_kimg: float = 5.0  # EMA half-life in thousands of images
    ema_rampup: float = 0.05  # early on the half-life is at most this fraction of images seen


def make_optimizers(G, D, tc: TrainConfig, g_params=None):
    """Adam(lr, betas=(0.0, 0.99)); D's lr/betas adjusted for lazy R1 (StyleGAN2 App. B)."""
    ratio = tc.d_reg_every / (tc.d_reg_every + 1)
    opt_g = torch.optim.Adam(g_params if g_params is not None else G.parameters(), lr=tc.lr, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam(D.parameters(), lr=tc.lr * ratio, betas=(0.0, 0.99**ratio))
    return opt_g, opt_d


def ema_update(G_ema, G, beta):
    with torch.no_grad():
        for p_ema, p in zip(G_ema.parameters(), G.parameters()):
            p_ema.lerp_(p, 1 - beta)


def train_step(G, D, G_ema, opt_g, opt_d, real: torch.Tensor, step: int, tc: TrainConfig) -> dict:
    """One D step (+ lazy R1 every d_reg_every) and one G step, then the EMA. ``real`` in [-1, 1].

    Returns the losses as detached 0-d tensors: a GPU loop then waits for the device only when it logs.
    """
    G.train()
    z = torch.randn(real.shape[0], G.cfg.style_dim, device=real.device)
    G.requires_grad_(False)
    D.requires_grad_(True)
    with torch.no_grad():
        fake = G(z, tc.mix_prob)
    d_loss = d_logistic_loss(D(real), D(fake))
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    r1 = torch.zeros((), device=real.device)
    if step % tc.d_reg_every == 0:
        real.requires_grad_(True)
        real_pred = D(real)
        r1 = r1_penalty(real_pred, real)
        opt_d.zero_grad(set_to_none=True)
        (tc.r1_gamma / 2 * r1 * tc.d_reg_every + 0 * real_pred[0, 0]).backward()
        opt_d.step()
        real.requires_grad_(False)
    G.requires_grad_(True)
    D.requires_grad_(False)
    g_loss = g_nonsaturating_loss(D(G(torch.randn_like(z), tc.mix_prob)))
    opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    opt_g.step()
    D.requires_grad_(True)
    nimg = (step + 1) * real.shape[0]
    half_life = min(tc.ema_kimg * 1000, nimg * tc.ema_rampup)
    ema_update(G_ema, G, 0.5 ** (real.shape[0] / max(half_life, 1e-8)))
    return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(), "r1": r1.detach()}


# ----------------------------------------------------------------------------- user checkpoints

MAX_CHECKPOINT_BYTES = 400 * 2**20


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _refuse_pickle(path: str) -> None:
    with open(path, "rb") as fh:
        head = fh.read(2**20)
    if b"torch_utils.persistence" in head or b"dnnlib" in head:
        raise ValueError("This looks like an NVlabs StyleGAN .pkl. Such files embed Python source that "
                         "unpickling would execute, so they are refused. Convert it to a rosinality .pt "
                         "(stylegan2-pytorch's convert_weight.py) on a trusted machine and upload that.")


def config_from_state(state: dict) -> GConfig:
    """Infer size / style_dim / n_mlp / channels from a rosinality g_ema state dict."""
    try:
        n_mlp = len({k.split(".")[1] for k in state if k.startswith("style.") and k.endswith(".weight")})
        style_dim = int(state["style.1.weight"].shape[1])
        channels = {4: int(state["input.input"].shape[1])}
        n_blocks = len({k.split(".")[1] for k in state if k.startswith("to_rgbs.")})
        for i in range(n_blocks):
            channels[2 ** (i + 3)] = int(state[f"convs.{2 * i}.conv.weight"].shape[1])
    except (KeyError, IndexError, AttributeError) as exc:
        raise ValueError(f"The g_ema weights are not a rosinality StyleGAN2 generator (missing {exc}).") from exc
    if n_mlp < 1 or n_blocks < 1:
        raise ValueError("The g_ema weights have no mapping network or no synthesis blocks.")
    return GConfig(size=2 ** (n_blocks + 2), style_dim=style_dim, n_mlp=n_mlp, channels=channels)


def load_checkpoint_bytes(raw: bytes) -> tuple[dict, GConfig]:
    """``load_checkpoint`` for an upload's bytes (through a private temporary file)."""
    with tempfile.NamedTemporaryFile(suffix=".pt") as tmp:
        tmp.write(raw)
        tmp.flush()
        return load_checkpoint(tmp.name)


def load_checkpoint(path) -> tuple[dict, GConfig]:
    """A rosinality stylegan2-pytorch ``.pt`` -> (g_ema state dict, GConfig). ValueError for anything refused.

    Only ``torch.load(weights_only=True)`` is used, with ``argparse.Namespace`` (the ``args`` entry of
    training snapshots) as the single extra allowed global, so no code in the file can run.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError("No such checkpoint file.")
    if os.path.getsize(path) > MAX_CHECKPOINT_BYTES:
        raise ValueError(f"The checkpoint is larger than {MAX_CHECKPOINT_BYTES >> 20} MB.")
    if os.path.getsize(path) == 0:
        raise ValueError("The checkpoint file is empty.")
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unpickling failure: malformed, or a global outside the allow-list
        _refuse_pickle(path)
        raise ValueError("The file is not a loadable rosinality .pt checkpoint (it is malformed, or it "
                         f"holds objects other than tensors): {_first_line(exc)}") from exc
    if not isinstance(ckpt, dict) or "g_ema" not in ckpt or not isinstance(ckpt["g_ema"], dict):
        raise ValueError("The checkpoint has no 'g_ema' generator state dict (expected a rosinality "
                         "stylegan2-pytorch training snapshot or convert_weight.py output).")
    state = ckpt["g_ema"]
    if any(k.endswith(".U") or k.endswith(".V") for k in state):
        raise ValueError("This is a HouseholderGAN fine-tuned checkpoint (projector weights U, V); upload the "
                         "plain StyleGAN2 checkpoint to get its SeFa directions.")
    if not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError("The g_ema entry holds non-tensor values.")
    if not all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point()):
        raise ValueError("The g_ema weights contain NaN or infinite values.")
    cfg = config_from_state(state)
    try:
        Generator(cfg).load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except RuntimeError as exc:
        raise ValueError("The g_ema weights do not match the StyleGAN2 layout: "
                         f"{_first_line(exc)}") from exc
    return state, cfg
