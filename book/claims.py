"""Claims: a sentence a reader understands, plus a check on measured numbers.

A snippet lists its claims in a module-level ``CLAIMS`` tuple. The build evaluates
every claim on the results of each seed in :data:`CLAIM_SEEDS`; the tests do the
same, one parametrised case per claim and seed. A claim that fails stops the build.

This module imports nothing heavy, so the site generator can use it without torch.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from book.render.labels import check_words, measured_words
from book.render.numbers import format_measured, format_number

#: Seed whose results fill the figures and the prose.
BUILD_SEED = 0
#: Seeds at which every claim is checked, by the build and by the tests.
CLAIM_SEEDS = (0, 1, 2, 3, 4)
#: A claim whose id starts with this is a placeholder (the chapter scaffold writes one):
#: it is checked like any claim, but the strict build (what CI and deploy run) refuses it.
PLACEHOLDER_PREFIX = "TODO_"


#: A field in a claim's statement (in both editions), filled when the statement is shown, so that
#: no number in it is typed by hand:
#:
#: - ``[[setup.NAME]]`` / ``[[setup.NAME|FMT]]``: the experiment's configuration, read from the code
#:   that ran, as a page's ``[[ID:setup.NAME]]`` (a literal default of ``measure()``'s parameter
#:   ``NAME`` or a module constant ``NAME = literal``; a dotted path indexes into it);
#: - ``[[at_least]]``, ``[[at_most]]``: the claim's own bounds, the very numbers the check reads
#:   (by default in the claim's ``fmt``; a format that would not print the bound exactly is refused);
#: - ``[[out_of]]``: the number of runs a count is out of;
#: - ``[[results.KEY]]``: a result that every claim seed shares (a theory value computed from the
#:   setup); the build refuses one that differs between seeds.
#:
#: ``FMT`` is what a page's value directive takes: a Python format spec, ``sciN`` or ``texN``
#: (``$10^{[[at_most|d]]}$`` writes a power of ten from a bound on its exponent).
FIELD = re.compile(r"\[\[\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_\-]+)*)\s*(?:\|\s*(?P<fmt>[^\[\]|\s]+)\s*)?\]\]")
BOUND_FIELDS = ("at_least", "at_most")
SETUP_FIELD, RESULTS_FIELD = "setup.", "results."


def statement_fields(text: str) -> list[str]:
    """The keys of the fields in a statement, in order (``setup.DEPTH``, ``at_most`` …)."""
    return [match.group("key") for match in FIELD.finditer(text)]


def _format_field(value: Any, fmt: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"is a {type(value).__name__}, not a number (point the key at one number)")
    try:
        return format_number(value, fmt)
    except Exception as exc:  # PageError: a format that does not apply (the page's formats: sciN, texN)
        raise ValueError(str(exc)) from None


_SUPERSCRIPT_DIGITS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def _printed_number(text: str) -> float | None:
    """The number a formatted field reads as (``0.25``, ``2%``, ``1 × 10⁻⁷``, ``1 \\times 10^{-7}``)."""
    text = text.strip()
    scaled = re.fullmatch(r"(.+?)\s*(?:×\s*10(?P<sup>[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)|\\times\s*10\^\{(?P<tex>-?\d+)\})", text)
    try:
        if scaled:
            exponent = int(scaled.group("sup").translate(_SUPERSCRIPT_DIGITS) if scaled.group("sup") else scaled.group("tex"))
            return float(scaled.group(1)) * 10.0 ** exponent
        if text.endswith("%"):
            return float(text[:-1]) / 100
        return float(text)
    except ValueError:
        return None


def fill_statement(
    text: str,
    claim_id: str,
    bounds: Mapping[str, float | None],
    bound_fmt: str,
    out_of: int | None = None,
    setup: Callable[[str], Any] | None = None,
    results: Mapping[str, Any] | None = None,
) -> str:
    """``text`` (a claim's statement, in any edition) with its :data:`FIELD` s filled.

    ``bounds`` holds the claim's ``at_least`` and ``at_most``, printed in ``bound_fmt`` unless
    the field names a format; ``setup(NAME…)`` returns a setup value (or raises, saying what
    the snippet has); ``results`` are the results the ``results.`` fields read. Raises
    ValueError naming the claim and the field that cannot be filled.
    """

    def replace(match: re.Match) -> str:
        key, fmt = match.group("key"), match.group("fmt")
        try:
            if key in BOUND_FIELDS:
                bound = bounds.get(key)
                if bound is None:
                    raise ValueError(f"the claim has no {key} (its check: at_least={bounds.get('at_least')}, "
                                     f"at_most={bounds.get('at_most')})")
                printed = _format_field(bound, fmt or bound_fmt)
                if _printed_number(printed) is None or not math.isclose(_printed_number(printed), bound, rel_tol=1e-12):
                    raise ValueError(f"prints the bound {bound!r} as {printed!r}, not the number the check reads: "
                                     f"give a format that prints it exactly, e.g. [[{key}|g]]")
                return printed
            if key == "out_of":
                if out_of is None:
                    raise ValueError("the claim is not a count of runs (it has no out_of)")
                return _format_field(out_of, fmt or "d")
            if key.startswith(SETUP_FIELD):
                if setup is None:
                    raise ValueError("no setup to read it from")
                return _format_field(setup(key[len(SETUP_FIELD):]), fmt or "g")
            if key.startswith(RESULTS_FIELD):
                if results is None:
                    raise ValueError("no results to read it from")
                return _format_field(result_value(results, key[len(RESULTS_FIELD):]), fmt or ".3g")
            raise ValueError(f"is not a field a statement may quote: setup.NAME, {', '.join(BOUND_FIELDS)}, "
                             "out_of or results.KEY")
        except Exception as exc:  # ValueError, LookupError, the setup's PageError: each says what is wrong
            raise ValueError(f"claim {claim_id!r}: the statement's field [[{match.group(0)[2:-2].strip()}]] {exc}") from None

    return FIELD.sub(replace, text)


def result_value(results: Any, key: str) -> Any:
    """The value at dotted ``key`` in ``results`` (a number indexes a list)."""
    node = results
    for part in key.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and re.fullmatch(r"-?\d+", part) and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        else:
            there = f" (there: {', '.join(sorted(map(str, node))[:12])})" if isinstance(node, Mapping) else ""
            raise LookupError(f"has no result {key!r}: no {part!r}{there}")
    return node


@functools.lru_cache(maxsize=256)
def setup_of(snippet_id: str, path: str | None = None) -> Callable[[str], Any] | None:
    """The reader of snippet ``snippet_id``'s setup (what its statements quote as ``[[setup.NAME]]``),
    from its file ``path``, by default the one in this repository; None when there is none."""
    if path is None:
        found = sorted((Path(__file__).resolve().parent.parent / "snippets").glob(f"*/{snippet_id}.py"))
        if len(found) != 1:
            return None
        path = str(found[0])
    from book.render.setup import setup_value, snippet_setup  # it imports this module

    file = Path(path)
    source = "/".join(file.parts[-3:])  # snippets/<chapter>/<id>.py
    setup = snippet_setup(file.read_text(encoding="utf-8"), snippet_id, source)
    return lambda key: setup_value(setup, key, snippet_id, source)


@dataclass(frozen=True)
class Check:
    """What a claim's check requires, in no language: a closed interval ``[at_least, at_most]``
    (either end may be open; both open: the value is a bool that must be true), over a count of
    runs out of ``out_of`` or a number printed in ``fmt``. Its words, in each language, are
    :mod:`book.render.labels`'s."""

    at_least: float | None
    at_most: float | None
    fmt: str = ".3g"
    out_of: int | None = None

    @classmethod
    def of_record(cls, claim: Mapping[str, Any]) -> "Check":
        """The check of a claim as the build recorded it (``result.json``'s ``claims``)."""
        return cls(claim.get("at_least"), claim.get("at_most"), claim["fmt"], claim.get("out_of"))

    @property
    def bound_fmt(self) -> str:
        """The format the bounds are printed in (by the check, and by a statement's bound field)."""
        return "d" if self.out_of is not None else self.fmt

    def number(self, value: float) -> str:
        """A bound or a measured value as the check prints it (a count as a whole number)."""
        return format_measured(value, self.bound_fmt)


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

    def stated(self, setup: Callable[[str], Any] | None = None, results: Mapping[str, Any] | None = None,
               text: str | None = None) -> str:
        """The statement (or its translation ``text``) with its fields filled (see :data:`FIELD`)."""
        return fill_statement(self.statement if text is None else text, self.id,
                              {"at_least": self.at_least, "at_most": self.at_most}, self.checked.bound_fmt,
                              self.out_of, setup, results)

    @property
    def checked(self) -> Check:
        """The check, as data (its words in any language: :mod:`book.render.labels`)."""
        return Check(self.at_least, self.at_most, self.fmt, self.out_of)

    def _format(self, number: float) -> str:
        return self.checked.number(number)

    @property
    def check(self) -> str:
        """The check in English, e.g. ``0.9 ≤ value ≤ 1.1`` or ``at least 12 of 16 runs`` (as the
        diagnostics, the build's record and the sweep records write it)."""
        return check_words(self.checked, "en")

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
        """A measured value in English, as the check reads it (``true``, ``14 of 16 runs``, ``0.25``)."""
        return measured_words(self.checked, value, "en")

    def evaluate(self, results: Mapping[str, Any], seed: int) -> "Verdict":
        value = self.measure(results)
        return Verdict(self, seed, value, self.holds(value), results)


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    seed: int
    value: float | bool
    passed: bool
    #: The results the claim was evaluated on (they fill its statement's ``results.`` fields).
    results: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    def describe(self, snippet: str, setup: Callable[[str], Any] | None = None) -> str:
        """One line: the verdict, the measured value, the check and the statement (its fields
        filled from ``setup``, by default that of the snippet's file in this repository)."""
        state = "holds" if self.passed else "FAILED"
        try:
            statement = self.claim.stated(setup or setup_of(snippet), self.results)
        except ValueError:  # a diagnostic must not fail: the statement as written
            statement = self.claim.statement
        return (
            f"{snippet}: claim '{self.claim.id}' {state} at seed {self.seed}: "
            f"measured {self.claim.format_value(self.value)}, check {self.claim.check} "
            f"— {statement}"
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
