"""Core of the Householder Projector page: renderer, StyleGAN2 shapes, projector algebra, safe loading."""
from __future__ import annotations

import argparse
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from core import householder as hp
from core.householder import shapes
from core.spectral import householder_product
from core.householder.stylegan import (Discriminator, GConfig, Generator, config_from_state, d_channels_from_state,
                           discriminator_from_state, load_checkpoint, make_kernel, upfirdn2d)

TINY = GConfig(size=16, style_dim=16, n_mlp=2, channels={4: 8, 8: 8, 16: 4})


def hp_assets():
    return Path(__file__).resolve().parent.parent / "assets" / "householder"


@pytest.fixture(scope="module")
def tiny_g():
    torch.manual_seed(0)
    return Generator(TINY).eval()


# ----------------------------------------------------------------------------- renderer

def test_render_shapes_range_and_factors():
    img, factors = shapes.sample(32, seed=1)
    assert img.shape == (32, 3, 32, 32) and factors.shape == (32, 7)
    assert 0 <= img.min() and img.max() <= 1
    assert set(factors[:, 0].unique().tolist()) <= {0.0, 1.0, 2.0}


def test_render_moves_with_x_and_hue():
    f = torch.tensor([[1, 0.5, 0.0, 0.5, 0, 0.0, 0.2], [1, 0.5, 1.0, 0.5, 0, 0.0, 0.2]])
    img = shapes.render(f)
    cols = lambda im: (im.sum(0) > im[:, 0, 0].sum() + 0.5).float().sum(0)  # noqa: E731
    centre = lambda im: float((cols(im) * torch.arange(32)).sum() / cols(im).sum())  # noqa: E731
    assert centre(img[1]) > centre(img[0]) + 8  # x factor moves the object right
    red = shapes.hsv_to_rgb(torch.tensor([0.0]))[0]
    assert red[0] > red[1] and red[0] > red[2]


def test_square_symmetric_under_quarter_turn():
    f = torch.tensor([[0, 0.5, 0.5, 0.5, 0.0, 0.3, 0.1], [0, 0.5, 0.5, 0.5, 0.25, 0.3, 0.1]])
    img = shapes.render(f)
    assert torch.allclose(img[0], img[1], atol=1e-4)


# ----------------------------------------------------------------------------- StyleGAN2 pieces

def test_generator_and_discriminator_shapes(tiny_g):
    z = torch.randn(3, TINY.style_dim)
    x = tiny_g(z)
    assert x.shape == (3, 3, 16, 16)
    assert tiny_g.n_latent == 6 and len(tiny_g.projector_layers) == 2
    d = Discriminator(16, {16: 8, 8: 8, 4: 8})
    assert d(x).shape == (3, 1)


def test_default_generator_small_enough():
    G, D = Generator(GConfig()), Discriminator()
    n = sum(p.numel() for p in G.parameters()) + sum(p.numel() for p in D.parameters())
    assert n * 4 < 5 * 2**20


def test_discriminator_rebuilds_from_any_saved_width():
    narrow = Discriminator(16, {16: 8, 8: 16, 4: 8})
    assert d_channels_from_state(narrow.state_dict(), 16) == {16: 8, 8: 16, 4: 8}
    again = discriminator_from_state(narrow.state_dict(), 16)
    x = torch.randn(4, 3, 16, 16)
    assert torch.equal(again(x), narrow(x))


def test_shape_mix_is_a_distribution():
    mix = hp.shape_mix(Generator(GConfig()), hp.FactorNet(), n=20)
    assert mix.shape == (3,) and np.isclose(mix.sum(), 1.0) and (mix >= 0).all()


def test_upfirdn_upsample_keeps_constant():
    x = torch.ones(1, 2, 4, 4)
    up = upfirdn2d(x, make_kernel([1, 3, 3, 1]) * 4, up=2, pad=(2, 1))
    assert up.shape == (1, 2, 8, 8)
    assert torch.allclose(up[..., 2:-2, 2:-2], torch.ones(1, 2, 4, 4))


