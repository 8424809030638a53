"""Tests for snippets/diagnosis/diagnosis_training.py."""


from book.testing import measured
from snippets.diagnosis import diagnosis_training as snippet


def test_one_update_ratio_per_step_and_layer():
    results = measured(snippet.__name__, 0)
    for run in results["runs"].values():
        assert len(run["updates_first"]) == len(run["grad_first"]) == results["steps"]
        assert len(run["median_update"]) == results["depth"]


def test_relu_run_learns_and_is_not_flagged():
    run = measured(snippet.__name__, 0)["runs"]["relu_sgd"]
    assert run["loss_last"] < run["loss_first"]
    assert run["last_step_flags"] == []
