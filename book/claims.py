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
#: A claim whose id starts with this is a placeholder (the chapter scaffold writes one):
#: it is checked like any claim, but the strict build (what CI and deploy run) refuses it.
PLACEHOLDER_PREFIX = "TODO_"


def format_measured(number: float, fmt: str) -> str:
    """``format(number, fmt)``, accepting an integral float for an integer spec such as ``d``."""
    if fmt.endswith("d") and float(number).is_integer():
        number = int(number)  # counts are measured as floats
    return format(number, fmt)


@dataclass(frozen=True)
class Shown:
    """The quantity a claim talks about, when its check is on a number derived from it.

    "E[ReLU′(z)²] is ½" is checked on the distance of the estimate from ½; the reader wants
    to see the estimate itself. ``Claim(…, shows=("E[ReLU′(z)²]", lambda r: r["mean_sq_slope"], ".4f"))``
    makes the claims block show "E[ReLU′(z)²] = 0.4992" beside the checked distance.
    ``label`` may hold ``$…$`` math, typeset like the statement's.
    """

    label: str
    value: Callable[[Mapping[str, Any]], float]
    fmt: str = ".3g"

    def describe(self, results: Mapping[str, Any]) -> dict[str, str]:
        """{"label": …, "value": …} for the claims block (the value formatted)."""
        return {"label": self.label, "value": format_measured(float(self.value(results)), self.fmt)}


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
    #: For an outcome with odds (a run diverges, a net trains): the value is a count of runs
    #: out of an ensemble of ``out_of`` runs, printed "14 of 16 runs", checked as a count.
    out_of: int | None = None
    #: For a check on a derived number (a distance, a relative error): the quantity the
    #: statement is about, shown beside the checked number: ``(label, value[, fmt])``.
    shows: Shown | tuple | None = None

    def __post_init__(self) -> None:
        if not self.id.replace("_", "").isalnum():
            raise ValueError(f"claim id {self.id!r} must be letters, digits and underscores")
        if not self.statement.strip():
            raise ValueError(
                f"claim {self.id!r} has an empty statement: give it a sentence a reader understands, "
                f"e.g. Claim({self.id!r}, \"The gradient shrinks toward the input.\", lambda r: …, at_most=…)"
            )
        if isinstance(self.shows, tuple) and 2 <= len(self.shows) <= 3:
            object.__setattr__(self, "shows", Shown(*self.shows))  # shows=(label, value[, fmt])
        if self.shows is not None and not isinstance(self.shows, Shown):
            raise ValueError(f"claim {self.id!r}: shows must be (label, value) or (label, value, fmt)")
        if self.out_of is not None:
            if not (isinstance(self.out_of, int) and self.out_of >= 1):
                raise ValueError(f"claim {self.id!r}: out_of must be a positive number of runs")
            if self.at_least is None and self.at_most is None:
                raise ValueError(f"claim {self.id!r}: a count over runs needs at_least and/or at_most")
            for bound in (self.at_least, self.at_most):
                if bound is not None and not (float(bound).is_integer() and 0 <= bound <= self.out_of):
                    raise ValueError(f"claim {self.id!r}: bound {bound} is not a count between 0 and {self.out_of}")

    @property
    def is_count(self) -> bool:
        """True for a claim over an ensemble of runs (a count of runs out of ``out_of``)."""
        return self.out_of is not None

    def _format(self, number: float) -> str:
        if self.is_count:
            return format_measured(number, "d")
        return format_measured(number, self.fmt)

    @property
    def check(self) -> str:
        """The check in words, e.g. ``0.9 ≤ value ≤ 1.1`` or ``at least 12 of 16 runs``."""
        lo, hi = self.at_least, self.at_most
        if self.is_count:
            runs = f"of {self.out_of} runs"
            if hi == 0:
                return f"none {runs}"
            if lo == self.out_of:
                return f"all {self.out_of} runs"
            if lo is not None and hi is not None:
                return f"{self._format(lo)} to {self._format(hi)} {runs}"
            return f"at least {self._format(lo)} {runs}" if lo is not None else f"at most {self._format(hi)} {runs}"
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
        if value is None:
            raise TypeError(f"claim {self.id!r}: the value is None (not applicable); a claim needs a number or a bool")
        value = float(value)
        if self.at_least is None and self.at_most is None:
            raise TypeError(f"claim {self.id!r}: a numeric value needs at_least and/or at_most")
        if self.is_count and not (value.is_integer() and 0 <= value <= self.out_of):
            raise TypeError(f"claim {self.id!r}: {value:g} is not a count of runs between 0 and {self.out_of}")
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
        if self.is_count:
            return f"{self._format(value)} of {self.out_of} runs"
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


def placeholder_ids(claim_ids) -> list[str]:
    """The ids among ``claim_ids`` that mark placeholder claims (``TODO_…``)."""
    return [i for i in claim_ids if i.startswith(PLACEHOLDER_PREFIX)]


def placeholder_message(snippet: str, source: str, claim_ids) -> str:
    """What to do about a snippet's placeholder claims: the strict build's refusal, the page's warning."""
    ids = ", ".join(f"'{i}'" for i in claim_ids)
    return (
        f"snippet '{snippet}' ({source}) still has the placeholder claim {ids}: replace it in CLAIMS "
        f"with a claim of your own (an id without the {PLACEHOLDER_PREFIX} prefix, a statement a reader "
        f"understands, a bound chosen from `.venv/bin/python -m book.sweep {snippet} --seeds 20`). "
        "`make serve` and `make test CHAPTER=…` accept a placeholder; the strict build "
        "(`make site`, `make test`, CI and deploy) refuses it, so that none is published"
    )
