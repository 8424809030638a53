"""Tests for snippets/input_outliers/outlier_training.py."""


from book.testing import measured
from snippets.input_outliers import outlier_training as snippet


def test_divergence_follows_the_outlier():
    # The MSE run can only blow up once the outlier has been in a batch.
    mse = measured(snippet.__name__, 0)["by_run"]["mse"]
    assert mse["batches_with_outlier"] >= 1


def test_stable_runs_record_every_step():
    results = measured(snippet.__name__, 0)
    for run in ("clean", *snippet.STABLE):
        assert len(results["by_run"][run]["curve"]) == results["steps"]


def test_per_sample_clipping_bounds_each_sample():
    import torch

    from snippets.common import generator

    model = snippet.make_model(4, 8, generator(0))
    x = torch.randn(5, 4, generator=generator(1))
    x[0] *= 1000
    y = torch.zeros(5)
    grads = snippet.per_sample_clipped_gradient(model, x, y, max_norm=1.0)
    total = torch.sqrt(sum(g.pow(2).sum() for g in grads.values()))
    assert float(total) <= 1.0 + 1e-5  # the mean of vectors of norm ≤ 1


def test_plain_standardisation_diverges_at_the_build_seed():
    # The page reports this run at the build seed; it is not a claim, because it does not hold at every seed.
    assert measured(snippet.__name__, 0)["by_run"]["standardised"]["diverged"]
