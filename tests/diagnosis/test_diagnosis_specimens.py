"""Tests for snippets/diagnosis/diagnosis_specimens.py."""


from book.testing import measured
from snippets.diagnosis import diagnosis_specimens as snippet


def test_each_broken_specimen_is_flagged_with_one_kind_only():
    specimens = measured(snippet.__name__, 0)["specimens"]
    for name, specimen in specimens.items():
        assert specimen["verdict"] == specimen["expected"], (name, specimen["report"])


def test_reports_name_the_layers_at_fault():
    specimens = measured(snippet.__name__, 0)["specimens"]
    sigmoid = "\n".join(specimens["sigmoid"]["report"])
    assert "VANISHING" in sigmoid and "at fault: 0.0.weight" in sigmoid
    assert "exactly zero gradient" in sigmoid  # the first layers' gradients underflow
    assert "at fault: blocks.0.0.weight" in "\n".join(specimens["plain_bn"]["report"])
    assert "no flag" in "\n".join(specimens["relu_he"]["report"])


def test_profiles_have_one_value_per_layer_or_time_step():
    results = measured(snippet.__name__, 0)
    for name, specimen in results["specimens"].items():
        expected = results["steps"] if name in ("rnn", "lstm") else results["depth"]
        assert len(specimen["profile"]) == expected
