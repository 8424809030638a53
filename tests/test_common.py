"""Tests for the shared helpers of snippets/common.py that compute (the plot style is tested
through the figures)."""

import torch

from snippets.common import adam_step


def test_adam_step_matches_torch_adam_member_by_member():
    """The transformer chapter's warm-up ensemble: Adam, one learning rate per member."""
    p = torch.nn.Parameter(torch.randn(2, 3, 4))
    copies = [torch.nn.Parameter(p.detach()[i].clone()) for i in range(2)]
    rates = (0.01, 0.003)
    references = [torch.optim.Adam([q], lr=r, betas=(0.9, 0.98), eps=1e-9) for q, r in zip(copies, rates)]
    state = [(torch.zeros_like(p), torch.zeros_like(p))]
    for step in range(1, 4):
        g = torch.randn(2, 3, 4)
        with torch.no_grad():
            adam_step([p], [g], state, torch.tensor(rates), step, betas=(0.9, 0.98), eps=1e-9)
        for i, (q, reference) in enumerate(zip(copies, references)):
            q.grad = g[i].clone()
            reference.step()
    for i, q in enumerate(copies):
        assert torch.allclose(p[i], q, atol=1e-6)


def test_adam_step_with_decay_matches_torch_adamw_member_by_member():
    """The training-instabilities ensemble: AdamW, one learning rate and one ε per member."""
    p = torch.nn.Parameter(torch.randn(2, 3, 4, dtype=torch.float64))
    copies = [torch.nn.Parameter(p.detach()[i].clone()) for i in range(2)]
    rates, eps = (0.01, 0.1), (1e-8, 1e-3)
    references = [torch.optim.AdamW([q], lr=r, betas=(0.9, 0.95), eps=e, weight_decay=1e-4)
                  for q, r, e in zip(copies, rates, eps)]
    state = [(torch.zeros_like(p), torch.zeros_like(p))]
    for step in range(1, 5):
        g = torch.randn(2, 3, 4, dtype=torch.float64) * 1e-3
        with torch.no_grad():
            adam_step([p], [g], state, torch.tensor(rates, dtype=torch.float64), step, (0.9, 0.95),
                      torch.tensor(eps, dtype=torch.float64), weight_decay=1e-4)
        for i, (q, reference) in enumerate(zip(copies, references)):
            q.grad = g[i].clone()
            reference.step()
    for i, q in enumerate(copies):
        assert torch.allclose(p[i], q, atol=1e-12)

