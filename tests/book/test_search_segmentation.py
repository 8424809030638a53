"""The Chinese of a search query is cut into the index's words, the last character included.

Material's worker cuts a query greedily into words of the index but never tries a word that
ends at the query's last character, so 残差连接 — one word of the Chinese index — was searched
as 残差*. The book's worker (overrides/assets/javascripts/workers/book_search.js) cuts it
itself; these run its functions under Node (the browser test, tests/book/test_browser.py,
searches the built site).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

WORKER = Path(__file__).resolve().parents[2] / "overrides" / "assets" / "javascripts" / "workers" / "book_search.js"
NODE = shutil.which("node") or shutil.which("nodejs")


def run(calls: list[tuple[str, str, list[str]]]) -> list:
    """``[(function, text, index words)]`` evaluated by the worker's own functions."""
    if NODE is None:
        pytest.skip("Node.js is not installed")
    script = (f"const w = require({json.dumps(str(WORKER))});"
              f"const calls = {json.dumps(calls, ensure_ascii=False)};"
              "console.log(JSON.stringify(calls.map(([f, text, words]) =>"
              " w[f](text, Object.fromEntries(words.map(x => [x, {}]))))));")
    out = subprocess.run([NODE, "-e", script], capture_output=True, text=True, check=True, timeout=30)
    return json.loads(out.stdout)


INDEX = ["残差", "连接", "残差连接", "梯度", "爆炸", "梯度爆炸", "裁剪"]


def test_a_whole_term_of_the_index_is_one_word():
    assert run([("bookSegment", "残差连接", INDEX)]) == [["残差连接"]]


def test_a_query_is_cut_into_the_longest_words_the_last_character_included():
    segmented = run([("bookSegment", "残差连接梯度爆炸", INDEX), ("bookSegment", "梯度裁剪", INDEX),
                     ("bookSegment", "什么梯度", INDEX), ("bookSegment", "梯度", [])])
    assert segmented == [["残差连接", "梯度爆炸"], ["梯度", "裁剪"], ["什么", "梯度"], ["梯度"]]


def test_the_query_lunr_gets():
    queries = run([("bookQuery", "残差连接", INDEX), ("bookQuery", "梯度裁剪 LSTM", INDEX),
                   ("bookQuery", "梯度爆炸 -裁剪", INDEX)])
    assert queries == ["残差连接*", "梯度* 裁剪* LSTM*", "梯度爆炸* -裁剪"]
