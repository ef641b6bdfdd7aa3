"""The FARMS page through AppTest: defaults, changed controls, URL state, uploads good and bad."""
import torch

from hostile import Evil, torch_bytes
from pages_harness import chart_titles, metric, open_page, upload

PAGE = "pages/farms.py"


def test_defaults_show_the_bias_the_esds_the_network_and_pruning():
    at = open_page(PAGE)
    titles = chart_titles(at)
    for expected in ("alpha against Q", "ESD of the full matrix vs the pooled FARMS windows", "windows of 64 x 64",
                     "Per-layer alpha", "TempBalance learning rate", "Layer-wise sparsity"):
        assert any(expected in t for t in titles), (expected, titles)
    full, farms = metric(at, "full ESD, median xmin: Q 1 -> 16"), metric(at, "FARMS, median xmin: Q 1 -> 16")
    a0, a16 = (float(x) for x in full.split(" -> "))
    f0, f16 = (float(x) for x in farms.split(" -> "))
    assert a16 > 1.5 * a0 and abs(f16 - f0) < 0.1 * f0        # the paper's point, in the page's own numbers
    assert any("moves by" in m.value for m in at.markdown)
    assert [e.label for e in at.expander] == ["What the paper shows", "Try this", "What differs from the paper here"]
    assert any("Train the three runs live" in b.label for b in at.button)   # training waits for a click
    assert any("No file yet" in i.value for i in at.info)
    assert not at.error


def test_changed_controls_recompute():
    at = open_page(PAGE)
    at.radio(key="source").set_value("Student-t")
    at.slider(key="nu").set_value(2.0)
    at.select_slider(key="window").set_value(16)
    at.slider(key="ops").set_value(1)
    at.slider(key="sparsity").set_value(0.8).run()
    assert not at.exception and not at.error
    assert "Student-t(2)" in " ".join(m.value for m in at.markdown)
    assert any("1 window of 16 x 16" in t for t in chart_titles(at))
    assert any("to 80% of its weights" in m.value for m in at.markdown)


def test_query_params_set_the_controls_and_a_trained_layer_sweeps():
    at = open_page(PAGE, source="trained layer", q="16", m="256", lr_max="1.9")
    assert at.radio(key="source").value == "trained layer" and at.select_slider(key="q").value == 16
    assert at.slider(key="lr_max").value == 1.9
    assert any("1024 x 64" in t for t in chart_titles(at))      # M = 64 for the trained layer, whatever m says
    bad = open_page(PAGE, ops="99")
    assert any("ops=99" in w.value for w in bad.warning) and bad.get("plotly_chart")


BAD_UPLOADS = [  # the list; more cases in tests/test_farms.py
    (torch_bytes({"w": Evil()}), "model.pt", "Python object"),
    (torch_bytes(torch.ones(4, 4)), "model.pt", "not a state dict"),
    (torch_bytes({"fc.weight": torch.full((30, 20), float("nan"))}), "model.pt", "NaN"),
    (torch_bytes({"bn.weight": torch.ones(8), "fc.bias": torch.ones(8)}), "model.pt", "no usable 2-D"),
]


def test_bad_uploads_get_a_clear_error(capsys):
    at = open_page(PAGE)
    for content, name, message in BAD_UPLOADS:   # code in a pickle, not a state dict, NaN, no 2-D layers, ...
        upload(at, content, name)
        assert any(message in e.value for e in at.error), (message, [e.value for e in at.error])
        assert not any("Layer alpha against" in t for t in chart_titles(at))
    assert "this ran" not in capsys.readouterr().out


def test_a_good_upload_gets_the_table_and_the_scatter():
    from safetensors.torch import save
    gen = torch.Generator().manual_seed(0)
    sd = {"conv.weight": torch.randn(32, 8, 3, 3, generator=gen), "fc1.weight": torch.randn(256, 32, generator=gen),
          "fc2.weight": torch.randn(64, 64, generator=gen), "fc2.bias": torch.zeros(64)}
    at = upload(open_page(PAGE), save(sd), "net.safetensors")
    assert not at.error
    table = at.dataframe[-1].value
    assert sorted(table.layer) == ["conv.weight", "fc1.weight", "fc2.weight"]   # biases are not matrices
    assert any("Layer alpha against the layer's aspect ratio" in t for t in chart_titles(at))
    assert any("Correlation of alpha with log Q" in m.value for m in at.markdown)
