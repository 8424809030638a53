"""MkDocs hook: run the snippets at build time and fill the pages from their results.

Registered in mkdocs.yml under ``hooks:``. All the work is in :mod:`book.runner` and
:mod:`book.pages`, which know nothing of MkDocs; this file only connects them to the
build's events. Under ``mkdocs build`` any failure stops the build with the snippet's
or page's name and the cause; under ``mkdocs serve`` the page shows the error instead
and the server keeps running.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

# MkDocs puts only this file's folder on sys.path while loading it; the project root
# (which holds the ``book`` and ``snippets`` packages) is one level up.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.structure.files import File  # noqa: E402

from book import math, pages, runner  # noqa: E402

log = logging.getLogger("mkdocs.hooks.book")
state: dict = {"serving": False, "views": {}, "outcomes": []}


def on_startup(command: str, dirty: bool) -> None:
    state["serving"] = command == "serve"


def _project_root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def _source_url(config):
    extra = config.extra or {}
    repo_url = (extra.get("repository") or config.repo_url or "").rstrip("/")
    branch = extra.get("source_branch", "main")

    def url(path: str) -> str | None:
        return f"{repo_url}/blob/{branch}/{path}" if repo_url else None

    return url


def on_files(files, config):
    root = _project_root(config)
    try:
        options = runner.Options.from_env()
    except ValueError as exc:
        raise PluginError(str(exc)) from None
    outcomes = runner.run_all(root, options)
    state["outcomes"] = outcomes

    failures = [o for o in outcomes if not o.ok]
    if failures and not state["serving"]:
        report = "\n\n".join(
            f"snippet '{o.snippet.id}' ({o.snippet.source_relpath(root)}) {o.status}: {o.error}" for o in failures
        )
        log.info("Snippet timings:\n%s", runner.timing_table(outcomes))
        raise PluginError(f"{len(failures)} snippet(s) failed; the site was not built.\n\n{report}")
    for outcome in failures:
        log.error("snippet '%s' %s: %s", outcome.snippet.id, outcome.status, outcome.error)

    state["views"] = {
        o.snippet.id: pages.SnippetView(o.snippet.id, o.snippet.source_relpath(root), o.result, o.error)
        for o in outcomes
    }
    for outcome in outcomes:
        for site_path, path in outcome.files.items():
            files.append(File.generated(config, site_path, abs_src_path=str(path)))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    rendered = pages.render(markdown, page.file.src_uri, state["views"], _source_url(config))
    text = rendered.markdown
    failed = [state["views"][i] for i in rendered.used if state["views"][i].result is None]
    if rendered.errors and not state["serving"]:
        raise PluginError(
            f"page '{page.file.src_uri}': " + "; ".join(rendered.errors)
        )
    notices = [
        f'!!! failure "Snippet `{view.id}` failed"\n\n    ```text\n'
        + "\n".join(f"    {line}" for line in view.error.splitlines())
        + "\n    ```\n"
        for view in failed
    ]
    other = [e for e in rendered.errors if not any(f"'{v.id}' has no result" in e for v in failed)]
    if other:
        notices.append(
            '!!! failure "This page has errors"\n\n' + "\n".join(f"    - {e}" for e in other) + "\n"
        )
    if notices:
        text = _after_title(text, "\n".join(notices))
    return text


def on_page_content(html: str, page, config, files) -> str:
    rendered, errors = math.render_math(html)
    if errors:
        message = f"page '{page.file.src_uri}': " + "; ".join(errors)
        if not state["serving"]:
            raise PluginError(message)
        log.error(message)
    return rendered


def _after_title(markdown: str, block: str) -> str:
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join(lines[: index + 1] + ["", block] + lines[index + 1 :])
    return block + "\n" + markdown


def on_post_build(config) -> None:
    if state["outcomes"]:
        log.info("Snippet timings:\n%s", runner.timing_table(state["outcomes"]))


def on_serve(server, config, builder):
    root = _project_root(config)
    for folder in ("snippets", "book"):
        server.watch(str(root / folder))
    return server
