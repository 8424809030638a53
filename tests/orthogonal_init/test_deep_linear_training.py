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
