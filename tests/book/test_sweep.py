"""The seed sweep: its margins, and that every snippet's recorded sweep matches its code."""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path

import pytest

from book.chapters import selected_snippets
from book.claims import Claim, validate_claims
from book.sweep import _scaled_learning_rates, source_hash, summarise

REPO = Path(__file__).resolve().parents[2]


def test_margin_in_units_of_the_spread():
    claim = Claim("x", "X.", lambda r: r, at_least=1.0)
    row = summarise(claim, [2.0, 3.0, 4.0])
    assert row["min"] == 2.0 and row["max"] == 4.0 and row["margin_in_spreads"] == pytest.approx(0.5)
    assert not row["thin"] and row["holds"] == 3


def test_a_bound_inside_the_range_or_too_close_is_thin():
    inside = summarise(Claim("x", "X.", lambda r: r, at_least=2.5), [2.0, 3.0, 4.0])
    assert inside["thin"] and inside["holds"] == 2
    close = summarise(Claim("x", "X.", lambda r: r, at_most=4.1), [2.0, 3.0, 4.0])
    assert close["thin"] and close["holds"] == 3  # 0.1 from the range is 5 % of it


def test_none_of_k_runs_is_exact_not_thin():
    claim = Claim("n", "None blow up.", lambda r: r, at_most=0, out_of=16)
    assert not summarise(claim, [0, 0, 0])["thin"]
    assert summarise(claim, [0, 1, 0])["thin"]


def test_learning_rate_parameters_are_scaled():
    class Module:
        @staticmethod
        def measure(lr: float = 0.1, pretrain_lr: float = 0.5, learning_rates=(0.1, 0.01), depth: int = 3,
                    seed: int = 0):
            pass

    scaled = _scaled_learning_rates(Module, 2.0)
    assert scaled == {"lr": 0.2, "pretrain_lr": 1.0, "learning_rates": (0.2, 0.02)}


@pytest.mark.parametrize("snippet", selected_snippets(REPO), ids=lambda s: s.id)
def test_recorded_sweep_matches_the_code(snippet):
    path = snippet.sweep_path
    rerun = f"rerun: .venv/bin/python -m book.sweep {snippet.id} --seeds 20 --write"
    assert path.is_file(), f"{snippet.id}: no recorded seed sweep ({path.relative_to(REPO)}); {rerun}"
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["source_sha256"] == source_hash(snippet.path), f"{snippet.id}: changed since its sweep; {rerun}"
    assert record["seeds"] >= 20, f"{snippet.id}: swept over {record['seeds']} seeds only; {rerun}"
    claims = validate_claims(snippet.id, importlib.import_module(snippet.module).CLAIMS)
    assert sorted(record["claims"]) == sorted(c.id for c in claims), f"{snippet.id}: claims changed; {rerun}"
    for claim in claims:
        swept = record["claims"][claim.id]
        assert (swept["at_least"], swept["at_most"]) == (claim.at_least, claim.at_most), (
            f"{snippet.id}: the bounds of '{claim.id}' changed since its sweep; {rerun}"
        )
        assert swept["holds"] == swept["seeds"], (
            f"{snippet.id}: '{claim.id}' failed at {swept['seeds'] - swept['holds']} of {swept['seeds']} swept seeds"
        )


#: (a snippet, an edit the sweep record must ignore, an edit it must notice)
RECORD_CASES = {
    "comments and plot(), not the measurement": (
        "# a comment\ndef measure(seed=0):\n    return {'x': 1}\n\n\ndef plot(results):\n    return {}\n",
        [("# a comment", "# another comment"), ("return {}", "return {'a': 1}")], [("'x': 1", "'x': 2")]),
    "a claim's words, not its bounds": (
        "def measure(seed=0):\n    return {'x': 1}\n\n\n"
        "CLAIMS = (Claim('c', 'Within 3 steps.', lambda r: r['x'], at_most=3),)\n",
        [("'Within 3 steps.'", "'Within [[at_most]] steps.'")], [("at_most=3", "at_most=4")]),
    "publish() and the constants it alone uses, not one measure() uses too": (
        "SLICE = '{a}'\nSCALE = 2\n\n\ndef measure(seed=0):\n    return {'x': SCALE}\n\n\n"
        "def publish(results):\n    return {SLICE.format(a=1): results['x'] * SCALE}\n",
        [("SLICE = '{a}'", "SLICE = '{a}-{a}'"), ("* SCALE}", "}")], [("SCALE = 2", "SCALE = 3")]),
}


@pytest.mark.parametrize("case", RECORD_CASES)
def test_the_record_ignores_what_cannot_change_a_value(tmp_path, case):
    code, ignored, noticed = RECORD_CASES[case]
    path = tmp_path / "demo.py"
    path.write_text(code)
    before = source_hash(path)

    def edited(edits):
        text = code
        for old, new in edits:
            assert old in text
            text = text.replace(old, new)
        return text

    path.write_text(edited(ignored))
    assert source_hash(path) == before
    path.write_text(edited(noticed))
    assert source_hash(path) != before


def test_exact_values_on_their_bound_are_exact_not_thin():
    row = summarise(Claim("wrong", "No wrong verdict.", lambda r: r, at_most=0), [0, 0, 0])
    assert not row["thin"] and row["exact"]


def test_a_quantity_spread_over_decades_has_its_margin_in_decades():
    row = summarise(Claim("x", "Large.", lambda r: r, at_least=8), [16.7, 86.0, 468.0])
    assert row["scale"] == "decades" and not row["thin"]
    assert row["margin_in_spreads"] == pytest.approx(math.log10(16.7 / 8) / math.log10(468 / 16.7))


def test_a_median_between_two_counts_is_printed():
    from book.sweep import format_rows

    claim = Claim("k", "Most runs.", lambda r: r, at_least=10, out_of=16)
    rows = [summarise(claim, [14, 15, 16, 17 - 1, 13, 16])]
    assert "median 15.5" in "\n".join(format_rows("demo", {"k": claim}, rows))
