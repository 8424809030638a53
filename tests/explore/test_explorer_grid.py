"""Tests for snippets/explore/explorer_grid.py."""

import math

import pytest
import torch
from torch import nn

from book.testing import measured
from snippets.explore import explorer_grid as snippet
from gradient_flow import GradientFlowRecorder


def test_presets_are_the_weight_scales_pytorch_draws():
    torch.manual_seed(0)
    n = 1000
    layer = nn.Linear(n, n)
    drawn = {
        "default": layer.weight.detach(),
        "xavier": nn.init.xavier_normal_(torch.empty(n, n)),
        "he": nn.init.kaiming_normal_(torch.empty(n, n)),
        "tanh_gain": nn.init.xavier_normal_(
            torch.empty(n, n), gain=nn.init.calculate_gain("tanh")
        ),
    }
    for name, weight in drawn.items():
        assert float(weight.std()) * math.sqrt(n) == pytest.approx(
            snippet.PRESETS[name], rel=0.01
        ), name
    assert snippet.PRESETS["default"] == pytest.approx(1 / math.sqrt(3))
    assert all(
        any(abs(s - v) < 1e-12 for s in snippet.SIGMAS)
        for v in snippet.PRESETS.values()
    )


@pytest.mark.parametrize("activation", list(snippet.ACTIVATIONS))
def test_closed_form_derivatives_match_autograd(activation):
    u = torch.linspace(-6, 6, 1001, dtype=torch.float64).requires_grad_()
    y = snippet.ACTIVATIONS[activation](u)
    (expected,) = torch.autograd.grad(y.sum(), u)
    got = snippet.DERIVATIVES[activation](u.detach(), y.detach())
    torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-12)


