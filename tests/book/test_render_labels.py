"""A claim's check is data (book.claims.Check); its words are rendered per language in one place
(book/render/labels.py). The English words are those of the build's record and the sweep records."""

import pytest

from book.claims import Check, Claim
from book.render.labels import CHECK_PHRASES, LABELS, check_words, measured_words, spread_words

COUNT = dict(fmt=".3g", out_of=16)


@pytest.mark.parametrize("check, english, chinese", [
    (Check(None, 0, **COUNT), "none of 16 runs", "16 次运行中没有一次"),
    (Check(16, None, **COUNT), "all 16 runs", "全部 16 次运行"),
    (Check(12.0, 14.0, **COUNT), "12 to 14 of 16 runs", "16 次运行中 12 到 14 次"),
    (Check(12, None, **COUNT), "at least 12 of 16 runs", "16 次运行中至少 12 次"),
    (Check(None, 3, **COUNT), "at most 3 of 16 runs", "16 次运行中至多 3 次"),
    (Check(None, None), "is true", "成立"),
    (Check(0.9, 1.1), "0.9 ≤ value ≤ 1.1", "0.9 ≤ 测量值 ≤ 1.1"),
    (Check(None, 0.005), "value ≤ 0.005", "测量值 ≤ 0.005"),
    (Check(0.25, None, ".2f"), "value ≥ 0.25", "测量值 ≥ 0.25"),
])
def test_a_check_in_each_language(check, english, chinese):
    assert check_words(check, "en") == english and check_words(check, "zh") == chinese


@pytest.mark.parametrize("check, value, english, chinese", [
    (Check(12, None, **COUNT), 14.0, "14 of 16 runs", "14 次（共 16 次运行）"),
    (Check(None, None), True, "true", "成立"),
    (Check(None, None), False, "false", "不成立"),
    (Check(None, 1, ".2f"), 0.123, "0.12", "0.12"),
])
def test_a_measured_value_in_each_language(check, value, english, chinese):
    assert measured_words(check, value, "en") == english and measured_words(check, value, "zh") == chinese


@pytest.mark.parametrize("check, values, english, chinese", [
    (Check(None, None), [True] * 5, "true at every seed", "每个种子都成立"),
    (Check(None, None), [True, False], "not true at every seed", "并非每个种子都成立"),
    (Check(12, None, **COUNT), [12.0, 14.0, 13.0], "12–14 of 16 runs", "12–14 次（共 16 次运行）"),
    (Check(12, None, **COUNT), [14.0, 14.0], "14 of 16 runs", "14 次（共 16 次运行）"),
    (Check(None, 1, ".2f"), [0.251, 0.249], "0.25 at every seed", "每个种子都是 0.25"),
    (Check(None, 1), [0.5, 0.9, 0.7], "0.5 … 0.9", "0.5 … 0.9"),
])
def test_the_spread_over_seeds_in_each_language(check, values, english, chinese):
    assert spread_words(check, values, "en") == english and spread_words(check, values, "zh") == chinese


def test_a_claims_english_check_is_its_structure_in_words():
    claim = Claim("c", "A claim.", lambda r: r["x"], at_least=0.9, at_most=1.1, fmt=".2f")
    assert claim.checked == Check(0.9, 1.1, ".2f") and claim.check == "0.90 ≤ value ≤ 1.10"
    assert claim.format_value(1.0) == "1.00"
    # The build records the structure beside the English words; a page renders from the structure.
    record = {"at_least": 0.9, "at_most": 1.1, "fmt": ".2f", "out_of": None, "check": claim.check}
    assert Check.of_record(record) == claim.checked


def test_every_language_has_every_word():
    assert set(LABELS["zh"]) == set(LABELS["en"]) and set(CHECK_PHRASES) <= set(LABELS["en"])


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_provisional_card_says_its_other_seeds_are_still_being_checked(language):
    """Under `mkdocs serve`'s first view a record holds the build seed alone: the card shows that
    seed's value and says the others are still being checked, instead of a spread."""
    from book.render.cards import _numbers

    claim = {"at_least": None, "at_most": 0.05, "fmt": ".3g", "out_of": None, "values": {"0": 0.01}}
    numbers = _numbers(claim, LABELS[language], language, None)
    assert LABELS[language]["still_checking"] in numbers and "0.01" in numbers
    complete = dict(claim, values={str(seed): 0.01 for seed in range(5)})
    assert LABELS[language]["still_checking"] not in _numbers(complete, LABELS[language], language, None)
