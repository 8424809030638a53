"""A snippet's optional publish(results): data files a page's script fetches (book/execute.py)."""

import json
import types

import pytest

from book.execute import SnippetError, save_data
from book.cache import CacheEntry, data_file


def snippet_with(publish=None):
    module = types.ModuleType("snippets.example.example")
    if publish is not None:
        module.publish = publish
    return module


def test_a_snippet_without_publish_publishes_no_data(tmp_path):
    assert save_data(snippet_with(), "example", {"a": 1}, tmp_path) == {}
    assert list(tmp_path.iterdir()) == []


def test_published_data_is_written_compactly_and_listed_for_the_site(tmp_path):
    data = save_data(snippet_with(lambda r: {"first": {"b": [1, 2.5]}, "x-y.z": r}), "example", {"a": "é"}, tmp_path)
    assert data == {"first": "results/example/first.json", "x-y.z": "results/example/x-y.z.json"}
    assert (tmp_path / "data-first.json").read_text(encoding="utf-8") == '{"b":[1,2.5]}\n'
    assert json.loads((tmp_path / "data-x-y.z.json").read_text(encoding="utf-8")) == {"a": "é"}
    record = {"snippet": "example", "figures": {}, "data": data}
    published = CacheEntry("example", tmp_path).published_files(record)
    assert published["results/example/first.json"] == tmp_path / data_file("first") == tmp_path / "data-first.json"


@pytest.mark.parametrize("files, says", [
    ({}, "non-empty dict"),
    ([1], "non-empty dict"),
    ({"../up": 1}, "data file name '../up'"),
    ({"Index": 1}, "data file name 'Index'"),
])
def test_bad_publish_output_is_refused_with_what_to_do(tmp_path, files, says):
    with pytest.raises(SnippetError) as error:
        save_data(snippet_with(lambda r: files), "example", {}, tmp_path)
    assert error.value.kind == "interface" and says in str(error.value)


@pytest.mark.parametrize("value, kind", [(float("nan"), "nonfinite"), ({1, 2}, "interface")])
def test_data_that_is_not_json_is_refused_naming_the_file(tmp_path, value, kind):
    with pytest.raises(SnippetError) as error:
        save_data(snippet_with(lambda r: {"first": [value]}), "example", {}, tmp_path)
    assert error.value.kind == kind and "publish()['first']" in str(error.value)
