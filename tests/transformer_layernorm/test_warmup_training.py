"""Tests for snippets/transformer_layernorm/warmup_training.py."""


from book.testing import measured
from snippets.transformer_layernorm import warmup_training as snippet


def test_adam_step_matches_torch_adam():
    import torch

    p = torch.nn.Parameter(torch.randn(2, 3, 4))
    q = torch.nn.Parameter(p.detach().clone())
    reference = torch.optim.Adam([q], lr=0.01, betas=(0.9, 0.98), eps=1e-9)
    state = [(torch.zeros_like(p), torch.zeros_like(p))]
    for step in range(1, 4):
        g = torch.randn(2, 3, 4)
        with torch.no_grad():
            snippet.adam_step([p], [g], state, torch.full((2,), 0.01), step)
        q.grad = g.clone()
        reference.step()
    assert torch.allclose(p, q, atol=1e-6)


def test_every_network_starts_at_about_chance():
    results = measured(snippet.__name__, 0)
    for curve in results["curves"].values():
        assert curve[0] > 0.8 * results["chance_loss"]
