"""Tests for snippets/transformer_layernorm/postln_preln_gradients.py."""


from book.testing import measured
from snippets.transformer_layernorm import postln_preln_gradients as snippet


def test_members_of_the_ensemble_are_independent():
    # The gradient of one member's loss reaches only that member's weights.
    import torch

    from snippets.transformer_layernorm._transformer import Encoder

    model = Encoder("post", 2, ensemble=3, d=8, heads=2, vocab=5, length=4, seed=0)
    tokens = torch.randint(0, 5, (3, 2, 4))
    model(tokens)[1].sum().backward()
    grad = model.blocks[0].w2.grad
    assert grad[1].abs().sum() > 0
    assert grad[0].abs().sum() == 0 and grad[2].abs().sum() == 0


def test_layer_norm_matches_torch():
    import torch

    from snippets.transformer_layernorm._transformer import layer_norm

    h = torch.randn(2, 3, 4, 8)
    expected = torch.nn.functional.layer_norm(h, (8,), eps=1e-5)
    assert torch.allclose(
        layer_norm(h, torch.ones(8), torch.zeros(8)), expected, atol=1e-5
    )


def test_preln_last_layer_shrinks_with_depth():
    by_kind = measured(snippet.__name__, 0)["by_kind"]["pre"]
    assert by_kind["depth_24"]["norms"][-1] < by_kind["depth_6"]["norms"][-1]


def test_ffn_gradients_match_each_network_differentiated_alone():
    # The measurement differentiates the ensemble's summed losses for the W2 matrices only.
    # Reference: each network's own loss and every gradient (backward), in float64.
    import torch

    from snippets.transformer_layernorm._transformer import Encoder

    networks, layers, vocab = 3, 3, 5
    tokens = torch.randint(0, vocab, (networks, 4, 6), generator=torch.Generator().manual_seed(0))
    targets = torch.randint(0, vocab, (networks, 4, 6), generator=torch.Generator().manual_seed(1))
    for kind in ("post", "pre", "deep"):
        measured_norms = snippet.ffn_gradients(kind, layers, 8, 2, tokens, targets, vocab, networks, seed=0)
        squares = torch.zeros(layers, dtype=torch.float64)
        for member in range(networks):
            model = Encoder(kind, layers, ensemble=networks, d=8, heads=2, vocab=vocab, length=6, seed=0).double()
            logits = model(tokens)[member]
            torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), targets[member].reshape(-1)).backward()
            squares += torch.stack([b.w2.grad[member].pow(2).sum() for b in model.blocks])
        reference = (squares / networks).sqrt()  # root-mean-square over the networks
        assert torch.allclose(torch.tensor(measured_norms, dtype=torch.float64), reference, rtol=1e-4)