def test_upfirdn_blur_is_a_per_channel_2d_convolution():
    """The depthwise conv equals scipy's true 2-D convolution of each channel with the FIR kernel."""
    from scipy.signal import convolve2d
    x = torch.randn(2, 3, 6, 5, dtype=torch.float64)
    kernel = make_kernel([1, 3, 3, 1]).double()
    out = upfirdn2d(x, kernel, pad=(2, 1))
    ref = np.stack([[convolve2d(np.pad(c, ((2, 1), (2, 1))), kernel.numpy(), mode="valid") for c in img]
                    for img in x.numpy()])
    assert out.shape == ref.shape and np.allclose(out.numpy(), ref)


def test_dblock_matches_the_conv_then_pool_resnet_block():
    """D's block pools before its 1x1 skip conv; linear maps commute, so it is StyleGAN2's conv-then-pool."""
    import math
    import torch.nn.functional as F
    from core.householder.stylegan import DBlock
    torch.manual_seed(0)
    block = DBlock(4, 8)
    with torch.no_grad():
        block.skip.bias.normal_()
        x = torch.randn(3, 4, 8, 8)
        act = lambda t: F.leaky_relu(t, 0.2) * math.sqrt(2)  # noqa: E731
        main = F.avg_pool2d(act(block.conv2(act(block.conv1(x)))), 2)
        reference = (main + F.avg_pool2d(block.skip(x), 2)) / math.sqrt(2)
        assert torch.allclose(block(x), reference, atol=1e-6)


def test_demodulation_normalises_output_scale(tiny_g):
    """Demodulation makes the conv output independent of a global style scale (StyleGAN2 eq. 3)."""
    conv = tiny_g.convs[1].conv
    x = torch.randn(2, conv.in_ch, 8, 8)
    w = torch.randn(2, TINY.style_dim)
    with torch.no_grad():
        out1 = conv(x, w)
        conv.modulation.bias.mul_(3.0)
        conv.modulation.weight.mul_(3.0)
        out3 = conv(x, w)
        conv.modulation.bias.div_(3.0)
        conv.modulation.weight.div_(3.0)
    assert torch.allclose(out1, out3, atol=1e-4)


# ----------------------------------------------------------------------------- Householder projector

def test_householder_product_orthogonal():
    V = torch.randn(64, 10, dtype=torch.float32)
    Q = householder_product(V)
    assert float((Q.T @ Q - torch.eye(64)).abs().max()) < 1e-5


def test_reflectors_reproduce_orthonormal_frame():
    frame, _ = torch.linalg.qr(torch.randn(20, 5, dtype=torch.float64))
    vectors, signs = hp.reflectors_from_frame(frame)
    Q = householder_product(vectors)
    assert torch.allclose(Q[:, :5] * signs, frame, atol=1e-10)


def test_projector_init_is_top_k_svd(tiny_g):
    conv = tiny_g.projector_layers[0]
    A = conv.modulation.effective_weight().detach().double()
    layer = hp.HouseholderLinear.from_linear(conv.modulation, k=3)
    U, S, Vh = torch.linalg.svd(A)
    expected = S[:3].mean() * U[:, :3] @ Vh[:3]
    assert torch.allclose(layer.effective_weight().double(), expected, atol=1e-5)
    # the read-out directions span the top-3 right singular subspace, one to one up to sign
    cos = layer.directions().double() @ Vh[:3].T
    assert torch.allclose(cos.abs(), torch.eye(3, dtype=torch.float64), atol=1e-5)
    # and all k singular values of the projector are equal
    s = torch.linalg.svdvals(layer.effective_weight().detach())
    assert torch.allclose(s[:3], s[0].expand(3), rtol=1e-4) and s[3:].abs().max() < 1e-4


