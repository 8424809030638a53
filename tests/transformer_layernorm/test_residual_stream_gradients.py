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


def test_gradients_match_each_network_differentiated_alone(monkeypatch):
    # The measurement differentiates the ensemble's summed losses for the stream, the
    # LayerNorms' inputs and outputs and W2 only. Reference: each network's own loss and
    # every gradient (retain_grad, backward), in float64, the tensors taken from
    # Encoder.forward itself (each block's input and output, each layer_norm's input and output).
    from snippets.transformer_layernorm import _transformer

    networks, layers, vocab = 3, 3, 5
    tokens = torch.randint(0, vocab, (networks, 4, 6), generator=torch.Generator().manual_seed(0))
    targets = torch.randint(0, vocab, (networks, 4, 6), generator=torch.Generator().manual_seed(1))
    plain_layer_norm = _transformer.layer_norm

    def kept(tensor, into):
        tensor.retain_grad()
        into.append(tensor)
        return tensor

    for kind in ("pre", "post"):
        out = snippet.stream_gradients(kind, layers, d=8, heads=2, tokens=tokens, targets=targets, vocab=vocab, seed=0)
        for member in range(networks):
            model = Encoder(kind, layers, ensemble=networks, d=8, heads=2, vocab=vocab, length=6, seed=0).double()
            stream, normalised = [], []  # x_0 … x_L; every LN's (input, output) in order
            model.blocks[0].register_forward_pre_hook(lambda module, args: (kept(args[0], stream),))
            for block in model.blocks:
                block.register_forward_hook(lambda module, args, output: kept(output, stream))
            monkeypatch.setattr(_transformer, "layer_norm",
                                lambda h, *ln: kept(plain_layer_norm(kept(h, normalised), *ln), normalised))
            logits = model(tokens)
            monkeypatch.undo()
            loss = torch.nn.functional.cross_entropy(logits[member].reshape(-1, vocab), targets[member].reshape(-1))
            loss.backward()

            def close(measured, reference):
                return torch.allclose(measured.double(), torch.tensor(reference, dtype=torch.float64), rtol=1e-4)

            assert close(out["grad"][:, member], [float(x.grad[member].norm()) for x in stream])
            assert close(out["w2"][:, member], [float(b.w2.grad[member].norm()) for b in model.blocks])
            if kind == "post":  # each LN's input u and output x'
                pairs = zip(normalised[0::2], normalised[1::2])
                assert close(out["ln_gain"][:, member],
                             [float(u.grad[member].norm() / after.grad[member].norm()) for u, after in pairs])
