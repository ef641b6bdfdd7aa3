"""AppTest of the Householder Projector page (pages/householder.py)."""
import argparse
import io
import json
import pickle
import re

import pytest
import torch
from pages_harness import chart_titles, metric, open_page

from core.householder.stylegan import GConfig, Generator

PAGE = "pages/householder.py"


def test_defaults_show_grids_responses_and_metrics():
    at = open_page(PAGE)
    titles = chart_titles(at)
    assert any("Factor response per direction" in t for t in titles)
    assert any("Singular values of the style affine A" in t for t in titles)
    assert any("product of Householder reflections" in t for t in titles)
    assert float(metric(at, "max |QᵀQ - I| (live)")) < 1e-4
    for label in ("SeFa mean purity", "Householder mean purity", "Fréchet distance, Householder"):
        assert 0 <= float(metric(at, label))
    assert 0.85 < float(metric(at, "re-render IoU, rendered images")) <= 1  # the regressor's ceiling
    for label in ("re-render IoU, base", "re-render IoU, Householder"):
        assert 0 <= float(metric(at, label)) <= 1
    assert len(at.get("image")) >= 3  # samples + the two traversal grids
    mix = next(c.value for c in at.caption if c.value.startswith("Shape mix of 600 samples"))
    for name, label in (("base", "Base:"), ("Householder fine-tuned", "Householder fine-tune:")):
        part = mix.split(label)[1].split(".")[0]
        shares = [int(p) for p in re.findall(r"(\d+)% (?:square|circle|triangle)s", part)]
        assert len(shares) == 3 and abs(sum(shares) - 100) <= 2
        # the mode-collapse warning shows exactly when a shape falls under 20 % and names that shape
        warned = [w.value for w in at.warning if f"shipped {name} generator under-draws" in w.value]
        rarest_share, rarest = min(zip(shares, ("square", "circle", "triangle")))
        if warned:
            assert rarest_share <= 20 and f"under-draws {rarest}s ({rarest_share}%" in warned[0]
        else:
            assert rarest_share >= 20
    # the traversal caption scores the grid's own truncation live: a full shape mix and an IoU per psi
    trunc = next(c.value for c in at.caption if "Truncation pulls every latent" in c.value)
    parts = trunc.split("at psi ")[1:]
    assert len(parts) == 2  # the chosen psi, then psi 1
    for part in parts:
        shares = [int(p) for p in re.findall(r"(\d+)% (?:square|circle|triangle)s", part)]
        assert len(shares) == 3 and abs(sum(shares) - 100) <= 2
        assert 0 < float(re.search(r"\((?:re-render IoU )?(\d\.\d+)\)", part).group(1)) <= 1
    assert not at.exception


def test_url_params_and_widget_change():
    """Cheap controls only (direction, reach): the factor responses stay cached, so this test stays fast."""
    at = open_page(PAGE, direction="3", reach="2")
    assert at.slider(key="direction").value == 3 and at.slider(key="reach").value == 2.0
    at.slider(key="direction").set_value(5).run()
    assert not at.exception
    at.slider(key="reflectors").set_value(5).run()
    assert metric(at, "det Q") == "-1" and float(metric(at, "max |QᵀQ - I|")) < 1e-12
    assert any("direction 5" in c for img in at.get("image") for c in img.captions)


def test_untruncated_grid_quotes_the_section_1_scores():
    at = open_page(PAGE, truncation="1.0")
    trunc = next(c.value for c in at.caption if "Truncation pulls every latent" in c.value)
    m = re.search(r"at psi 1 the base draws (.+) \(re-render IoU ([\d.]+)\); at psi 1, (.+) \(([\d.]+)\)\.", trunc)
    assert m and m.group(1) == m.group(3) and m.group(2) == m.group(4)  # one set of numbers, not two estimates
    assert not at.exception


