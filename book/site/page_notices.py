"""What a page says at its top: its failures and warnings (under `mkdocs serve`), and the boxes
that follow its title."""

from __future__ import annotations


#: Under `mkdocs serve`'s first view, before the other claim seeds are in.
STILL_CHECKING = {
    "en": ('!!! info "Still checking the other seeds"\n\n    This page shows the build seed\'s numbers and figures; '
           "its claims are being checked at the other seeds in the background. The page reloads when they are in.\n"),
    "zh": ('!!! info "其余种子仍在检验中"\n\n    本页显示的是构建种子的数字和图；其余种子的论断正在后台检验，'
           "完成后页面会自动重新加载。\n"),
}


def for_page(rendered, views: dict, placeholders: dict, language: str = "en") -> list[str]:
    """Admonitions for a page's failed snippets, its other errors, its placeholder claims, and
    whether its claims are still being checked at the other seeds."""
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
    if any(views[i].result and views[i].result.get("provisional") for i in rendered.used):
        notices.append(STILL_CHECKING[language])
    return notices


def after_title(markdown: str, block: str) -> str:
    """``block`` inserted after the page's title (its first level-one heading)."""
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join(lines[: index + 1] + ["", block] + lines[index + 1 :])
    return block + "\n" + markdown

