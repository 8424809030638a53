"""Before MkDocs reads the pages: the snippets brought up to date, the chapters' notebooks assembled.

Under ``mkdocs build`` a failed snippet, a notebook that cannot be assembled or (in a strict
build) a placeholder claim stops the build with its cause; under ``mkdocs serve`` it is
logged, and the page shows it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from mkdocs.exceptions import PluginError

from book import claims, notebooks, runner
from book.options import Options
from book.render.views import views_of
from book.site import notebook_pages
from book.site.state import BuildState

log = logging.getLogger("mkdocs.hooks.book")


def prepare(state: BuildState, root: Path, strict: bool) -> None:
    """Run what changed, assemble the notebooks, and keep in ``state`` what the pages need."""
    try:
        options = Options.from_env()
    except ValueError as exc:
        raise PluginError(str(exc)) from None
    start = time.perf_counter()
    outcomes = runner.run_all(root, options)
    middle = time.perf_counter()
    chapter_notebooks = notebooks.ensure_notebooks(root, outcomes, options) if options.notebooks else []
    state.outcomes = outcomes
    state.notebook_pages = notebook_pages.NotebookPages(outcomes)
    state.wall = (middle - start, time.perf_counter() - middle)

    failures = [
        f"snippet '{o.snippet.id}' ({o.snippet.source_relpath(root)}) {o.status}: {o.error}"
        for o in outcomes
        if not o.ok
    ]
    if failures and not state.serving:
        log.info("Snippet timings:\n%s", timings(state))
        raise PluginError(f"{len(failures)} snippet(s) failed; the site was not built.\n\n" + "\n\n".join(failures))
    for failure in failures:
        log.error(failure)

    state.views = views_of(outcomes, root)
    check_placeholders(state, outcomes, root, strict=strict and not state.serving)
    state.notebooks = {n.chapter: n.path for n in chapter_notebooks if n.ok}
    broken = [f"notebook for chapter '{n.chapter}': {n.error}" for n in chapter_notebooks
              if not n.ok and not n.snippet_failed]
    if broken and not state.serving:
        raise PluginError("\n".join(broken))
    for message in broken:
        log.error(message)



def check_placeholders(state: BuildState, outcomes, root: Path, strict: bool) -> None:
    """A placeholder claim (id ``TODO_…``, as the chapter scaffold writes) is never published:
    the strict build (``make site``, CI, deploy) stops; otherwise its pages show a warning."""
    found = {}
    for outcome in outcomes:
        if outcome.ok:
            ids = claims.placeholder_ids(c["id"] for c in outcome.result["claims"])
            if ids:
                found[outcome.snippet.id] = claims.placeholder_message(
                    outcome.snippet.id, outcome.snippet.source_relpath(root), ids
                )
    state.placeholders = found
    if found and strict:
        raise PluginError(
            f"{len(found)} snippet(s) have placeholder claims; the site was not built.\n\n" + "\n\n".join(found.values())
        )
    for message in found.values():
        log.warning(message)


def timings(state: BuildState) -> str:
    """The snippets' timing table and the wall time of both phases (logged after each build)."""
    table = runner.timing_table(state.outcomes)
    snippets_wall, notebooks_wall = state.wall
    phases = f"wall time: snippets {snippets_wall:.1f} s, notebooks assembled in {notebooks_wall:.2f} s"
    return "\n".join((table, phases))
