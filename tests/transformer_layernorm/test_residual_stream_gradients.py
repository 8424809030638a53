"""Tests for snippets/transformer_layernorm/residual_stream_gradients.py."""

import torch

from book.testing import measured
from snippets.transformer_layernorm import residual_stream_gradients as snippet
from snippets.transformer_layernorm._transformer import Encoder


def test_step_by_step_forward_is_the_encoders():
    # The measurement unrolls Encoder.forward to keep the stream; it must be the same network.
    tokens = torch.randint(0, 5, (2, 3, 4), generator=torch.Generator().manual_seed(0))
    targets = torch.randint(0, 5, (2, 3, 4), generator=torch.Generator().manual_seed(1))
    for kind in ("pre", "post"):
        # 2 heads, not the Encoder's default 4: the measurement must pass its own on
        out = snippet.stream_gradients(kind, 3, d=8, heads=2, tokens=tokens, targets=targets, vocab=5, seed=0)
        model = Encoder(kind, 3, ensemble=2, d=8, heads=2, vocab=5, length=4, seed=0)
        assert torch.allclose(out["logits"], model(tokens).detach(), atol=1e-6)


def test_layernorm_factor_is_one_over_std_for_a_gradient_it_passes_whole():
    # The LN Jacobian is a projection over σ(u): a gradient orthogonal to 1 and to û comes
    # out divided by σ(u) exactly (float64, no recorder involved).
    from snippets.transformer_layernorm._transformer import layer_norm

    g = torch.Generator().manual_seed(0)
    u = (3.0 * torch.randn(1, 1, 1, 16, generator=g, dtype=torch.float64)).requires_grad_()
    v = torch.randn(16, generator=g, dtype=torch.float64)
    centred = (u - u.mean()).detach().flatten()
    v = v - v.mean()
    v = v - (v @ centred) / (centred @ centred) * centred
    out = layer_norm(u, torch.ones(16, dtype=torch.float64), torch.zeros(16, dtype=torch.float64))
    (out.flatten() @ v).backward()
    sigma = float(centred.pow(2).mean().add(1e-5).sqrt())
    assert torch.allclose(u.grad.flatten().norm(), v.norm() / sigma)


def test_preln_stream_gradient_rises_toward_the_input():
    grad = measured(snippet.__name__, 0)["pre"]["grad"]
    assert grad[0] > 2 * grad[-1]