def test_fidelity_numbers_are_labelled_asset_build_and_the_live_recheck_reproduces_them():
    """Sections 1 and 5 show the numbers scripts/score_householder.py wrote, and say so; the button recomputes
    them live (fixed seeds) and every section then shows the live ones, with their distance to the shipped."""
    from core.assets import ASSETS
    at = open_page(PAGE)
    if "quality" not in json.loads((ASSETS / "householder" / "comparison.json").read_text()):
        pytest.skip("comparison.json has no quality checks")
    shipped = {label: float(metric(at, label)) for label in ("Fréchet distance, base", "re-render IoU, base")}
    quality = [c.value for c in at.caption if c.value.startswith(("Shape mix of", "Fréchet distance: FID"))]
    assert len(quality) == 2 and all("Computed at asset-build time by scripts/score_householder.py" in q
                                     for q in quality)
    next(b for b in at.button if b.label.startswith("Re-check these numbers live")).click().run()
    assert not at.exception
    text = " ".join(c.value for c in at.caption)
    quality = [c.value for c in at.caption if c.value.startswith(("Shape mix of", "Fréchet distance: FID"))]
    assert len(quality) == 2 and all(q.endswith("Computed live in this server process.") for q in quality)
    assert not any(b.label.startswith("Re-check these numbers live") for b in at.button)
    gaps = re.search(r"Fréchet distance ([\d.e+-]+), re-render IoU ([\d.e+-]+), shape share ([\d.e+-]+)\.", text)
    assert gaps and float(gaps.group(1)) < 0.05 and float(gaps.group(2)) < 0.01 and float(gaps.group(3)) < 0.01
    for label, value in shipped.items():
        assert abs(float(metric(at, label)) - value) < 0.05


def test_factor_responses_shipped_for_the_defaults_recompute_live_on_click_and_elsewhere_by_themselves():
    from core.assets import ASSETS
    if "responses" not in json.loads((ASSETS / "householder" / "comparison.json").read_text()):
        pytest.skip("comparison.json has no factor responses")
    at = open_page(PAGE)
    shipped = {label: metric(at, label) for label in ("SeFa mean purity", "Householder MIG-style gap")}
    assert any("computed at asset-build time by scripts/score_householder.py" in c.value for c in at.caption)
    next(b for b in at.button if b.label.startswith("Recompute these responses live")).click().run()
    assert not at.exception
    live = next(c.value for c in at.caption if c.value.startswith("Recomputed live"))
    assert float(re.search(r"\(scripts/score_householder.py\): ([\d.e+-]+)\.", live).group(1)) < 1e-4
    assert {label: metric(at, label) for label in shipped} == shipped  # the same numbers, to the digits shown
    other = open_page(PAGE, sefa="global")
    assert any(c.value == "Computed live in this server process." for c in other.caption)
    assert not any(b.label.startswith("Recompute these responses live") for b in other.button)


def test_bad_url_param_falls_back_with_a_note():
    at = open_page(PAGE, direction="42")
    assert any("direction=42" in w.value for w in at.warning)
    assert not at.exception


def _upload(at, name: str, payload: bytes):
    at.get("file_uploader")[0].upload(name, payload).run()
    return at


def test_malformed_and_malicious_uploads_show_an_error():
    at = open_page(PAGE)
    _upload(at, "junk.pt", b"definitely not a checkpoint")
    assert at.error and not at.exception
    _upload(at, "network.pkl", pickle.dumps({"G_ema": print}))
    assert at.error and not at.exception


def test_rosinality_upload_gives_sefa_and_traversal():
    torch.manual_seed(0)
    G = Generator(GConfig(size=16, style_dim=16, n_mlp=2, channels={4: 8, 8: 8, 16: 8}))
    buf = io.BytesIO()
    torch.save({"g_ema": G.state_dict(), "args": argparse.Namespace(size=16)}, buf)
    at = _upload(open_page(PAGE), "tiny.pt", buf.getvalue())
    assert not at.error and not at.exception
    assert any("your generator" in t for t in chart_titles(at))


@pytest.mark.slow
def test_live_finetune_on_click():
    at = open_page(PAGE)
    at.select_slider(key="ft_steps").set_value(10).run()
    next(b for b in at.button if b.label.startswith("Run 10 fine-tune steps")).click().run()
    assert not at.exception
    assert float(metric(at, "max |QᵀQ - I| after live fine-tune")) < 1e-4
    assert any("Live Householder fine-tune" in t for t in chart_titles(at))


def test_verdict_and_try_this_come_from_the_shipped_numbers():
    import json

    from core import householder as hp
    from core.assets import ASSETS
    at = open_page(PAGE)
    path = ASSETS / "householder" / "comparison.json"
    if not path.exists():
        assert any("comparison.json" in i.value for i in at.info)
        return
    result = json.loads(path.read_text())
    text = " ".join(m.value for m in at.markdown)
    assert hp.verdict_of(result["summary"])["text"] in text
    try_this = next(e for e in at.expander if e.label == "Try this")
    assert "does not make their edits equally strong" in " ".join(m.value for m in try_this.markdown)
