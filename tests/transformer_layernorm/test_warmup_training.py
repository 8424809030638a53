"""Tests for snippets/transformer_layernorm/warmup_training.py."""


from book.testing import measured
from snippets.transformer_layernorm import warmup_training as snippet


def test_every_network_starts_at_about_chance():
    results = measured(snippet.__name__, 0)
    for curve in results["curves"].values():
        assert curve[0] > 0.8 * results["chance_loss"]
