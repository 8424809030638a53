"""Tests for snippets/orthogonal_init/jacobian_spectrum.py."""


from book.testing import measured
from snippets.orthogonal_init import jacobian_spectrum as snippet


def test_jacobian_matches_autograd():
    import torch

    from snippets.common import generator

    J = snippet.jacobian("gaussian", "tanh", 5, 8, generator(3))
    # rebuild the same network from the same stream and differentiate it
    rng = generator(3)
    h0 = torch.randn(8, dtype=torch.float64, generator=rng)
    weights = [snippet.weights("gaussian", 8, rng) for _ in range(5)]

    def net(h):
        for w in weights:
            h = torch.tanh(w @ h)
        return h

    assert torch.allclose(J, torch.autograd.functional.jacobian(net, h0), atol=1e-12)


def test_gaussian_spread_grows_with_depth():
    cases = measured(snippet.__name__, 0)["cases"]["linear_gaussian"]
    spreads = [cases[f"depth_{d}"]["log10_spread"] for d in (10, 20, 50)]
    assert spreads == sorted(spreads)


def test_orthogonal_weights_are_orthogonal():
    import torch

    from snippets.common import generator

    w = snippet.weights("orthogonal", 16, generator(0))
    assert torch.allclose(w @ w.T, torch.eye(16, dtype=torch.float64), atol=1e-12)


def test_an_orthogonal_jacobian_passes_every_direction_whole():
    import torch

    from snippets.orthogonal_init import jacobian_spectrum as snippet

    J = snippet.jacobian("orthogonal", "linear", 20, 16, torch.Generator().manual_seed(0))
    assert abs(snippet.spectrum_stats(J)["log_direction_gain"]) < 1e-12
