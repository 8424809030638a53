"""Tests for snippets/weight_scale/tanh_scale_depth_map.py."""

import numpy as np

from book.testing import measured
from snippets.weight_scale import tanh_scale_depth_map as snippet


def test_grid_shape():
    results = measured(snippet.__name__, 0)
    shape = (len(results["scales"]), len(results["depths"]))
    for key in ("tanh_log_ratio", "linear_log_ratio", "theory_log_ratio"):
        assert np.array(results[key]).shape == shape


def test_tanh_never_exceeds_linear_above_critical():
    # Saturation can only take gradient away relative to the linear network (tanh' ≤ 1).
    results = measured(snippet.__name__, 0)
    tanh, linear = np.array(results["tanh_log_ratio"]), np.array(results["linear_log_ratio"])
    above = np.array(results["scales"]) > 1
    assert (tanh[above] < linear[above] + 0.3).all()


def test_vanishing_deepens_with_depth_below_critical():
    results = measured(snippet.__name__, 0)
    row = np.array(results["tanh_log_ratio"])[results["scales"].index(0.5)]
    assert (np.diff(row) < 0).all()
