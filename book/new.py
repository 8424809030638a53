"""Scaffold a chapter: ``make chapter NAME=<slug> TITLE="<title>"`` (``python -m book.new SLUG TITLE``).

Creates, from the templates in ``book/templates/`` (written for the chapter ``my_chapter``
titled "My chapter"; the guide's samples are checked against them):

- ``docs/<slug>.md``: the page, with a figure, a measured number and the claims block;
- ``snippets/<slug>/__init__.py`` (its docstring is the chapter's title) and the example
  snippet ``snippets/<slug>/<slug>_example.py`` with a placeholder claim ``TODO_…``;
- ``tests/<slug>/__init__.py`` and ``tests/<slug>/test_<slug>_example.py``;
- the page's entry at the end of the last section of ``nav:`` in ``mkdocs.yml``;
- the example's seed sweep (``snippets/<slug>/<slug>_example.sweep.json``), unless ``--no-sweep``.

The chapter builds and ``make test CHAPTER=<slug>`` passes at once; the strict build
(``make site``, ``make test``, CI) refuses the placeholder claim until it is replaced.
"""

from __future__ import annotations

import argparse
import keyword
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The slug and title the templates are written with.
SAMPLE_SLUG, SAMPLE_TITLE = "my_chapter", "My chapter"
SLUG = re.compile(r"[a-z][a-z0-9_]*")
#: Names the site or the packages already use for something else.
RESERVED = {"common", "book", "snippets", "tests", "docs", "figures", "results", "notebooks",
            "stylesheets", "javascripts", "assets", "search", "index", "api"}


class ScaffoldError(ValueError):
    pass


def files_for(slug: str) -> dict[str, str]:
    """{project-relative path: template file name} of a chapter's files."""
    example = f"{slug}_example"
    return {
        f"docs/{slug}.md": "page.md",
        f"docs/{slug}.zh.md": "page.zh.md",  # the Chinese edition's page (book/parity.py)
        f"snippets/{slug}/__init__.py": "chapter_init.py",
        f"snippets/{slug}/{example}.py": "snippet.py",
        f"snippets/{slug}/{example}.zh.toml": "snippet.zh.toml",
        f"tests/{slug}/__init__.py": None,
        f"tests/{slug}/test_{example}.py": "test_snippet.py",
    }


def render_template(name: str, slug: str = SAMPLE_SLUG, title: str = SAMPLE_TITLE) -> str:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    return text.replace(SAMPLE_TITLE, title).replace(SAMPLE_SLUG, slug)


def check(root: Path, slug: str, title: str) -> None:
    """Raise ScaffoldError, saying what to do, unless a chapter ``slug`` can be created."""
    usage = 'make chapter NAME=my_chapter TITLE="My chapter"'
    if not slug:
        raise ScaffoldError(f"NAME is missing: {usage}")
    if not SLUG.fullmatch(slug) or keyword.iskeyword(slug) or len(slug) > 40:
        raise ScaffoldError(
            f"NAME {slug!r} is not a chapter slug: use lowercase letters, digits and underscores, "
            f"starting with a letter, at most 40 characters (e.g. weight_decay); it names docs/<slug>.md, "
            f"snippets/<slug>/ and tests/<slug>/, so it must be a Python identifier"
        )
    if slug in RESERVED:
        raise ScaffoldError(f"NAME {slug!r} is reserved (the site or the packages use it); pick another")
    taken = [p for p in (f"docs/{slug}.md", f"snippets/{slug}", f"snippets/{slug}.py", f"tests/{slug}",
                         f"docs/{slug}") if (root / p).exists()]
    if taken:
        raise ScaffoldError(
            f"chapter {slug!r} exists already ({', '.join(taken)}): pick another NAME, or edit those files"
        )
    example = f"{slug}_example"
    if list((root / "snippets").glob(f"*/{example}.py")):
        raise ScaffoldError(f"a snippet named {example!r} exists already (snippet ids are unique); pick another NAME")
    if not title.strip():
        raise ScaffoldError(f"TITLE is missing: {usage}")
    if "\n" in title or '"""' in title:
        raise ScaffoldError("TITLE must be one line without triple quotes")
    if f"{slug}.md" in (root / "mkdocs.yml").read_text(encoding="utf-8"):
        raise ScaffoldError(f"mkdocs.yml already mentions {slug}.md; pick another NAME or remove that entry")