def test_attach_projectors_and_state_roundtrip(tiny_g):
    import copy
    G = hp.attach_projectors(copy.deepcopy(tiny_g), k=3)
    assert hp.orthogonality_error(G) < 1e-5
    G2 = hp.build_projector_generator(TINY, G.state_dict(), 3, device="cpu")  # the fixture lives on the CPU
    w = torch.randn(2, G.n_latent, TINY.style_dim)
    with torch.no_grad():
        assert torch.allclose(G.synthesis(w, "const"), G2.synthesis(w, "const"), atol=1e-5)


def test_sefa_directions_orthonormal_and_sorted(tiny_g):
    Vt, s = hp.sefa_layer(tiny_g, 1, 4)
    assert np.allclose(Vt @ Vt.T, np.eye(4), atol=1e-8) and np.all(np.diff(s) <= 0)
    Vg, _ = hp.sefa_global(tiny_g, 4)
    assert Vg.shape == (4, TINY.style_dim)


def test_traverse_shape_and_zero_step_identity(tiny_g):
    v = hp.sefa_layer(tiny_g, 0, 1)[0][0]
    grid = hp.traverse(tiny_g, v, 0, np.array([-1.0, 0.0, 1.0]), rows=2)
    assert grid.shape == (2, 3, 16, 16, 3)
    base = hp.traverse(tiny_g, v, 0, np.array([0.0]), rows=2)
    assert np.allclose(grid[:, 1], base[:, 0], atol=1e-6)


def test_generated_truncation_pulls_samples_to_the_mean_latent(tiny_g):
    """psi = 0 maps every latent to the mean w: one image (noise weights start at 0); psi = 1 varies."""
    same, varied = hp.generated(tiny_g, 4, seed=1, truncation=0.0), hp.generated(tiny_g, 4, seed=1)
    assert torch.allclose(same, same[:1].expand_as(same), atol=1e-6)
    assert (varied - varied[:1]).abs().max() > 1e-3


def test_generated_is_reproducible_and_leaves_the_global_rng_alone(tiny_g):
    """Seeded noise: the same call gives the same samples (a live re-check reproduces the shipped numbers), in
    chunks of any size, and torch's global RNG is neither read nor advanced."""
    state = torch.random.get_rng_state()
    first = hp.generated(tiny_g, hp.factors.CHUNK + 5, seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(first, hp.generated(tiny_g, hp.factors.CHUNK + 5, seed=3))
    assert not torch.equal(first, hp.generated(tiny_g, hp.factors.CHUNK + 5, seed=4))


def test_one_chunked_regressor_pass_equals_the_plain_calls():
    net = hp.FactorNet().eval()
    img = shapes.sample(hp.factors.CHUNK + 7, seed=2)[0] * 2 - 1
    feats, out = hp.factors.regress(net, img)
    with torch.no_grad():
        assert torch.allclose(feats, net.features(img), atol=1e-5) and torch.allclose(out, net(img), atol=1e-5)
    assert np.allclose(hp.mix_of(net, img, out), hp.mix_of(net, img))
    assert torch.allclose(hp.rerender_iou(net, img, out), hp.rerender_iou(net, img))


def test_upfirdn_symmetric_padding_equals_padding_first():
    """The conv's own zero padding (no padded copy: the fast path) gives the explicit F.pad result."""
    x, kernel = torch.randn(2, 3, 7, 7, dtype=torch.float64), make_kernel([1, 3, 3, 1]).double()
    weight = torch.flip(kernel, [0, 1])[None, None].expand(3, 1, 4, 4)
    ref = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (1, 1, 1, 1)), weight, groups=3)
    assert torch.allclose(upfirdn2d(x, kernel, pad=(1, 1)), ref)


def test_rendered_images_grid_is_the_renderer_row_by_row():
    grid, img = hp.rendered_images(2, 3, seed=4), shapes.sample(6, seed=4)[0]
    assert grid.shape == (2, 3, 32, 32, 3) and np.allclose(grid[1, 2], img[5].permute(1, 2, 0).numpy())


def test_purity_and_mig_closed_forms():
    M = np.array([[1.0, 0, 0], [0.5, 0.5, 0]])
    assert np.allclose(hp.purity(M), [1.0, 0.5])
    assert np.allclose(hp.mig_gap(M), [0.5, 0.5, 0.0])


