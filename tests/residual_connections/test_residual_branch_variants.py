"""Tests for snippets/residual_connections/residual_branch_variants.py."""

import pytest

from book.testing import measured
from snippets.residual_connections import residual_branch_variants as snippet


def test_naive_gradient_factor_is_also_about_sqrt2():
    naive = measured(snippet.__name__, 0)["by_variant"]["naive"]
    assert naive["gradient_factor"] == pytest.approx(2**0.5, rel=0.1)


def test_batch_norm_branch_grows_activations_like_sqrt_depth():
    # Each normalised branch adds a term of mean square about one: ‖h_L‖² ≈ (L + 1) ‖h_0‖².
    results = measured(snippet.__name__, 0)
    last = results["by_variant"]["batch_norm"]["activation_last"]
    assert last == pytest.approx((results["depth"] + 1) ** 0.5, rel=0.3)


def test_zero_init_block_is_the_identity():
    from snippets.common import residual_mlp

    import torch

    model = residual_mlp(3, 8, zero_last=True, seed=1)
    x = torch.randn(4, 8)
    assert torch.equal(model(x), x)
