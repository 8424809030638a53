"""MkDocs hook: run the snippets at build time and fill the pages from their results.

Registered in mkdocs.yml under ``hooks:``. This file wires the build's events to modules that
know nothing of MkDocs: :mod:`book.runner` (the snippets), :mod:`book.notebooks`,
:mod:`book.render` (directives, claims cards, figures), :mod:`book.math`, and
:mod:`book.site` (the pages' HTML, notebook pages, search, site-wide files); what the events
share is a typed :class:`book.site.state.BuildState`. Under ``mkdocs build`` any failure
stops the build with the snippet's or page's name and the cause; under ``mkdocs serve`` the
page shows the error instead and the server keeps running. A placeholder claim (id
``TODO_…``, as ``make chapter`` writes) stops the strict build (``make site``, CI, deploy);
otherwise its page shows a warning.
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
from mkdocs.plugins import event_priority  # noqa: E402
from mkdocs.structure.files import File  # noqa: E402

from book import math, translations  # noqa: E402
from book.render import chinese, figures, page as page_render  # noqa: E402
from book.options import Options  # noqa: E402
from book.site import assets, build, html as page_html, links, notebook_pages, page_notices, run_it, search  # noqa: E402
from book.site.state import BuildState  # noqa: E402

log = logging.getLogger("mkdocs.hooks.book")
state = BuildState()
#: Where mkdocs-jupyter renders a chapter's notebook (and, beside it, the .ipynb to download).
#: The notebooks themselves stay in the build cache; nothing is written into docs/.
NOTEBOOK_DIR = "notebooks"


def on_config(config):
    if not state.terms_learned:
        state.terms_learned = search.learn_terms(Path(config.docs_dir) / "glossary.zh.md")
    return config


def on_env(env, config, files):
    try:
        return assets.with_template_cache(env, Options.from_env().cache_root(_project_root(config)) / "templates")
    except ValueError:
        return env  # reported where the options are read for the snippets


def on_startup(command: str, dirty: bool) -> None:
    state.serving = command == "serve"
    state.editions = []


def on_build_error(error) -> None:
    state.editions = []  # the next build (under `mkdocs serve`) starts from the English one


def _project_root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def _source_url(config):
    return links.source_url(config.extra or {}, config.repo_url)


def _language(config) -> str:
    return state.language(config.theme.get("language"))


def _is_default_language(config) -> bool:
    return _language(config) == translations.LANGUAGES[0]


def on_pre_build(config) -> None:
    """Run the snippets and assemble the notebooks before MkDocs collects the docs' files."""
    root = _project_root(config)
    state.texts = {}
    state.editions.append(config.theme.get("language") or translations.LANGUAGES[0])
    notebook_pages.configure_jupyter(config.plugins.get("mkdocs-jupyter"), root, _is_default_language(config))
    if not _is_default_language(config) and state.views:
        # Another edition of the build that just ran: the same results fill its pages.
        return
    build.prepare(state, root, strict=bool(config.strict))

# After mkdocs-static-i18n's on_files (priority -100), which keeps only the files of the
# edition being built that it recognises: the generated figures and notebooks are added
# after it, to both editions.
@event_priority(-110)
def on_files(files, config):
    for outcome in state.outcomes:
        for site_path, path in outcome.files.items():
            files.append(File.generated(config, site_path, abs_src_path=str(path)))
    # The notebooks are code with English comments: one copy, linked from both editions.
    if _is_default_language(config):
        for notebook in notebook_pages.notebook_files(state.notebooks, config, NOTEBOOK_DIR):
            files.append(notebook)
    return files


def _chapter(page) -> str:
    """The chapter's slug, whichever edition's file the page comes from (``lstm.zh.md``)."""
    name = page.file.src_uri.removesuffix(".md")
    for language in translations.LANGUAGES[1:]:
        name = name.removesuffix(f".{language}")
    return name


