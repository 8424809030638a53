"""pytest helpers: every claim of a snippet, checked at every seed of CLAIM_SEEDS.

A snippet's test module needs two lines::

    @pytest.mark.parametrize("claim, seed", claim_cases(snippet))
    def test_claim(claim, seed):
        assert_claim(snippet, claim, seed)
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType

import pytest

from book.claims import CLAIM_SEEDS, Claim, validate_claims
from book.execute import measure_at


def claim_cases(module: ModuleType, seeds=CLAIM_SEEDS) -> list:
    """One pytest case per (claim, seed), with readable ids such as ``slope_matches-seed3``."""
    claims = validate_claims(module.__name__, getattr(module, "CLAIMS", None))
    return [pytest.param(claim, seed, id=f"{claim.id}-seed{seed}") for claim in claims for seed in seeds]


@functools.cache
def measured(module_name: str, seed: int) -> dict:
    """measure(seed=seed) under the build's determinism settings, computed once per session."""
    return measure_at(importlib.import_module(module_name), seed)


def assert_claim(module: ModuleType, claim: Claim, seed: int) -> None:
    verdict = claim.evaluate(measured(module.__name__, seed), seed)
    assert verdict.passed, verdict.describe(module.__name__.rsplit(".", 1)[-1])
