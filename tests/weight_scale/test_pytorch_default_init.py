"""Tests for snippets/weight_scale/pytorch_default_init.py."""

import math

import pytest
import torch

from book.testing import measured
from snippets.weight_scale import pytorch_default_init as snippet


def test_kaiming_uniform_with_a_sqrt5_is_uniform_one_over_sqrt_fan_in():
    # The derivation on the page: gain √(2/(1+a²)) = √(1/3), bound √3 · gain / √n = 1/√n.
    gain = torch.nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    assert gain == pytest.approx(math.sqrt(1 / 3))
    assert math.sqrt(3) * gain == pytest.approx(1.0)


def test_matched_initialisations_keep_the_gradient():
    networks = measured(snippet.__name__, 0)["networks"]
    assert abs(networks["tanh_xavier"]["decades"]) < 1.5
    assert abs(networks["relu_he"]["decades"]) < 1.5
