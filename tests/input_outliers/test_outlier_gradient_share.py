"""Tests for snippets/input_outliers/outlier_gradient_share.py."""

import numpy as np

from book.testing import measured
from snippets.input_outliers import outlier_gradient_share as snippet


def test_shares_are_fractions():
    for case in measured(snippet.__name__, 0)["cases"].values():
        assert all(0 <= s <= 1 for s in case["share"])


def test_mse_input_outlier_grows_faster_than_huber():
    cases = measured(snippet.__name__, 0)["cases"]
    assert cases["input_mse"]["own"][-1] > 100 * cases["input_huber"]["own"][-1]


def test_huber_target_share_stays_small():
    share = measured(snippet.__name__, 0)["cases"]["target_huber"]["share"]
    assert max(share) < 0.3
    assert np.ptp(share) < 0.05
