"""Tests for snippets/relu_initialisation/dead_relu_units.py."""

import pytest
import torch

from book.testing import measured
from snippets.relu_initialisation import dead_relu_units as snippet


def test_never_fire_fraction_counts_columns_off_on_every_row():
    z = torch.tensor([[-1.0, 2.0, 0.0], [-0.5, -1.0, -3.0]])
    assert snippet.never_fire_fraction(z) == pytest.approx(2 / 3)


def test_dead_fraction_rises_with_learning_rate():
    runs = list(measured(snippet.__name__, 0)["relu"].values())
    after = [run["never_fire_after"] for run in runs]
    assert after[0] < after[-1]
    assert [run["lr"] for run in runs] == sorted(run["lr"] for run in runs)
