"""Tests for the runner and what it stands on: discovery (book/snippets.py), the cache key
(book/cache.py), the switches (book/options.py)."""

from pathlib import Path

import pytest

from book import cache, runner
from book.cache import snippet_hash
from book.options import Options
from book.snippets import Snippet, dependency_files, discover

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def tree(tmp_path):
    write(tmp_path / "snippets/__init__.py", "")
    write(tmp_path / "snippets/common.py", "X = 1\n")
    write(tmp_path / "snippets/helpers_unused.py", "Y = 1\n")
    write(tmp_path / "snippets/ch/__init__.py", "")
    write(tmp_path / "snippets/ch/_private.py", "")
    write(tmp_path / "snippets/ch/one.py", "from snippets.common import X\n")
    write(tmp_path / "snippets/ch/two.py", "import math\n")
    return tmp_path


def test_discovery_finds_chapter_modules_only(tree):
    assert [s.id for s in discover(tree)] == ["one", "two"]


def test_duplicate_ids_are_an_error(tree):
    write(tree / "snippets/other/__init__.py", "")
    write(tree / "snippets/other/one.py", "")
    with pytest.raises(ValueError, match="'one' is used twice"):
        discover(tree)


def test_dependencies_follow_local_imports(tree):
    one = next(s for s in discover(tree) if s.id == "one")
    names = {p.relative_to(tree).as_posix() for p in dependency_files(one, tree)}
    assert names == {"snippets/ch/one.py", "snippets/common.py", "snippets/__init__.py"}


def test_the_toolkit_package_is_part_of_the_hash(tree):
    """A snippet that uses the diagnosis toolkit reruns when the toolkit changes."""
    write(tree / "gradient_flow/__init__.py", "from gradient_flow.recorder import R\n")
    write(tree / "gradient_flow/recorder.py", "from gradient_flow import _helpers\nR = 1\n")
    write(tree / "gradient_flow/_helpers.py", "H = 1\n")
    write(tree / "snippets/ch/three.py", "from gradient_flow import R\n")
    three = next(s for s in discover(tree) if s.id == "three")
    names = {p.relative_to(tree).as_posix() for p in dependency_files(three, tree)}
    assert {"gradient_flow/__init__.py", "gradient_flow/recorder.py", "gradient_flow/_helpers.py"} <= names
    versions = {"torch": "1"}
    before = snippet_hash(three, tree, versions)
    write(tree / "gradient_flow/_helpers.py", "H = 2\n")  # imported two levels down
    assert snippet_hash(three, tree, versions) != before


def test_hash_changes_with_source_import_and_versions_only(tree):
    one, two = discover(tree)
    versions = {"torch": "1", "numpy": "1", "matplotlib": "1"}
    before = snippet_hash(one, tree, versions), snippet_hash(two, tree, versions)
    write(tree / "snippets/helpers_unused.py", "Y = 2\n")
    assert (snippet_hash(one, tree, versions), snippet_hash(two, tree, versions)) == before
    write(tree / "snippets/common.py", "X = 2\n")  # imported by one only
    assert snippet_hash(one, tree, versions) != before[0]
    assert snippet_hash(two, tree, versions) == before[1]
    assert snippet_hash(two, tree, {**versions, "torch": "2"}) != before[1]


def test_runner_files_are_in_the_hash(tree, monkeypatch):
    _, two = discover(tree)
    versions = {"torch": "1"}
    before = snippet_hash(two, tree, versions)
    monkeypatch.setattr(cache, "RUNNER_FILES", cache.RUNNER_FILES[:-1])
    assert snippet_hash(two, tree, versions) != before


def test_switches_from_environment():
    options = Options.from_env({"BOOK_EXECUTE": "0", "BOOK_FORCE": "yes", "BOOK_ONLY": "linear_*, foo", "BOOK_TIMEOUT": "5"})
    assert (options.execute, options.force, options.timeout) == (False, True, 5.0)
    assert options.selects("linear_mlp") and options.selects("foo") and not options.selects("bar")
    with pytest.raises(ValueError, match="BOOK_FORCE"):
        Options.from_env({"BOOK_FORCE": "perhaps"})


def test_no_execute_without_cache_reports_missing(tree, tmp_path):
    outcomes = runner.run_all(tree, Options(execute=False, cache_dir=tmp_path / "cache"))
    assert [o.status for o in outcomes] == ["missing", "missing"]
    assert "BOOK_EXECUTE=0" in outcomes[0].error


def test_the_real_book_has_unique_snippet_ids():
    assert discover(REPO)  # raises on a duplicate id
    assert isinstance(discover(REPO)[0], Snippet)
