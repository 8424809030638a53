"""Before MkDocs reads the pages: the snippets brought up to date, the chapters' notebooks assembled.

Under ``mkdocs build`` a failed snippet, a notebook that cannot be assembled or (in a strict
build) a placeholder claim stops the build with its cause; under ``mkdocs serve`` it is
logged, and the page shows it.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from mkdocs.exceptions import PluginError

from book import claims, notebooks, runner
from book.render.views import views_of
from book.site import notebook_pages
from book.site.state import BuildState

log = logging.getLogger("mkdocs.hooks.book")


def prepare(state: BuildState, strict: bool) -> None:
    """Run what changed, assemble the notebooks, and keep in ``state`` what the pages need.

    Under ``mkdocs serve`` a snippet without a cached record first runs its build seed alone,
    so that the site is served soon; the other seeds run in the background (:func:`check_in_background`),
    and the site rebuilds when they are in. ``make site``, ``make test`` and CI build with
    every seed before anything is published."""
    root, options = state.root, state.options
    if state.background is not None and state.background.is_alive():
        log.info("The snippets' other seeds are still running: this rebuild keeps the results it has; "
                 "a changed snippet runs when they are in.")
        return
    start = time.perf_counter()
    outcomes = runner.run_all(root, options, first_seed_only=state.serving)
    for outcome in outcomes:
        # A provisional record whose other seeds failed twice in the background: the failure is
        # what the page shows (until the snippet changes), and they are not run again.
        errors = state.failed_checks.get(str(outcome.entry.path), []) if outcome.provisional else []
        if len(errors) >= 2:
            outcome.status, outcome.result, outcome.error = runner.Status.FAILED, None, errors[-1]
    middle = time.perf_counter()
    chapter_notebooks = notebooks.ensure_notebooks(root, outcomes, options) if options.notebooks else []
    state.outcomes = outcomes
    state.notebook_pages = notebook_pages.NotebookPages()
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
    if any(o.provisional for o in outcomes):
        check_in_background(state)


def checks_done_marker(state: BuildState) -> Path:
    """The file the background checks touch when they are done (``mkdocs serve`` watches it)."""
    marker = state.options.cache_root(state.root) / "serve-checks-done"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch(exist_ok=True)
    return marker


def check_in_background(state: BuildState) -> None:
    """Run every seed of the snippets served from their build seed alone, then touch the marker
    (the server rebuilds the site from the complete records and the page reloads)."""
    pending = sum(o.provisional for o in state.outcomes)
    log.info(f"Serving {pending} snippet(s) from their build seed; checking the other seeds in the background.")

    def work() -> None:
        for outcome in runner.run_all(state.root, state.options):
            if outcome.status is runner.Status.FAILED:
                state.failed_checks.setdefault(str(outcome.entry.first_seed.path), []).append(outcome.error)
                log.error(f"snippet '{outcome.snippet.id}' failed at its other seeds: {outcome.error}")
        checks_done_marker(state).touch()
        log.info("Every seed checked: rebuilding the site.")

    state.background = threading.Thread(target=work, name="book-claim-seeds", daemon=True)
    state.background.start()


def reload_if_checked(state: BuildState) -> None:
    """The background checks finished before the server watched their marker: rebuild now."""
    if state.background is not None and not state.background.is_alive() and any(o.provisional for o in state.outcomes):
        checks_done_marker(state).touch()



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