def test_frechet_distance_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert hp.frechet_distance(a, a) < 1e-6
    b = a * 2 + 1  # N(1, 4I) vs N(0, I): |mu|^2 + tr(I + 4I - 2*2I) = 3 + 3
    assert abs(hp.frechet_distance(a, b) - 6.0) < 0.3


def test_object_mask_covers_a_circle_of_the_rendered_area():
    circle = torch.tensor([[1, 1.0, 0.5, 0.5, 0.0, 0.3, 0.2]])  # largest circle, centred
    area = float(hp.object_mask(shapes.render(circle) * 2 - 1).sum())
    radius_px = shapes.RADIUS[1] * 32
    assert area == pytest.approx(np.pi * radius_px**2, rel=0.1)  # pi r^2 up to the anti-aliased rim


def test_rerender_iou_high_on_renders_low_on_broken_shapes():
    """The shipped regressor redraws rendered shapes closely; the same shapes with half erased do not match."""
    state = torch.load(hp_assets() / "factor_regressor.pt", weights_only=True)["state"]
    net = hp.factor_net_from_state(state, device="cpu")
    img, factors = shapes.sample(200, seed=3)
    img = img * 2 - 1
    assert float(hp.rerender_iou(net, img).mean()) > 0.85
    centre_px = (shapes.CENTRE[0] + (shapes.CENTRE[1] - shapes.CENTRE[0]) * factors[:, 2]) * 32
    left_half = torch.arange(32)[None, None, :] < centre_px[:, None, None]
    erase = (hp.object_mask(img) & left_half)[:, None]
    broken = torch.where(erase, img[:, :, :1, :1], img)  # the corner pixel is background
    assert float(hp.rerender_iou(net, broken).mean()) < 0.65


def test_factor_changes_circular_hue():
    probs = torch.tensor([[1.0, 0, 0]])
    a = {"shape": probs, "hue": torch.tensor([0.95]), "rotation": torch.tensor([0.0])}
    b = {"shape": probs, "hue": torch.tensor([0.05]), "rotation": torch.tensor([0.0])}
    for f in ("scale", "x", "y", "background"):
        a[f] = b[f] = torch.tensor([0.3])
    ch = hp.factor_changes(a, b)[0]
    assert abs(float(ch[hp.SCORED.index("hue")]) - 0.2) < 1e-6 and float(ch.sum()) == pytest.approx(0.2)


# ----------------------------------------------------------------------------- checkpoint loading

def _tiny_rosinality_file(tmp_path, tiny_g, with_args=True):
    ckpt = {"g_ema": tiny_g.state_dict(), "latent_avg": torch.zeros(TINY.style_dim)}
    if with_args:  # training snapshots carry the argparse namespace
        ckpt["args"] = argparse.Namespace(size=16, latent=16, n_mlp=2)
    path = tmp_path / "tiny.pt"
    torch.save(ckpt, path)
    return path


def test_load_rosinality_checkpoint(tmp_path, tiny_g):
    state, cfg = load_checkpoint(_tiny_rosinality_file(tmp_path, tiny_g))
    assert cfg.size == 16 and cfg.style_dim == 16 and cfg.n_mlp == 2 and cfg.channels == TINY.channels
    assert config_from_state(state) == cfg


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    evil = _Evil()
    evil.marker = marker
    for name, dump in (("evil.pkl", lambda p: p.write_bytes(pickle.dumps({"G_ema": evil}))),
                       ("evil.pt", lambda p: torch.save({"g_ema": evil}, p))):
        path = tmp_path / name
        dump(path)
        with pytest.raises(ValueError):
            load_checkpoint(path)
        assert not marker.exists()


def test_nvlabs_pickle_refused_with_message(tmp_path):
    path = tmp_path / "network.pkl"
    path.write_bytes(b"\x80\x04\x95" + b"ctorch_utils.persistence\n_reconstruct_persistent_obj\n" + b"." * 10)
    with pytest.raises(ValueError, match="NVlabs"):
        load_checkpoint(path)


