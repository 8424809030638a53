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

from book.execute import measure_at
from book.cache import cached_measurements
from book.options import Options
from book.snippets import Snippet

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
