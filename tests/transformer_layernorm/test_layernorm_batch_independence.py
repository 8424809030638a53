"""Tests for snippets/transformer_layernorm/layernorm_batch_independence.py."""


from book.testing import measured
from snippets.transformer_layernorm import layernorm_batch_independence as snippet


def test_layernorm_gradient_of_one_example_ignores_the_others():
    import torch

    model = snippet.plain_net(5, 16, "layer", seed=0)
    x = torch.randn(8, 16, requires_grad=True)
    model(x)[0].sum().backward()
    assert (
        torch.count_nonzero(x.grad[1:]) == 0
    )  # example 0's output depends on x[0] only


def test_batchnorm_gradient_of_one_example_reaches_the_others():
    import torch

    model = snippet.plain_net(5, 16, "batch", seed=0)
    x = torch.randn(8, 16, requires_grad=True)
    model(x)[0].sum().backward()
    assert x.grad[1:].abs().sum() > 0


def test_without_norm_the_profile_is_level_too():
    ratio = measured(snippet.__name__, 0)["profiles"]["none"]["first_over_last"]
    assert 0.2 < ratio < 5
