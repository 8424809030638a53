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
    assert "exactly zero gradient" not in sigmoid  # tiny in float32, but not zero
    assert "first 0.0.weight 0.00e+00" not in sigmoid
    assert "at fault: blocks.0.0.weight" in "\n".join(specimens["plain_bn"]["report"])
    assert "no flag" in "\n".join(specimens["relu_he"]["report"])


def test_profiles_have_one_value_per_layer_or_time_step():
    results = measured(snippet.__name__, 0)
    for name, specimen in results["specimens"].items():
        expected = results["steps"] if name in ("rnn", "lstm") else results["depth"]
        assert len(specimen["profile"]) == expected


def test_the_quoted_report_lines_are_the_range_trend_flag_and_layers():
    report = measured(snippet.__name__, 0)["specimens"]["sigmoid"]["report"]
    assert report[1].lstrip().startswith("gradient/weight ratio: first")
    assert report[2].lstrip().startswith("trend of gradient-to-weight ratio")
    assert report[4].lstrip().startswith("VANISHING") and report[5].lstrip().startswith("at fault:")


def test_faults_are_reported_and_a_repeated_record_is_not_stored():
    faults = measured(snippet.__name__, 0)["faults"]
    assert faults["none"]["healthy"] and faults["none"]["flags"] == "none"
    assert faults["nan_input"]["flags"] == faults["inf_gradient"]["flags"] == "nonfinite"
    assert faults["zero_gradient"]["flags"] == "zero_gradient"
    assert "zero_gradient" in faults["cut_layer"]["flags"].split("+")  # (and the units after it are dead)
    assert faults["repeated_record"]["says"].startswith("warns:") and faults["repeated_record"]["steps_stored"] == 1
