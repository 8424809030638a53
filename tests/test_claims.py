"""Every claim of every snippet, at every claim seed, under two numeric backends.

``native``: PyTorch's kernels for this CPU (AVX2, AVX-512, NEON …), as the site build uses.
``default``: PyTorch's non-vectorised kernels (``ATEN_CPU_CAPABILITY=default``), whose floats
differ in the last bits: a claim that holds with one set of kernels only fails here, on
every machine, instead of on a reader's.

The measurements come from the build cache when it matches the code (the site build fills
the native one; a claims-only pass in a child process fills the default one) and are run
only when missing. Each case re-evaluates the claim from the current module on the
measured results, so editing a bound takes effect without measuring again.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from book.chapters import selected_snippets
from book.claims import CLAIM_SEEDS, validate_claims
from book.cache import cached_measurements
from book.options import Options
from book.runner import Status, run_all

REPO = Path(__file__).resolve().parent.parent
#: Every snippet, or one chapter's under BOOK_CHAPTER (``make test CHAPTER=<slug>``).
SNIPPETS = selected_snippets(REPO)
#: What to bring up to date: everything (no glob), or the chapter's snippets only.
ONLY = () if len(SNIPPETS) == len(selected_snippets(REPO, env={})) else tuple(s.id for s in SNIPPETS)
BACKENDS = ("native", "default")


def _cases():
    for snippet in SNIPPETS:
        claims = validate_claims(snippet.id, importlib.import_module(snippet.module).CLAIMS)
        for claim in claims:
            for seed in CLAIM_SEEDS:
                for backend in BACKENDS:
                    yield pytest.param(snippet, claim.id, seed, backend, id=f"{snippet.id}-{claim.id}-seed{seed}-{backend}")


def _current_kernels() -> str:
    return os.environ.get("ATEN_CPU_CAPABILITY", "").strip() or "native"


@pytest.fixture(scope="module")
def measurements() -> dict:
    """{backend: {snippet id: {seed: results} or an error message}}, filled lazily per backend."""
    return {}


def _bring_up_to_date(backend: str) -> dict:
    options = Options.from_env()
    kernels = _current_kernels() if backend == "native" else backend
    if backend == "native":
        # The same cache and options as the site build: a build that ran first leaves nothing to do.
        outcomes = run_all(REPO, dataclasses.replace(options, only=ONLY))
        errors = {o.snippet.id: o.error for o in outcomes if o.status is Status.FAILED}
        options = dataclasses.replace(options, kernels=kernels)
    else:
        # A child process, so that torch loads with the other kernels from its first import.
        claims_only = dataclasses.replace(options, kernels=kernels, figures=False, only=ONLY)
        env = {**os.environ, "ATEN_CPU_CAPABILITY": kernels, "BOOK_ONLY": ",".join(ONLY)}
        result = subprocess.run(
            [sys.executable, "-m", "book.runner", str(REPO), "--claims-only"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=3600,
        )
        errors = {}
        if result.returncode != 0:
            for snippet in SNIPPETS:
                if cached_measurements(snippet, REPO, claims_only) is None:
                    errors[snippet.id] = result.stdout[-3000:] + result.stderr[-2000:]
        options = claims_only
    found = {}
    for snippet in SNIPPETS:
        cached = cached_measurements(snippet, REPO, options)
        found[snippet.id] = cached if cached is not None else errors.get(snippet.id, "no measurement was cached")
    return found


@pytest.mark.parametrize("snippet, claim_id, seed, backend", list(_cases()))
def test_claim(snippet, claim_id, seed, backend, measurements):
    if backend not in measurements:
        measurements[backend] = _bring_up_to_date(backend)
    found = measurements[backend][snippet.id]
    assert not isinstance(found, str), f"{snippet.id} ({backend} kernels) has no measurement: {found}"
    claim = next(c for c in importlib.import_module(snippet.module).CLAIMS if c.id == claim_id)
    verdict = claim.evaluate(found[seed], seed)
    assert verdict.passed, f"[{backend} kernels] " + verdict.describe(snippet.id)