def test_batched_normalisation_is_pytorchs_modules_per_network():
    z = (
        torch.randn(5, 16, 8, dtype=torch.float64)
        * torch.tensor([0.1, 1, 3, 10, 100.0]).double()[:, None, None]
    )
    batch = nn.BatchNorm1d(8, affine=False).double().train()
    layer = nn.LayerNorm(8, elementwise_affine=False).double()
    for norm, module, dim in (("batch", batch, 1), ("layer", layer, 2)):
        u, scale = snippet.normalise(z, norm)
        for k in range(5):  # the very numbers the module gives each network alone
            torch.testing.assert_close(u[k], module(z[k]), rtol=0, atol=0)
        variance = z.var(dim=dim, unbiased=False, keepdim=True)
        torch.testing.assert_close(scale, (variance + 1e-5).rsqrt(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("norm", snippet.NORMS)
def test_written_out_normalisation_backward_is_autograds(norm):
    rng = torch.Generator().manual_seed(3)
    z = torch.randn(4, 16, 8, dtype=torch.float64, generator=rng) * 5 + 2
    g = torch.randn(4, 16, 8, dtype=torch.float64, generator=rng)
    z.requires_grad_()
    u, scale = snippet.normalise(z, norm)
    (expected,) = torch.autograd.grad((u * g).sum(), z)
    got = snippet.normalise_backward(g, u.detach(), scale, norm)
    torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-12)


def test_pack_round_trips_to_a_hundredth_of_a_decade():
    values = [[-59.8312, -59.2, -12.004, 0.0, 3.14159], [1.0, 1.005, 0.99]]
    text = ";".join(snippet.pack(v) for v in values)
    for got, want in zip(snippet.unpack(text), values):
        assert got == pytest.approx(want, abs=0.0051)


class Block(nn.Module):
    """One block of the grid's networks as ordinary modules, for the diagnosis tool."""

    def __init__(self, weight, activation, norm, keep, branch):
        super().__init__()
        self.linear = nn.Linear(*weight.shape, bias=False).double()
        with torch.no_grad():
            self.linear.weight.copy_(weight.T)  # the grid computes z = h W
        width = weight.shape[0]
        self.norm = (
            {
                "batch": nn.BatchNorm1d(width, affine=False),
                "layer": nn.LayerNorm(width, elementwise_affine=False),
            }
            .get(norm, nn.Identity())
            .double()
        )
        self.act = {
            "tanh": nn.Tanh(),
            "sigmoid": nn.Sigmoid(),
            "relu": nn.ReLU(),
            "gelu": nn.GELU(),
        }[activation]
        self.keep, self.branch = keep, branch

    def forward(self, h):
        return self.keep * h + self.branch * self.act(self.norm(self.linear(h)))


CASES = [
    ("relu", "none", "none", 0.5773502691896258, 25),  # forward collapse, level ratio
    ("relu", "none", "none", math.sqrt(2), 25),  # healthy
    ("tanh", "none", "none", 3.0, 25),  # exploding and saturated
    ("sigmoid", "none", "none", 1.0, 25),  # vanishing
    ("relu", "batch", "none", 1.0, 25),  # BatchNorm without skips
    ("gelu", "layer", "scaled", 2.0, 25),
]


@pytest.mark.parametrize("activation, norm, skip, sigma, depth", CASES)
def test_verdict_is_the_diagnosis_tools_on_the_same_network(
    activation, norm, skip, sigma, depth
):
    torch.set_default_dtype(torch.float64)
    try:
        rng = torch.Generator().manual_seed(7)
        width, batch = 32, 16
        weights = torch.randn(1, depth, width, width, generator=rng) / math.sqrt(width)
        inputs, readout = torch.randn(1, batch, width, generator=rng), torch.randn(
            1, batch, width, generator=rng
        )
        grid = snippet.run(
            activation, norm, [depth], weights, inputs, readout, (sigma,), skips=(skip,)
        )[depth]
        _, stats = snippet.summarise(
            {
                k: v.expand(-1, len(snippet.SKIPS), -1, -1) if k != "chi" else v
                for k, v in grid.items()
            },
            10,
        )[skip]

        keep, branch = (
            (0.0, 1.0)
            if skip == "none"
            else (1.0, 1 / math.sqrt(depth) if skip == "scaled" else 1.0)
        )
        model = nn.Sequential(
            *[
                Block(sigma * weights[0, l], activation, norm, keep, branch)
                for l in range(depth)
            ]
        )
        recorder = GradientFlowRecorder(model)
        (model(inputs[0]) * readout[0]).sum().backward()
        recorder.record()
        diagnosis = recorder.diagnose()
    finally:
        torch.set_default_dtype(torch.float32)
    trends = diagnosis["trends"]
    assert stats["trend"][0] == pytest.approx(
        trends["gradient-to-weight ratio"]["trend_decades"], abs=0.01
    )
    assert stats["forward"][0] == pytest.approx(
        trends["layer output std"]["trend_decades"], abs=0.01
    )
    assert set(filter(None, stats["flags"][0].split("+"))) == {
        flag.kind for flag in diagnosis["flags"]
    }


def test_published_grid_is_complete_and_small():
    import gzip
    import json

    results = measured(snippet.__name__, 0)
    expected = results["grid_size"] // len(results["sigmas"])
    assert len(results["profiles"]) == len(results["summary"]) == expected
    for key, record in results["profiles"].items():
        depth = int(key.rsplit("/", 1)[1])
        layers = len(results["layers"][str(depth)])
        for name, text in record.items():
            profiles = snippet.unpack(text)
            assert len(profiles) == len(results["sigmas"]), (key, name)
            assert {len(p) for p in profiles} == {
                layers - 1 if name in ("f", "c") else layers
            }, (key, name)
    text = json.dumps(results, indent=1, sort_keys=True)
    assert len(gzip.compress(text.encode())) < 280_000


def test_deep_chi_of_a_linear_network_is_sigma_squared():
    # χ = σ_w² E[φ′²] with φ′ = 1: an exact check of the quadrature and the recursion.
    import numpy as np

    from snippets.explore import explorer_grid as grid

    assert np.allclose(grid.deep_chi("linear", [0.5, 1.0, 2.0], 10), [0.25, 1.0, 4.0])


def test_crossing_interpolates_in_log_space():
    from snippets.explore import explorer_grid as grid

    assert abs(grid.crossing([1.0, 4.0], [0.5, 2.0]) - 2.0) < 1e-12
    assert grid.crossing([1.0, 2.0], [0.5, 0.9]) is None


def read_like_the_page(files: dict) -> dict:
    """The grid as docs/javascripts/explorer.js assembles it from the published files: the
    index and first view of ``first``, then every slice merged over it (loadGrid, merge)."""
    first = files["first"]
    grid = {**first["index"], "profiles": {}, "summary": {}}

    def merge(setting, slice_):
        for depth, part in slice_.items():
            if "summary" in part:
                grid["summary"][f"{setting}/{depth}"] = part["summary"]
            if "profiles" in part:
                grid["profiles"][f"{setting}/{depth}"] = part["profiles"]

    view = grid["view"]
    merge(f"{view['act']}/{view['norm']}/{view['skip']}", first["slice"])
    first_view = {key: dict(record) for key, record in grid["profiles"].items()}
    for act in grid["activations"]:
        for norm in grid["norms"]:
            for skip in grid["skips"]:
                merge(f"{act}/{norm}/{skip}", files[grid["slice"].format(act=act, norm=norm, skip=skip)])
    return grid, first_view


def test_page_files_hold_the_whole_grid_unchanged():
    """The page's files, read as the page reads them, give every setting's profiles and
    summary exactly as the record publishes them (so every number the page shows is the one
    it showed from the single file), and the first view's file holds its own σ_w's profiles."""
    import gzip
    import json

    results = measured(snippet.__name__, 0)
    files = snippet.publish(results)
    grid, first_view = read_like_the_page(files)
    assert grid["profiles"] == results["profiles"]
    assert grid["summary"] == results["summary"]
    for key in ("activations", "sigmas", "depths", "layers", "norms", "skips", "presets", "thresholds", "draws"):
        assert grid[key] == results[key], key
    deepest = max(results["depths"])
    for act in results["activations"]:
        assert grid["theory"][act]["critical"] == results["theory"][act]["critical"]
        assert grid["xi"][act] == results["summary"][f"{act}/none/none/{deepest}"]["xi"]
    view = grid["view"]
    at = min(range(len(results["sigmas"])), key=lambda i: abs(math.log(results["sigmas"][i] / view["sigma"])))
    (key, record), = first_view.items()
    assert key == f"{view['act']}/{view['norm']}/{view['skip']}/{view['depth']}"
    for name, text in record.items():
        parts = text.split(";")
        assert len(parts) == len(results["sigmas"])
        assert [i for i, part in enumerate(parts) if part] == [at], name
        assert snippet.unpack(parts[at]) == snippet.unpack(results["profiles"][key][name].split(";")[at]), name
    # a first visit loads the first view's file only; a setting chosen later, one slice
    sizes = {name: len(gzip.compress(json.dumps(value, separators=(",", ":")).encode(), 6))
             for name, value in files.items()}
    assert sizes["first"] <= 4 * 1024, sizes["first"]
    assert max(sizes.values()) <= 16 * 1024, max(sizes.items(), key=lambda item: item[1])


# ------------------------------------------------- one program = every network alone


def one_network(activation, norm, skip, sigma, depth, weights, inputs, readout):
    """One network of the grid, one setting, run alone with autograd: what ``run`` computes for
    every network at once, written plainly. weights (layers, width, width), inputs and
    readout (batch, width) of one draw. Returns per-layer tensors (depth,) keyed as ``run``."""
    layers = [(sigma * weights[l]).requires_grad_() for l in range(depth)]
    branch = 1 / math.sqrt(depth) if skip == "scaled" else 1.0
    limit = GradientFlowRecorder.SATURATION_DERIVATIVE
    h, hidden = inputs, []
    out = {key: [] for key in ("spread", "pre_std", "saturated", "dead", "chi", "weight")}
    for W in layers:
        z = h @ W
        if norm == "batch":
            u = nn.functional.batch_norm(z, None, None, training=True)
        elif norm == "layer":
            u = nn.functional.layer_norm(z, z.shape[-1:])
        else:
            u = z
        y = snippet.ACTIVATIONS[activation](u)
        h = y if skip == "none" else h + branch * y
        hidden.append(h)
        with torch.no_grad():  # as the diagnosis tool's forward hooks record them
            out["spread"].append(h.std())
            out["pre_std"].append(z.std())
            out["weight"].append(W.norm())
            saturated = {"tanh": 1 - y * y < limit, "sigmoid": y * (1 - y) < 0.25 * limit}
            out["saturated"].append(
                saturated[activation].double().mean() if activation in saturated else torch.tensor(0.0)
            )
            out["dead"].append(
                (y == 0).all(dim=0).double().mean()
                if activation in ("relu", "leaky_relu") else torch.tensor(0.0)
            )
            out["chi"].append(sigma**2 * snippet.DERIVATIVES[activation](u, y).square().mean())
    grads = torch.autograd.grad((h * readout).sum(), hidden + layers)
    out["grad_h"] = [g.norm() for g in grads[:depth]]
    out["grad_w"] = [g.norm() for g in grads[depth:]]
    return {key: torch.stack(values) for key, values in out.items()}


def assert_run_is_each_network_alone(activation, norm, depths, sigmas, draws, sample=None, seed=11):
    """``run`` over every skip, σ_w, draw and depth against ``one_network`` on each (or on the
    ``sample`` of (σ_w index, draw) pairs): every per-layer value to rtol 1e-9, the saturated
    and dead shares exactly."""
    threads = torch.get_num_threads()
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)  # as the build runs it
    try:
        rng = torch.Generator().manual_seed(seed)
        width, batch = 32, 16
        weights = torch.randn(draws, max(depths), width, width, generator=rng) / math.sqrt(width)
        inputs = torch.randn(draws, batch, width, generator=rng)
        readout = torch.randn(draws, batch, width, generator=rng)
        grid = snippet.run(activation, norm, depths, weights, inputs, readout, sigmas, snippet.SKIPS)
        compared = 0
        for depth in depths:
            assert set(grid[depth]) == {"grad_h", "grad_w", "spread", "pre_std", "saturated", "dead",
                                        "weight"} | ({"chi"} if norm == "none" else set())
            for s, skip in enumerate(snippet.SKIPS):
                for i, sigma in enumerate(sigmas):
                    for d in range(draws):
                        if sample is not None and (i, d) not in sample:
                            continue
                        alone = one_network(activation, norm, skip, sigma, depth,
                                            weights[d], inputs[d], readout[d])
                        where = f"{activation}/{norm}/{skip}/{depth} σ_w={sigma:.3g} draw {d}"
                        for key, value in grid[depth].items():
                            got = value[:, i, d] if key == "chi" else value[:, s, i, d]
                            if key == "chi" and skip != "none":
                                continue
                            exact = key in ("saturated", "dead")
                            torch.testing.assert_close(
                                got, alone[key], rtol=0 if exact else 1e-9, atol=0,
                                msg=lambda m: f"{where}, {key}: {m}")
                        compared += 1
    finally:
        torch.set_default_dtype(torch.float32)
        torch.set_num_threads(threads)
    return compared


