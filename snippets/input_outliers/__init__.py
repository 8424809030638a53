"""Input outliers — one extreme sample can own the batch gradient."""
