"""Tests for snippets/orthogonal_init/deep_linear_training.py."""

import pytest

from book.testing import measured
from snippets.orthogonal_init import deep_linear_training as snippet


def test_orthogonal_product_starts_orthogonal():
    import torch

    from snippets.common import generator

    layers = snippet.init_layers("orthogonal", 6, 2, 8, generator(0))
    product = layers[0]
    for w in layers[1:]:
        product = w @ product
    eye = torch.eye(8).expand(2, 8, 8)
    assert torch.allclose(
        product.detach() @ product.detach().transpose(1, 2), eye, atol=1e-5
    )


def test_gaussian_depth_4_is_slower_than_orthogonal():
    runs = measured(snippet.__name__, 0)["runs"]
    assert (
        runs["gaussian"]["depth_4"]["mean_steps"]
        > runs["orthogonal"]["depth_4"]["mean_steps"]
    )


def test_loss_curves_start_at_one():
    runs = measured(snippet.__name__, 0)["runs"]
    assert all(
        r["median_curve"][0] == pytest.approx(1.0)
        for init in runs.values()
        for r in init.values()
    )


# ------------------------------------------------ the batched program against one network at a time


def _one_network(layers, teacher, eta, steps):
    """The plain reference: one network's list of (n, n) layers, gradient descent on its own."""
    import torch

    layers = [w.clone().requires_grad_() for w in layers]
    n = teacher.shape[0]
    relative, initial = [], None
    for _ in range(steps):
        product = layers[0]
        for w in layers[1:]:
            product = w @ product
        loss = 0.5 * ((product - teacher) ** 2).sum() / n
        initial = float(loss.detach()) if initial is None else initial
        relative.append(float(loss.detach()) / initial)
        if not torch.isfinite(loss):  # diverged: no more updates
            continue
        grads = torch.autograd.grad(loss, layers)
        with torch.no_grad():
            for w, g in zip(layers, grads):
                w -= eta * g
    return relative


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
def test_batched_program_computes_what_each_network_computes_alone(dtype_name):
    """Every (init, depth) pair's networks trained together give each network's loss curve as it
    gives it trained alone: to float64 precision in float64, to float32 precision in float32 (the
    build's type; a lone network's matrix products may round differently from batched ones)."""
    import torch

    from snippets.common import generator

    dtype = getattr(torch, dtype_name)
    networks, n, depths, steps, eta0 = 2, 6, (2, 5, 3), 6, 1.0
    rng = generator(7)
    teacher = (torch.randn(networks, n, n, generator=rng) / n**0.5).to(dtype)
    weights = {
        (init, d): [w.to(dtype) for w in snippet.init_layers(init, d, networks, n, rng)]
        for init in ("orthogonal", "gaussian")
        for d in depths
    }
    configs, curve, alive = snippet.train(weights, teacher, eta0, steps)
    assert [depth for _, depth in configs] == [5, 5, 3, 3, 2, 2]  # deepest first
    assert alive.all()
    for index, (init, depth) in enumerate(configs):
        for k in range(networks):
            alone = _one_network([w[k] for w in weights[(init, depth)]], teacher[k], eta0 / depth, steps)
            together = curve[:, index * networks + k].tolist()
            tolerance = 1e-12 if dtype_name == "float64" else 1e-5
            assert together == pytest.approx(alone, rel=tolerance), (init, depth, k)
    assert (curve[-1] < 0.9).all()  # they trained: the comparison is not of networks standing still


def test_outcome_counts_a_network_only_before_it_diverges():
    import numpy as np

    curve = np.array([[1.0, 1.0, 1.0], [0.5, 0.05, np.inf], [0.08, 0.02, np.inf]])
    result = snippet.outcome(curve, np.array([True, True, False]), target=0.1)
    assert result["steps_to_target"] == [2, 1]
    assert result["diverged"] == 1
    assert result["final_relative_loss"] == pytest.approx(0.05)
