"""pytest helpers for the snippets' test modules.

Every claim of every snippet is checked, at every seed of CLAIM_SEEDS and under both
numeric backends, by one parametrised test (``tests/test_claims.py``); a snippet's own
test module holds only its hand-written checks, and reads the measurements with
:func:`measured`, which takes them from the build cache when the cache matches the code
under test and measures only what is missing.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

from book.claims import CLAIM_SEEDS
from book.execute import measure_at
from book.runner import Options, Snippet, cached_measurements

ROOT = Path(__file__).resolve().parent.parent


def snippet_of(module_name: str) -> Snippet:
    module = importlib.import_module(module_name)
    return Snippet(module_name.rsplit(".", 1)[-1], module_name, Path(module.__file__).resolve())


@functools.cache
def _cached(module_name: str) -> dict[int, dict] | None:
    return cached_measurements(snippet_of(module_name), ROOT, Options.from_env())


@functools.cache
def measured(module_name: str, seed: int) -> dict:
    """measure(seed=seed) as the build measured it (from its cache), or measured now if missing.

    Either way the values have been through JSON, as the published results have.
    """
    cached = _cached(module_name)
    if cached is not None and seed in cached:
        return cached[seed]
    import json

    results = measure_at(importlib.import_module(module_name), seed)
    return json.loads(json.dumps(results))


# Kept for test modules written before the central claims test: they check the same claims.
def claim_cases(module, seeds=CLAIM_SEEDS) -> list:
    import pytest

    from book.claims import validate_claims

    claims = validate_claims(module.__name__, getattr(module, "CLAIMS", None))
    return [pytest.param(claim, seed, id=f"{claim.id}-seed{seed}") for claim in claims for seed in seeds]


def assert_claim(module, claim, seed: int) -> None:
    verdict = claim.evaluate(measured(module.__name__, seed), seed)
    assert verdict.passed, verdict.describe(module.__name__.rsplit(".", 1)[-1])
