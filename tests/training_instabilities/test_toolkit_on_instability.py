"""Tests for snippets/training_instabilities/toolkit_on_instability.py."""

from book.testing import measured
from snippets.training_instabilities import toolkit_on_instability as snippet


def test_control_learns_and_high_rate_runs_do_not():
    results = measured(snippet.__name__, 0)
    assert results["control"]["final_loss"] < 0.5
    assert all(r["final_loss"] > 0.5 for r in results["runs"])


def test_recorded_steps_follow_every():
    results = measured(snippet.__name__, 0)
    every = 4
    assert results["control"]["recorded_steps"] == list(range(0, results["steps"], every))
