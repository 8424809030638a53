"""Tests for snippets/pretraining/pretraining_finetune.py."""


from book.testing import measured
from snippets.pretraining import pretraining_finetune as snippet


def test_every_arm_beats_the_majority_class_on_held_out_data():
    results = measured(snippet.__name__, 0)
    for entry in results["by_arm"].values():
        assert entry["test_accuracy"] > results["majority_class"]


def test_all_arms_train_for_the_same_number_of_steps():
    results = measured(snippet.__name__, 0)
    assert {len(entry["losses"]) for entry in results["by_arm"].values()} == {results["steps"]}


def test_accuracy_bounds_are_many_held_out_samples():
    # A bound of 0.03 must mean dozens of samples, so that a tie or a handful cannot pass it.
    results = measured(snippet.__name__, 0)
    for claim in snippet.CLAIMS:
        if claim.id in ("pretrained_generalises_better", "modern_recipe_beats_pretraining"):
            assert claim.at_least * results["test_samples"] >= 100
