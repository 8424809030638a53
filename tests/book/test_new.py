"""The chapter scaffold (book/new.py, `make chapter`): refusals, files, nav, and the placeholder rule.

A scaffolded chapter builds and its own tests pass at once; the strict build refuses its
placeholder claim (id ``TODO_…``) naming the snippet, `mkdocs serve` shows a warning on the
page instead, and once the claim is replaced the strict build passes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from book import new

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("slug, expected", [
    ("", "NAME is missing"),
    ("My-Chapter", "is not a chapter slug: use lowercase letters"),
    ("1st", "is not a chapter slug"),
    ("class", "is not a chapter slug"),
    ("common", "is reserved"),
    ("deep_networks", "exists already (docs/deep_networks.md, snippets/deep_networks, tests/deep_networks)"),
    ("glossary", "exists already (docs/glossary.md)"),
])
def test_bad_or_existing_slugs_are_refused_with_what_to_do(slug, expected):
    with pytest.raises(new.ScaffoldError, match=None) as error:
        new.check(REPO, slug, "A title")
    assert expected in str(error.value)


def test_a_missing_title_is_refused(capsys):
    assert new.main(["fresh_chapter", "--root", str(REPO)]) == 2
    assert 'TITLE is missing: make chapter NAME=my_chapter TITLE="My chapter"' in capsys.readouterr().err


@pytest.mark.parametrize("title, entry", [
    ("Weight decay", "Weight decay: weight_decay.md"),
    ("Transformers: LayerNorm", '"Transformers: LayerNorm": weight_decay.md'),
    ('A "quoted" word', '"A \\"quoted\\" word": weight_decay.md'),
])
def test_the_nav_entry_goes_at_the_end_of_the_last_section(title, entry):
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    updated = new.add_to_nav(config, title, "weight_decay")
    assert f"      - {entry}\n" in updated
    nav = yaml.safe_load(updated.split("\nnav:", 1)[1].join(["nav:", ""]))["nav"]
    sections = [item for item in nav if isinstance(next(iter(item.values())), list)]
    assert sections[-1][next(iter(sections[-1]))][-1] == {title: "weight_decay.md"}
    assert updated.replace(f"      - {entry}\n", "", 1) == config


def test_templates_keep_the_snippet_contract():
    code = new.render_template("snippet.py", "weight_decay", "Weight decay")
    assert "def measure(" in code and "def plot(" in code and "CLAIMS = (" in code
    assert '"TODO_replace_this_claim"' in code and "# --8<-- [start:measure]" in code
    assert 'if __name__ == "__main__":' in code and "my_chapter" not in code
    assert all(len(line) <= 88 for line in code.splitlines()), "snippet lines must fit 88 columns"
    assert new.render_template("chapter_init.py", "weight_decay", "Weight decay") == '"""Weight decay"""\n'
    page = new.render_template("page.md", "weight_decay", "Weight decay")
    assert page.startswith("# Weight decay\n") and "[[claims]]" in page and "[[figure weight_decay_example:" in page


# ---------------------------------------------------------- a scaffolded chapter, built


def _fixture_root(project) -> Path:
    root = project.root
    shutil.copy(REPO / "snippets" / "common.py", root / "snippets" / "common.py")  # the house style
    with (root / "mkdocs.yml").open("a", encoding="utf-8") as config:
        config.write("nav:\n  - Home: index.md\n  - Chapters:\n      - Demo: demo.md\n")
    project.add_page("index", "# Home\n")
    project.add_page("demo", "# Demo\n")
    return root


def _serve_build(root: Path) -> subprocess.CompletedProcess:
    """What `mkdocs serve` does before each rebuild: announce the command, then build."""
    script = textwrap.dedent(f"""
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        config = load_config({str(root / 'mkdocs.yml')!r})
        config.plugins.on_startup(command="serve", dirty=False)
        build(config)
    """)
    env = {**os.environ, "BOOK_CACHE": str(root / "cache"), "NO_MKDOCS_2_WARNING": "1", "BOOK_NOTEBOOKS": "0"}
    return subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True)


@pytest.mark.build
def test_a_scaffolded_chapter_builds_its_tests_pass_and_strict_refuses_the_placeholder(project):
    root = _fixture_root(project)
    created = new.create(root, "tiny_chapter", "Tiny chapter", sweep=False, log=lambda *a: None)
    assert sorted(p.relative_to(root).as_posix() for p in created) == sorted(new.files_for("tiny_chapter"))
    assert {"Tiny chapter": "tiny_chapter.md"} in yaml.safe_load((root / "mkdocs.yml").read_text())["nav"][1]["Chapters"]

    # Its hand-written test passes as generated.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(REPO)]), "BOOK_CACHE": str(root / "cache")}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
         "tests/tiny_chapter"], cwd=root, env=env, capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout[-3000:]

    # `make serve`: the page builds, with a warning that says what to do.
    served = _serve_build(root)
    assert served.returncode == 0, served.stderr[-3000:]
    html = (root / "site" / "tiny_chapter" / "index.html").read_text()
    assert "Placeholder claim in <code>tiny_chapter_example</code>: not publishable" in html
    assert "Tested claims" in html and "tiny_chapter_example-profile.svg" in html

    # The strict build (make site, make test, CI, deploy) refuses it, naming the snippet.
    strict = project.build()
    assert strict.returncode != 0
    assert ("snippet 'tiny_chapter_example' (snippets/tiny_chapter/tiny_chapter_example.py) still has the "
            "placeholder claim 'TODO_replace_this_claim': replace it in CLAIMS") in strict.stderr, strict.stderr[-3000:]

    # With the claim replaced, the strict build passes.
    snippet = root / "snippets" / "tiny_chapter" / "tiny_chapter_example.py"
    snippet.write_text(snippet.read_text().replace("TODO_replace_this_claim", "gradient_shrinks"))
    published = project.build()
    assert published.returncode == 0, published.stderr[-3000:]
    assert "Placeholder claim" not in (root / "site" / "tiny_chapter" / "index.html").read_text()


def test_the_chinese_nav_title_is_added_as_a_placeholder():
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    updated = new.add_nav_translation(config, "Transformers: LayerNorm")
    added = [line for line in updated.split("\n") if line not in config.split("\n")]
    assert added == ['            "Transformers: LayerNorm": "待办：Transformers: LayerNorm 的中文标题"'], added
    translations = yaml.safe_load(added[0].strip())
    assert translations == {"Transformers: LayerNorm": "待办：Transformers: LayerNorm 的中文标题"}
