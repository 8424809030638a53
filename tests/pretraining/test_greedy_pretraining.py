"""Tests for snippets/pretraining/greedy_pretraining.py."""

import pytest
import torch

from book.testing import measured
from snippets.common import generator
from snippets.pretraining import greedy_pretraining as snippet


def test_random_and_pretrained_start_from_the_same_weights():
    x, _ = snippet.make_task(generator(0), 64)
    arms, _ = snippet.build_arms(3, 8, 16, x, 0, 1e-2, seed=0)  # zero pretraining steps
    for a, b in zip(arms["random"].parameters(), arms["pretrained"].parameters()):
        assert torch.equal(a, b)


def test_pretraining_changes_only_the_hidden_layers():
    x, _ = snippet.make_task(generator(0), 64)
    arms, errors = snippet.build_arms(3, 8, 16, x, 5, 1e-2, seed=0)
    assert len(errors) == 3
    assert torch.equal(arms["random"].head.weight, arms["pretrained"].head.weight)
    assert not torch.equal(arms["random"].layers[0].weight, arms["pretrained"].layers[0].weight)


def test_one_gradient_per_layer():
    results = measured(snippet.__name__, 0)
    for entry in results["by_arm"].values():
        assert len(entry["weight"]) == len(entry["hidden"]) == results["depth"]


def test_one_change_arms_change_one_thing():
    # sigmoid + Xavier has the modern network's weights; tanh + default has the random network's.
    x, _ = snippet.make_task(generator(0), 64)
    arms, _ = snippet.build_arms(3, 8, 16, x, 0, 1e-2, seed=0)
    for one_change, twin in (("sigmoid_xavier", "modern"), ("tanh_default", "random")):
        assert arms[one_change].act is not arms[twin].act
        for a, b in zip(arms[one_change].parameters(), arms[twin].parameters()):
            assert torch.equal(a, b)


def test_data_alignment_is_one_for_the_data_directions_and_chance_for_random_ones():
    x, _ = snippet.make_task(generator(0), 512)
    directions = torch.linalg.svd(x - x.mean(dim=0), full_matrices=False).Vh[:4]
    assert snippet.data_alignment(directions, x, 4) == pytest.approx(1.0, abs=1e-5)
    chance = [snippet.data_alignment(torch.randn(32, 16, generator=generator(s)), x, 4) for s in range(50)]
    assert sum(chance) / len(chance) == pytest.approx(4 / 16, abs=0.05)


def test_ensemble_gain_includes_the_seed_run():
    results = measured(snippet.__name__, 0)
    assert len(results["gain_runs"]) == results["runs"]
    assert results["gain_runs"][0] == pytest.approx(results["pretraining_gain_decades"], abs=1e-5)
    assert results["gain_min"] <= results["gain_median"] <= results["gain_max"]


def test_ablations_keep_exactly_the_property_they_name():
    x, _ = snippet.make_task(generator(0), 64)
    arms, _ = snippet.build_arms(3, 8, 16, x, 5, 1e-2, seed=0)
    random_net, pretrained = arms["random"], arms["pretrained"]
    svd = torch.linalg.svd
    for kind in snippet.ABLATIONS:
        net = snippet.ablated(random_net, pretrained, kind)
        for layer, rnd, pre in zip(net.layers, random_net.layers, pretrained.layers):
            s, s_r, s_p = (svd(m.weight.detach()).S for m in (layer, rnd, pre))
            assert torch.equal(layer.bias, rnd.bias)
            if kind == "rescaled":  # the random weights, scaled: same directions, top value the pretrained one's
                assert s[0] == pytest.approx(float(s_p[0]), rel=1e-5)
                assert torch.allclose(layer.weight / layer.weight.norm(), rnd.weight / rnd.weight.norm(), atol=1e-6)
            elif kind == "spectrum_random_directions":
                assert torch.allclose(s, s_p, rtol=1e-4, atol=1e-6)
                v_r, v = svd(rnd.weight.detach()).Vh[0], svd(layer.weight.detach()).Vh[0]
                assert abs(float(v_r @ v)) == pytest.approx(1.0, abs=1e-4)
            else:
                assert torch.allclose(s, s_r, rtol=1e-4, atol=1e-6)
                v_p, v = svd(pre.weight.detach()).Vh[0], svd(layer.weight.detach()).Vh[0]
                assert abs(float(v_p @ v)) == pytest.approx(1.0, abs=1e-4)
    # the random network itself is left as it was
    fresh, _ = snippet.build_arms(3, 8, 16, x, 0, 1e-2, seed=0)
    for a, b in zip(random_net.parameters(), fresh["random"].parameters()):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="unknown ablation"):
        snippet.ablated(random_net, pretrained, "nonsense")


def test_ablation_gains_cover_every_run():
    results = measured(snippet.__name__, 0)
    for kind in snippet.ABLATIONS:
        entry = results["ablation"][kind]
        assert len(entry["gain_runs"]) == results["runs"]
        assert entry["share_of_pretrained"] == pytest.approx(entry["gain_median"] / results["gain_median"], rel=1e-3)
