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
