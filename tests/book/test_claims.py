"""Tests for book/claims.py: a check can fail, and says what it checked."""

import pytest

from book.claims import Claim, validate_claims


def test_interval_check_holds_and_fails():
    claim = Claim("ratio", "A ratio near one.", lambda r: r["x"], at_least=0.9, at_most=1.1)
    assert claim.evaluate({"x": 1.0}, seed=0).passed
    verdict = claim.evaluate({"x": 1.5}, seed=3)
    assert not verdict.passed
    message = verdict.describe("demo")
    assert "demo" in message and "ratio" in message and "seed 3" in message
    assert "1.5" in message and "0.9 ≤ value ≤ 1.1" in message


def test_nan_never_holds():
    claim = Claim("x", "Finite.", lambda r: r["x"], at_most=1.0)
    assert not claim.evaluate({"x": float("nan")}, seed=0).passed


def test_bool_claims():
    claim = Claim("diverged", "The run diverges.", lambda r: r["diverged"])
    assert claim.check == "is true"
    assert claim.evaluate({"diverged": True}, 0).passed
    assert not claim.evaluate({"diverged": False}, 0).passed


def test_numeric_claim_without_bounds_is_rejected():
    claim = Claim("x", "Unchecked.", lambda r: r["x"])
    with pytest.raises(TypeError, match="needs at_least and/or at_most"):
        claim.evaluate({"x": 1.0}, 0)


def test_a_snippet_must_declare_claims():
    with pytest.raises(ValueError, match="declares no claim"):
        validate_claims("demo", ())
    with pytest.raises(ValueError, match="declares no claim"):
        validate_claims("demo", None)
    twice = Claim("a", "A.", lambda r: 1, at_most=2)
    with pytest.raises(ValueError, match="duplicate"):
        validate_claims("demo", (twice, twice))


def test_integer_format_accepts_measured_counts():
    claim = Claim("count", "Counted.", lambda r: r["n"], at_least=3, fmt="d")
    verdict = claim.evaluate({"n": 5}, 0)
    assert verdict.passed and claim.format_value(verdict.value) == "5" and claim.check == "value ≥ 3"


def test_count_over_runs_claims():
    claim = Claim("diverge", "Most runs diverge.", lambda r: r["k"], at_least=12, out_of=16)
    assert claim.check == "at least 12 of 16 runs"
    verdict = claim.evaluate({"k": 14}, 0)
    assert verdict.passed and claim.format_value(verdict.value) == "14 of 16 runs"
    assert not claim.evaluate({"k": 11}, 0).passed
    none = Claim("none", "No run diverges.", lambda r: r["k"], at_most=0, out_of=16)
    assert none.check == "none of 16 runs" and not none.evaluate({"k": 1}, 0).passed
    with pytest.raises(TypeError, match="not a count"):
        claim.evaluate({"k": 17}, 0)
    with pytest.raises(ValueError, match="not a count"):
        Claim("bad", "Bad bound.", lambda r: r["k"], at_least=20, out_of=16)
    with pytest.raises(ValueError, match="needs at_least"):
        Claim("bad", "No bound.", lambda r: r["k"], out_of=16)


def test_none_value_is_rejected():
    claim = Claim("x", "A value.", lambda r: r["x"], at_most=1.0)
    with pytest.raises(TypeError, match="None"):
        claim.evaluate({"x": None}, 0)


# ------------------------------------------------------- errors that say what to do


def test_a_claim_without_statement_says_what_to_write():
    with pytest.raises(ValueError) as error:
        Claim("ratio", "  ", lambda r: r["x"], at_most=1.0)
    message = str(error.value)
    assert "'ratio' has an empty statement" in message and "give it a sentence a reader understands" in message


@pytest.mark.parametrize("drawn, expected", [
    ("empty alt", "must be (figure, non-empty alt text): return {'profile': (fig, \"A sentence saying"),
    ("no dict", 'e.g. return {"profile": (fig, "A sentence saying what the figure shows.")}'),
])
def test_a_figure_without_alt_text_says_what_to_return(tmp_path, drawn, expected):
    import types

    import matplotlib.pyplot as plt

    from book.execute import SnippetError, save_figures

    def plot(results):
        fig = plt.figure()
        return {"profile": (fig, "  ")} if drawn == "empty alt" else fig

    module = types.SimpleNamespace(plot=plot)
    with pytest.raises(SnippetError) as error:
        save_figures(module, "demo", {}, tmp_path)
    plt.close("all")
    assert expected in str(error.value)


def test_placeholder_claims_are_found_and_the_message_says_what_to_do():
    from book.claims import placeholder_ids, placeholder_message

    assert placeholder_ids(["TODO_replace_this_claim", "real_claim"]) == ["TODO_replace_this_claim"]
    message = placeholder_message("demo_example", "snippets/demo/demo_example.py", ["TODO_replace_this_claim"])
    assert "snippet 'demo_example' (snippets/demo/demo_example.py)" in message
    assert "'TODO_replace_this_claim'" in message and "replace it in CLAIMS" in message
    assert "book.sweep demo_example --seeds 20" in message and "make site" in message
