"""What a page says at its top: its failures and warnings (under `mkdocs serve`), and the boxes
that follow its title."""

from __future__ import annotations


def for_page(rendered, views: dict, placeholders: dict) -> list[str]:
    """Admonitions for a page's failed snippets, its other errors and its placeholder claims."""
    failed = [views[i] for i in rendered.used if views[i].result is None]
    notices = [
        f'!!! failure "Snippet `{view.id}` failed"\n\n    ```text\n'
        + "\n".join(f"    {line}" for line in view.error.splitlines())
        + "\n    ```\n"
        for view in failed
    ]
    # A snippet without a result already has its own notice; list the page's other errors.
    other = [e for e in rendered.errors if e.kind != "no-result"]
    if other:
        notices.append(
            '!!! failure "This page has errors"\n\n' + "\n".join(f"    - {e}" for e in other) + "\n"
        )
    notices += [
        f'!!! warning "Placeholder claim in `{snippet_id}`: not publishable"\n\n    {placeholders[snippet_id]}.\n'
        for snippet_id in rendered.used
        if snippet_id in placeholders
    ]
    return notices


def after_title(markdown: str, block: str) -> str:
    """``block`` inserted after the page's title (its first level-one heading)."""
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join(lines[: index + 1] + ["", block] + lines[index + 1 :])
    return block + "\n" + markdown

