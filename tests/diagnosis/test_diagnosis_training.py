"""Tests for snippets/diagnosis/diagnosis_training.py."""

import pytest

from book.testing import assert_claim, claim_cases, measured
from snippets.diagnosis import diagnosis_training as snippet


@pytest.mark.parametrize("claim, seed", claim_cases(snippet))
def test_claim(claim, seed):
    assert_claim(snippet, claim, seed)


def test_one_update_ratio_per_step_and_layer():
    results = measured(snippet.__name__, 0)
    for run in results["runs"].values():
        assert len(run["updates_first"]) == len(run["grad_first"]) == results["steps"]
        assert len(run["median_update"]) == results["depth"]


def test_relu_run_learns_and_is_not_flagged():
    run = measured(snippet.__name__, 0)["runs"]["relu_sgd"]
    assert run["loss_last"] < run["loss_first"]
    assert run["last_step_flags"] == []
