"""Snippets: what one is, where they are, and which files of the project each one runs.

A snippet is a module ``snippets/<chapter>/<name>.py`` whose name does not start with an
underscore; ``<name>`` is its id and must be unique in the book. Every path convention
around a snippet (its test module, its sweep record, its Chinese texts) is a method here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Snippet:
    id: str
    module: str
    path: Path  # absolute

    def source_relpath(self, root: Path) -> str:
        return self.path.relative_to(root).as_posix()

    @property
    def chapter(self) -> str:
        """The chapter's slug: the snippet's folder, and its page ``docs/<chapter>.md``."""
        return self.path.parent.name

    def test_path(self, root: Path) -> Path:
        """Its hand-written checks: ``tests/<chapter>/test_<id>.py``."""
        return Path(root) / "tests" / self.chapter / f"test_{self.id}.py"

    @property
    def sweep_path(self) -> Path:
        """Its recorded seed sweep, beside it: ``<id>.sweep.json``."""
        return self.path.with_suffix(".sweep.json")


def discover(root: Path) -> list[Snippet]:
    """All snippets under ``root/snippets``, sorted by id; ids must be unique."""
    package = root / "snippets"
    if not package.is_dir():
        raise FileNotFoundError(f"{package}: no snippets folder")
    found: dict[str, Snippet] = {}
    for path in sorted(package.glob("*/*.py")):
        if path.name.startswith("_"):
            continue
        snippet = Snippet(path.stem, f"snippets.{path.parent.name}.{path.stem}", path.resolve())
        if snippet.id in found:
            raise ValueError(
                f"snippet id {snippet.id!r} is used twice: {found[snippet.id].path} and {path} (ids must be unique)"
            )
        found[snippet.id] = snippet
    return [found[key] for key in sorted(found)]


# Top-level packages of this repository whose files are part of a snippet's cache key when
# it imports them: the chapters, the machinery, and the diagnosis toolkit the chapters use.
LOCAL_PACKAGES = frozenset({"snippets", "book", "gradient_flow"})


#: path → (the file's text, the local module names it imports): every snippet imports
#: snippets/common.py and the toolkit, which are parsed once per text, not once per snippet.
_IMPORTED_NAMES: dict[Path, tuple[str, frozenset[str]]] = {}


def _local_imports(path: Path, root: Path) -> set[Path]:
    """Files of this project that ``path`` imports (``snippets.*``, ``book.*``, ``gradient_flow.*``)."""
    text = path.read_text(encoding="utf-8")
    seen = _IMPORTED_NAMES.get(path)
    if seen is None or seen[0] != text:
        seen = _IMPORTED_NAMES[path] = (text, frozenset(_imported_names(path, root, text)))
    files = set()
    # Resolved every time: a module the snippet imports may have been created since.
    for name in seen[1]:
        parts = name.split(".")
        for candidate in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")):
            if candidate.is_file():
                files.add(candidate.resolve())
        # ``import snippets.a.b`` also runs the packages' __init__ files.
        for depth in range(1, len(parts)):
            init = root.joinpath(*parts[:depth], "__init__.py")
            if init.is_file():
                files.add(init.resolve())
    return files


def _imported_names(path: Path, root: Path, text: str) -> set[str]:
    """The names of this project's modules (and their members) that ``text`` imports."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError:
        return set()  # the run itself will report the syntax error
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against this file's package
                base = path.parent
                for _ in range(node.level - 1):
                    base = base.parent
                prefix = ".".join(base.relative_to(root).parts)
                module = f"{prefix}.{node.module}" if node.module else prefix
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".")[0] in LOCAL_PACKAGES}


def dependency_files(snippet: Snippet, root: Path) -> list[Path]:
    """The snippet's file and every local module it imports, transitively."""
    seen: set[Path] = set()
    todo = [snippet.path]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo.extend(_local_imports(path, root) - seen)
    return sorted(seen)
