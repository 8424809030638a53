"""Claims: a sentence a reader understands, plus a check on measured numbers.

A snippet lists its claims in a module-level ``CLAIMS`` tuple. The build evaluates
every claim on the results of each seed in :data:`CLAIM_SEEDS`; the tests do the
same, one parametrised case per claim and seed. A claim that fails stops the build.

This module imports nothing heavy, so the site generator can use it without torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

#: Seed whose results fill the figures and the prose.
BUILD_SEED = 0
#: Seeds at which every claim is checked, by the build and by the tests.
CLAIM_SEEDS = (0, 1, 2, 3, 4)


def format_measured(number: float, fmt: str) -> str:
    """``format(number, fmt)``, accepting an integral float for an integer spec such as ``d``."""
    if fmt.endswith("d") and float(number).is_integer():
        number = int(number)  # counts are measured as floats
    return format(number, fmt)


@dataclass(frozen=True)
class Claim:
    """A tested statement about a snippet's measured results.

    ``value`` extracts one number (or a bool) from the dict that ``measure`` returned.
    The check is a closed interval ``[at_least, at_most]`` (either end may be open),
    or, for a bool value, that it is true.
    """

    id: str
    statement: str
    value: Callable[[Mapping[str, Any]], float | bool]
    at_least: float | None = None
    at_most: float | None = None
    #: Python format spec used to print the measured value and the bounds.
    fmt: str = ".3g"

    def __post_init__(self) -> None:
        if not self.id.replace("_", "").isalnum():
            raise ValueError(f"claim id {self.id!r} must be letters, digits and underscores")
        if not self.statement.strip():
            raise ValueError(f"claim {self.id!r} has an empty statement")

    def _format(self, number: float) -> str:
        return format_measured(number, self.fmt)

    @property
    def check(self) -> str:
        """The check in words, e.g. ``0.9 ≤ value ≤ 1.1``."""
        lo, hi = self.at_least, self.at_most
        if lo is None and hi is None:
            return "is true"
        if lo is not None and hi is not None:
            return f"{self._format(lo)} ≤ value ≤ {self._format(hi)}"
        if lo is not None:
            return f"value ≥ {self._format(lo)}"
        return f"value ≤ {self._format(hi)}"

    def measure(self, results: Mapping[str, Any]) -> float | bool:
        value = self.value(results)
        if isinstance(value, bool):
            if self.at_least is not None or self.at_most is not None:
                raise TypeError(f"claim {self.id!r}: bounds given but the value is a bool")
            return value
        value = float(value)
        if self.at_least is None and self.at_most is None:
            raise TypeError(f"claim {self.id!r}: a numeric value needs at_least and/or at_most")
        return value

    def holds(self, value: float | bool) -> bool:
        if isinstance(value, bool):
            return value
        if not math.isfinite(value):
            return False
        if self.at_least is not None and value < self.at_least:
            return False
        if self.at_most is not None and value > self.at_most:
            return False
        return True

    def format_value(self, value: float | bool) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return self._format(value)

    def evaluate(self, results: Mapping[str, Any], seed: int) -> "Verdict":
        value = self.measure(results)
        return Verdict(self, seed, value, self.holds(value))


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    seed: int
    value: float | bool
    passed: bool

    def describe(self, snippet: str) -> str:
        state = "holds" if self.passed else "FAILED"
        return (
            f"{snippet}: claim '{self.claim.id}' {state} at seed {self.seed}: "
            f"measured {self.claim.format_value(self.value)}, check {self.claim.check} "
            f"— {self.claim.statement}"
        )


def validate_claims(snippet: str, claims: object) -> tuple[Claim, ...]:
    """Return the snippet's claims, or raise if it declares none or they are malformed."""
    if not isinstance(claims, (tuple, list)) or not claims:
        raise ValueError(f"{snippet}: declares no claim (a snippet needs a non-empty CLAIMS tuple)")
    ids = [c.id for c in claims if isinstance(c, Claim)]
    if len(ids) != len(claims):
        raise TypeError(f"{snippet}: every entry of CLAIMS must be a book.claims.Claim")
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"{snippet}: duplicate claim ids {sorted(duplicates)}")
    return tuple(claims)