@pytest.mark.parametrize("payload", [b"", b"not a checkpoint", None])
def test_malformed_checkpoints_refused(tmp_path, payload):
    path = tmp_path / "bad.pt"
    if payload is None:
        torch.save({"g_ema": {"style.1.weight": torch.full((4, 4), float("nan"))}}, path)
    else:
        path.write_bytes(payload)
    with pytest.raises(ValueError):
        load_checkpoint(path)


def test_finetune_keeps_projectors_orthogonal(tiny_g):
    d_state = Discriminator(16).state_dict()
    G, log = hp.finetune_projector(tiny_g.state_dict(), d_state, TINY, k=3, steps=2, batch=4, device="cpu")
    assert len(log) == 2 and all(np.isfinite(log[-1][1:]))
    assert hp.orthogonality_error(G) < 1e-5
    assert hp.householder_directions(G, 0).shape == (3, TINY.style_dim)


def test_svd_readout_spans_the_householder_subspace(tiny_g):
    import copy
    G = hp.attach_projectors(copy.deepcopy(tiny_g), k=3)
    cos = hp.readout_cosines(G, 1)
    assert cos.shape == (3, 3) and np.allclose((cos**2).sum(1), 1.0, atol=1e-4)


def test_best_checkpoint_prefers_balanced_shapes_then_iou_then_low_fd():
    from scripts.train_householder_gan import balance_key
    circles_only, balanced = balance_key([0.02, 0.95, 0.03], 20.0, 0.9), balance_key([0.3, 0.4, 0.3], 90.0, 0.7)
    assert balanced > circles_only
    assert balance_key([0.3, 0.4, 0.3], 90.0, 0.75) > balanced  # among balanced generators, sharper shapes win
    assert balance_key([0.3, 0.4, 0.3], 50.0, 0.701) > balanced  # IoU within its noise: the lower FD wins
    assert balance_key([0.21, 0.58, 0.21], 50.0, 0.7) > balanced  # above 20 % a shape's share no longer counts


def test_checkpoint_keeps_g_as_a_small_fp16_difference_from_g_ema():
    from scripts.train_householder_gan import g_from_checkpoint, g_minus_ema, half
    G, G_ema = Generator(TINY), Generator(TINY)
    G_ema.load_state_dict({k: v + 0.05 * torch.randn_like(v) for k, v in G.state_dict().items()})
    ck = {"g_ema": half(G_ema.state_dict()), "g_minus_ema": g_minus_ema(G, G_ema)}  # as the trainer saves them
    assert all(v.dtype == torch.float16 for v in [*ck["g_ema"].values(), *ck["g_minus_ema"].values()])
    for key, value in g_from_checkpoint(ck).items():  # far below one Adam step (lr 2e-3)
        assert (value - G.state_dict()[key]).abs().max() < 1e-4, key


@pytest.mark.slow
def test_training_script_resumes_from_its_checkpoint(tmp_path):
    """The GAN trainer must continue across sessions: a second call resumes at the saved step."""
    from scripts import train_householder_gan as trainer
    ckpt = tmp_path / "train_latest.pt"
    trainer.main(["--threads", "1", "--batch", "4", "--max-steps", "2", "--ckpt", str(ckpt)])
    first = torch.load(ckpt, weights_only=True)
    assert first["step"] == 2 and ckpt.with_suffix(".png").exists()
    assert all(v.dtype == torch.float16 for v in [*first["d"].values(), *first["g_ema"].values()])  # budget
    trainer.main(["--threads", "1", "--batch", "4", "--max-steps", "3", "--ckpt", str(ckpt), "--fresh-d",
                  "--eval-minutes", "1e-9"])
    second = torch.load(ckpt, weights_only=True)
    assert second["step"] == 3 and second["d_restarts"] == [2]
    (scored,) = second["evals"]  # scored once, and as the only score so far also kept as the best
    assert scored["step"] == 3 and sum(scored["mix"]) == pytest.approx(1, abs=1e-3)
    assert scored["fd"] > 0 and 0 <= scored["iou"] <= 1
    assert torch.load(tmp_path / "train_latest_best.pt", weights_only=True)["step"] == 3
    trainer.main(["--threads", "1", "--batch", "4", "--max-steps", "100", "--ckpt", str(ckpt), "--minutes", "1e-9"])
    assert torch.load(ckpt, weights_only=True)["step"] == 4  # out of time after one step, saved on the way out
    assert second["train_seconds"] >= first["train_seconds"]