def _run_it_yourself(page, config, language: str) -> str:
    chapter = _chapter(page)
    if chapter not in state.notebooks:
        return ""
    return run_it.box(chapter, "../" * page.url.count("/"), config.repo_url, language, NOTEBOOK_DIR)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        # A notebook: assembled and filled by book.notebooks, rendered by mkdocs-jupyter. It
        # repeats its chapter's code, so it stays out of the search index: searches find the
        # chapter, which links to its notebook.
        page.meta["search"] = {"exclude": True}
        return markdown
    language = _language(config)
    root = _project_root(config)

    def texts(snippet_id: str):
        if snippet_id not in state.texts:
            state.texts[snippet_id] = translations.load(root, state.views[snippet_id].source)
        return state.texts[snippet_id]

    if language == "zh":
        markdown = chinese.join_wrapped_chinese(markdown)
    rendered = page_render.render(markdown, page.file.src_uri, state.views, _source_url(config), language, texts)
    text = rendered.markdown
    if rendered.errors and not state.serving:
        raise PluginError(
            f"page '{page.file.src_uri}': " + "; ".join(map(str, rendered.errors))
        )
    notices = page_notices.for_page(rendered, state.views, state.placeholders)
    box = _run_it_yourself(page, config, language) if rendered.used else ""
    if notices or box:
        text = page_notices.after_title(text, "\n".join(notices + [box]))
    return text


def on_page_content(html: str, page, config, files) -> str:
    up = "../" * page.url.count("/")
    if page.file.src_uri.endswith(".ipynb"):
        if state.notebook_pages is None:
            state.notebook_pages = notebook_pages.NotebookPages(state.outcomes)
        html = state.notebook_pages.rewrite(html, up, Path(config.site_dir) / Path(page.file.dest_uri).parent)
        html = _typeset(math.render_notebook_math, html, f"notebook '{page.file.src_uri}'")
        return notebook_pages.with_download_link(html, Path(page.file.src_uri).name, config.repo_url)
    html = figures.FIGURE_ADDRESS.sub(lambda m: m.group(1) + up, html)
    html = page_html.wrap_tables(html)
    html = page_html.break_code_titles(html)
    html = page_html.fold_long_code(html, _language(config))
    html = page_html.exclude_code_from_search(html)
    return _typeset(math.render_math, html, f"page '{page.file.src_uri}'")


def _typeset(render, html: str, where: str) -> str:
    """The page with its math typeset by ``render``; a formula that cannot be is an error that
    fails the build (under ``mkdocs serve``, it is logged and the page shows its LaTeX)."""
    rendered, errors = render(html)
    if errors:
        message = f"{where}: " + "; ".join(errors)
        if not state.serving:
            raise PluginError(message)
        log.error(message)
    return rendered


def on_post_page(output: str, page, config) -> str:
    return assets.lighter_page(output)


# After mkdocs-static-i18n's own post-build (priority -100), which builds the other editions
# and then writes one search index with every edition's pages in it.
@event_priority(-110)
def on_post_build(config) -> None:
    if _is_default_language(config):
        search.split_search_index(Path(config.site_dir))
        assets.minify_stylesheets(Path(config.site_dir) / "stylesheets")
    if state.editions:
        state.editions.pop()
    if state.notebook_pages is not None:
        state.notebook_pages.write_styles(Path(config.site_dir))
    if state.outcomes and _is_default_language(config):
        log.info("Snippet timings:\n%s", build.timings(state))


def on_post_template(output: str, template_name: str, config) -> str:
    return assets.edition_template(state.english_templates, template_name, output, _language(config),
                                   _is_default_language(config), Path(config.site_dir))


def on_serve(server, config, builder):
    root = _project_root(config)
    for folder in ("snippets", "book", "gradient_flow"):
        server.watch(str(root / folder))
    return server


@event_priority(50)  # before the search plugin indexes the page
def on_page_context(context, page, config, nav):
    """A notebook page's edit link points at the chapter's snippets, its real source. The
    search index reads the page's formulas in a linear form (book.site.search)."""
    search.index_readable_math(config)
    if page.file.src_uri.startswith(f"{NOTEBOOK_DIR}/") and page.file.src_uri.endswith(".ipynb"):
        chapter = Path(page.file.src_uri).stem
        url = _source_url(config)(f"snippets/{chapter}")
        page.edit_url = url.replace("/blob/", "/tree/", 1) if url else None
    return context
