"""CONTRIBUTING.md cannot mislead: its samples are copies of files the tests build, its commands exist.

- A code block other than shell commands names its file (``title="PATH"``) and is a run of
  consecutive lines of that file: a chapter scaffold's file as ``make chapter NAME=my_chapter
  TITLE="My chapter"`` writes it (book/templates/, built and tested by tests/book/test_new.py),
  or a file of the repository.
- A shell block's commands exist: make targets and their variables, ``python -m`` modules and
  their options, snippet ids.
- Inline ``make …`` commands name real targets; inline ``Claim(…)`` examples construct.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import shlex
from pathlib import Path

import pytest

from book import new
from book.claims import Claim
from book.snippets import discover

REPO = Path(__file__).resolve().parents[2]
GUIDE = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
SAMPLE = new.SAMPLE_SLUG
#: The files `make chapter NAME=my_chapter TITLE="My chapter"` writes, as it writes them.
SCAFFOLD = {path: new.render_template(template) if template else "" for path, template in new.files_for(SAMPLE).items()}
MAKE_VARIABLES = {"NAME", "TITLE", "CHAPTER", "PYTHON"}
OTHER_COMMANDS = {"git", "cd", "python3", "pip"}


def blocks(text: str) -> list[tuple[int, str, list[str]]]:
    """(line number, info string, lines) of every top-level fenced block."""
    found, open_fence = [], None
    for number, line in enumerate(text.split("\n"), start=1):
        if open_fence is None:
            match = FENCE.match(line)
            if match:
                open_fence, start, info, body = match.group(1), number, match.group(2).strip(), []
        elif line.strip() == open_fence:
            found.append((start, info, body))
            open_fence = None
        else:
            body.append(line)
    assert open_fence is None, f"CONTRIBUTING.md: the block opened on line {start} is never closed"
    return found


BLOCKS = blocks(GUIDE)
SHELL = [b for b in BLOCKS if b[1].split(" ")[0] in {"sh", "bash", "shell"}]
FILES = [b for b in BLOCKS if b not in SHELL]


def makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Za-z][\w-]*):", text, re.M)}


def snippet_ids() -> set[str]:
    return {s.id for s in discover(REPO)} | {f"{SAMPLE}_example"}


def test_the_guide_has_samples_of_both_kinds():
    assert SHELL and FILES


@pytest.mark.parametrize("line, info, body", FILES, ids=lambda v: str(v) if isinstance(v, int) else None)
def test_a_code_sample_is_copied_from_the_file_it_names(line, info, body):
    title = re.search(r'title="([^"]+)"', info)
    assert title, f"CONTRIBUTING.md line {line}: a code sample must name its file (```python title=\"PATH\")"
    path = title.group(1)
    if path in SCAFFOLD:
        source, origin = SCAFFOLD[path], f"the scaffold's {path} (book/templates/)"
    else:
        assert (REPO / path).is_file(), f"CONTRIBUTING.md line {line}: {path} is neither a scaffold file nor in the repository"
        source, origin = (REPO / path).read_text(encoding="utf-8"), path
    lines = source.split("\n")
    starts = [i for i in range(len(lines) - len(body) + 1) if lines[i : i + len(body)] == body]
    assert starts, f"CONTRIBUTING.md line {line}: the sample is not a copy of consecutive lines of {origin}; copy it again"


def _check_python_module(words: list[str], where: str) -> None:
    assert words[:1] == ["-m"], f"{where}: run Python as `.venv/bin/python -m MODULE`"
    module, rest = words[1], words[2:]
    if module.startswith(f"snippets.{SAMPLE}."):
        assert module.replace(".", "/") + ".py" in SCAFFOLD, f"{where}: the scaffold writes no {module}"
        return
    spec = importlib.util.find_spec(module)
    assert spec and spec.origin, f"{where}: no module {module}"
    source = Path(spec.origin).read_text(encoding="utf-8")
    for word in rest:
        if word.startswith("--"):
            assert f'"{word}"' in source, f"{where}: {module} has no option {word}"
    if module == "book.sweep":
        patterns = [w for w in rest if not w.startswith("-") and not re.fullmatch(r"[\d.]+|default", w)]
        for pattern in patterns:
            assert fnmatch.filter(snippet_ids(), pattern), f"{where}: no snippet id matches {pattern!r}"


def check_command(command: str, where: str) -> None:
    words = shlex.split(command, comments=True)
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        words.pop(0)  # environment assignments
    if not words:
        return
    program, rest = words[0], words[1:]
    if program == "make":
        for word in rest:
            if "=" in word:
                assert word.split("=")[0] in MAKE_VARIABLES, f"{where}: the Makefile reads no variable {word.split('=')[0]}"
            else:
                assert word in makefile_targets(), f"{where}: the Makefile has no target {word!r}"
    elif program == ".venv/bin/python":
        _check_python_module(rest, where)
    else:
        assert program in OTHER_COMMANDS, f"{where}: unknown command {program!r}"


@pytest.mark.parametrize("line, info, body", SHELL, ids=lambda v: str(v) if isinstance(v, int) else None)
def test_shell_commands_exist(line, info, body):
    for offset, command in enumerate(body, start=1):
        check_command(command, f"CONTRIBUTING.md line {line + offset}")


def test_inline_commands_and_claims_exist():
    prose = re.sub(r"^(`{3,}).*?^\1\s*$", "", GUIDE, flags=re.M | re.S)
    spans = re.findall(r"`([^`\n]+(?:\n[^`\n]+)?)`", prose)
    makes = [s for s in spans if s.startswith("make ")]
    # A full example (not the schematic `Claim(id, statement, value, at_least=…)`) must construct.
    claims = [s.replace("\n", " ") for s in spans if s.startswith("Claim(") and s.endswith(")") and "…" not in s]
    assert makes and claims
    for span in makes:
        check_command(span, f"CONTRIBUTING.md: `{span}`")
    for span in claims:
        assert isinstance(eval(span, {"Claim": Claim}), Claim), span  # noqa: S307 - our own guide