def test_widening_keeps_what_g_and_d_compute():
    """Net2Net-style widening: the wider G and D give the same outputs; the new channels are really there."""
    from core.householder.stylegan import widen_state
    torch.manual_seed(0)
    G, D = Generator(TINY), Discriminator(TINY.size)
    wide_cfg = GConfig.from_dict({**TINY.to_dict(), "channels": {**TINY.channels, TINY.size: 24}})
    d_widths = {**d_channels_from_state(D.state_dict(), TINY.size), TINY.size: 96}
    G_wide, D_wide = Generator(wide_cfg), Discriminator(TINY.size, d_widths)
    G_wide.load_state_dict(widen_state(G.state_dict(), G_wide.state_dict()))
    D_wide.load_state_dict(widen_state(D.state_dict(), D_wide.state_dict()))
    w = G.mapping(torch.randn(4, TINY.style_dim))[:, None].repeat(1, G.n_latent, 1)
    with torch.no_grad():
        assert torch.allclose(G.synthesis(w, "const"), G_wide.synthesis(w, "const"), atol=1e-5)
        x = torch.randn(4, 3, TINY.size, TINY.size)
        assert torch.allclose(D(x), D_wide(x), atol=1e-5)
    with pytest.raises(ValueError, match="widening only"):
        widen_state(G_wide.state_dict(), G.state_dict())
    assert G_wide.to_rgbs[-1].conv.weight.shape[2] == 24 and sum(p.numel() for p in G_wide.parameters()) > \
        sum(p.numel() for p in G.parameters())


def test_training_script_widens_on_resume(tmp_path):
    from scripts import train_householder_gan as trainer
    ckpt = tmp_path / "train_latest.pt"
    trainer.main(["--threads", "1", "--batch", "4", "--max-steps", "1", "--ckpt", str(ckpt)])
    trainer.main(["--threads", "1", "--batch", "4", "--max-steps", "2", "--ckpt", str(ckpt), "--widen", "32=48"])
    wide = torch.load(ckpt, weights_only=True)
    assert wide["step"] == 2 and wide["g_cfg"]["channels"][32] == 48 and wide["widened"] == [{"step": 1,
                                                                                                "widths": {32: 48}}]
    assert d_channels_from_state(wide["d"], 32)[32] == 48
    trainer.main(["--threads", "1", "--batch", "4", "--max-steps", "3", "--ckpt", str(ckpt), "--widen", "32=48"])
    again = torch.load(ckpt, weights_only=True)  # the same command again: continues, widens nothing more
    adam_steps = lambda ck: float(next(iter(ck["opt_g"]["state"].values()))["step"])  # noqa: E731
    assert again["step"] == 3 and len(again["widened"]) == 1 and adam_steps(again) == adam_steps(wide) + 1
    assert trainer.width_map("32=64,16=96") == {32: 64, 16: 96}


def test_grid_image_places_each_enlarged_cell_between_white_gaps():
    from ui.householder_figures import grid_image
    grid = np.random.default_rng(0).random((2, 3, 4, 5, 3))
    img = grid_image(grid, zoom=2, gap=1)
    assert img.shape == (2 * 9 - 1, 3 * 11 - 1, 3) and img.dtype == np.uint8
    cell = (grid[1, 2].repeat(2, 0).repeat(2, 1) * 255).round().astype(np.uint8)
    assert (img[9:17, 22:32] == cell).all() and (img[8] == 255).all() and (img[:, 10] == 255).all()
