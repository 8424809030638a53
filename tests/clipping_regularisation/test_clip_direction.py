"""Tests for snippets/clipping_regularisation/clip_direction.py."""

import pytest
import torch

from book.testing import measured
from snippets.clipping_regularisation import clip_direction as snippet


def test_cosine_falls_as_more_components_are_clipped():
    entries = list(measured(snippet.__name__, 0)["exploding"]["by_value"].values())
    cosines = [e["cosine"] for e in entries]
    assert cosines[0] == pytest.approx(1.0)  # the 100% quantile clips nothing
    assert cosines == sorted(cosines, reverse=True)


def test_norm_clip_scales_every_layer_by_the_same_factor():
    exploding = measured(snippet.__name__, 0)["exploding"]
    scales = [a / b for a, b in zip(exploding["layer_norms_by_norm"], exploding["layer_norms"])]
    assert max(scales) == pytest.approx(min(scales), rel=1e-4)
    assert scales[0] == pytest.approx(snippet_max_norm() / exploding["total_norm"], rel=1e-4)


def snippet_max_norm():
    return measured(snippet.__name__, 0)["max_norm"]


def test_cosine_helper():
    a = [torch.tensor([1.0, 0.0])]
    assert snippet.cosine(a, [torch.tensor([3.0, 0.0])]) == pytest.approx(1.0)
    assert snippet.cosine(a, [torch.tensor([0.0, 2.0])]) == pytest.approx(0.0)