def nav_entry(title: str, slug: str) -> str:
    plain = re.fullmatch(r"[A-Za-z0-9][^:#\[\]{}&*!|>'\"%@`,]*", title) and not title.endswith(" ")
    return f"{title if plain else _quoted(title)}: {slug}.md"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def add_to_nav(config: str, title: str, slug: str) -> str:
    """``config`` (mkdocs.yml) with the page at the end of the last section of ``nav:``."""
    lines = config.split("\n")
    try:
        start = lines.index("nav:")
    except ValueError:
        raise ScaffoldError("mkdocs.yml has no top-level 'nav:'; add the page to it by hand") from None
    end = start + 1
    while end < len(lines) and (lines[end].startswith(" ") or not lines[end].strip()):
        end += 1
    items = [i for i in range(start + 1, end) if re.match(r"^\s+- ", lines[i])]
    if not items:
        raise ScaffoldError("mkdocs.yml's 'nav:' is empty; add the page to it by hand")
    nested = [i for i in items if re.match(r"^\s+- ", lines[i]) and len(lines[i]) - len(lines[i].lstrip())
              > len(lines[items[0]]) - len(lines[items[0]].lstrip())]
    # Nested entries exist: append to the last section (after its last entry); else at the end.
    last = nested[-1] if nested else items[-1]
    indent = lines[last][: len(lines[last]) - len(lines[last].lstrip())]
    lines.insert(last + 1, f"{indent}- {nav_entry(title, slug)}")
    return "\n".join(lines)


def add_nav_translation(config: str, title: str) -> str:
    """``config`` with a placeholder Chinese title for the page in the i18n plugin's
    ``nav_translations`` (if the site has one), for the translator to replace."""
    lines = config.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == "nav_translations:"]
    if not starts:
        return config
    start = starts[0]
    depth = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and lines[end].strip() and len(lines[end]) - len(lines[end].lstrip()) > depth:
        end += 1
    indent = " " * (depth + 2)
    lines.insert(end, f"{indent}{_quoted(title)}: {_quoted('待办：' + title + ' 的中文标题')}")
    return "\n".join(lines)


def create(root: Path, slug: str, title: str, sweep: bool = True, log=print) -> list[Path]:
    root = Path(root).resolve()
    title = title.strip()
    check(root, slug, title)
    config = root / "mkdocs.yml"
    new_config = add_nav_translation(add_to_nav(config.read_text(encoding="utf-8"), title, slug), title)
    written = []
    for relpath, template in files_for(slug).items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_template(template, slug, title) if template else "", encoding="utf-8")
        written.append(path)
    config.write_text(new_config, encoding="utf-8")
    for path in written:
        log(f"created {path.relative_to(root)}")
    log(f"added '{nav_entry(title, slug)}' to nav: in mkdocs.yml")
    if sweep:
        example = f"{slug}_example"
        log(f"sweeping {example} over 20 seeds (python -m book.sweep {example} --seeds 20 --write) …")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
        done = subprocess.run([sys.executable, "-m", "book.sweep", example, "--seeds", "20", "--write", "--jobs", "1"],
                              cwd=root, env=env, capture_output=True, text=True)
        if done.returncode != 0 or not (root / "snippets" / slug / f"{example}.sweep.json").is_file():
            log(done.stdout[-2000:] + done.stderr[-2000:])
            raise ScaffoldError(f"the example's sweep failed (above); the files were created, rerun the sweep by hand")
        written.append(root / "snippets" / slug / f"{example}.sweep.json")
    log(
        f"\nNext: make serve CHAPTER={slug}   (the page at http://127.0.0.1:8000/{slug}/)\n"
        f"      make test CHAPTER={slug}\n"
        f"Then replace every TODO (see CONTRIBUTING.md, 'Adding a chapter'): the strict build refuses the\n"
        f"placeholder claim TODO_replace_this_claim until you do."
    )
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m book.new", description=__doc__.split("\n\n")[0])
    parser.add_argument("slug", help="the chapter's name: lowercase letters, digits, underscores (e.g. weight_decay)")
    parser.add_argument("title", nargs="?", default="", help="the chapter's title, as shown in the navigation")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--no-sweep", action="store_true", help="do not record the example's seed sweep")
    args = parser.parse_args(argv)
    try:
        create(args.root, args.slug.strip(), args.title, sweep=not args.no_sweep)
    except ScaffoldError as exc:
        print(f"make chapter: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
