"""Tests for snippets/clipping_regularisation/rnn_clipping_training.py."""

import pytest
import torch

from book.testing import assert_claim, claim_cases, measured
from snippets.clipping_regularisation import rnn_clipping_training as snippet
from snippets.common import generator


@pytest.mark.parametrize("claim, seed", claim_cases(snippet))
def test_claim(claim, seed):
    assert_claim(snippet, claim, seed)


def test_recurrent_matrix_has_the_requested_spectral_radius():
    rnn, _ = snippet.tanh_rnn(16, 2.0, generator(0))
    radius = torch.linalg.eigvals(rnn.weight_hh_l0.detach()).abs().max()
    assert float(radius) == pytest.approx(2.0, rel=1e-4)


def test_both_runs_start_from_the_same_loss():
    runs = measured(snippet.__name__, 0)["runs"]
    assert runs["clipped"]["first_loss"] == runs["unclipped"]["first_loss"] == runs["loose"]["first_loss"]
