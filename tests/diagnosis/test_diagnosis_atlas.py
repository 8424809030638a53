"""Tests for snippets/diagnosis/diagnosis_atlas.py."""


from book.testing import measured
from snippets.diagnosis import diagnosis_atlas as snippet


def test_wrong_weight_scales_are_caught_by_the_forward_signal_not_the_ratio_profile():
    cases = measured(snippet.__name__, 0)["cases"]
    for name in ("linear_below", "linear_above", "relu_small", "relu_large"):
        assert abs(cases[name]["trend"]) < 2, name  # the ratio profile is level …
        assert abs(cases[name]["forward_trend"]) > 2, name  # … the forward signal is not


def test_lstm_forget_bias_slows_the_decay_monotonically():
    cases = measured(snippet.__name__, 0)["cases"]
    trends = [cases[name]["trend"] for name in ("rnn", "lstm_f0", "lstm_f1", "lstm_f2")]
    assert trends[1] < trends[2] < trends[3]
    assert trends[0] < trends[3]


def test_clipping_lowers_the_level():
    assert measured(snippet.__name__, 0)["clipping_scale"] < 0.1


def test_float16_zeroes_a_superset_of_the_float32_zeros():
    cases = measured(snippet.__name__, 0)["cases"]
    float16, float32 = cases["sigmoid_float16"]["profile"], cases["sigmoid"]["profile"]
    assert all(a == 0 for a, b in zip(float16, float32) if b == 0)


def test_post_ln_transformer_layers_are_distinct():
    # Built layer by layer: nn.TransformerEncoder would have copied one layer's weights to all.
    import torch

    from snippets.diagnosis._specimens import PostLNTransformer

    model = PostLNTransformer(3, 16, seed=0)
    first, second = (layer.linear1.weight for layer in model.layers[:2])
    assert not torch.equal(first, second)