@pytest.mark.parametrize("activation", list(snippet.ACTIVATIONS))
def test_one_program_computes_what_each_network_computes_alone(activation):
    """Every normalisation and skip, three σ_w (below, near and beyond the critical one), two
    draws, three depths (so that the scaled skips' per-depth networks and the shallower
    depths' gradients, which start part-way down, are all exercised)."""
    for norm in snippet.NORMS:
        compared = assert_run_is_each_network_alone(
            activation, norm, depths=(2, 5, 9), sigmas=(0.5, 1.2, 3.0), draws=2
        )
        assert compared == 3 * 3 * 3 * 2


@pytest.mark.parametrize("activation, norm", [("tanh", "none"), ("relu", "batch"), ("gelu", "layer")])
def test_one_program_at_the_grids_own_depths(activation, norm):
    """The grid's own depths and σ_w, sampled: at 100 layers a tanh network at σ_w = 3 is
    chaotic (a change in the last bit of the forward pass grows to percents), so agreeing to
    1e-9 there means each network's forward pass is the same arithmetic as alone."""
    sigmas = snippet.SIGMAS
    sample = {(sigmas.index(3.0), 0), (sigmas.index(4.0), 1), (min(range(len(sigmas)),
              key=lambda i: abs(sigmas[i] - math.sqrt(2))), 2)}
    compared = assert_run_is_each_network_alone(
        activation, norm, depths=snippet.DEPTHS, sigmas=sigmas, draws=3, sample=sample
    )
    assert compared == len(snippet.DEPTHS) * len(snippet.SKIPS) * len(sample)
