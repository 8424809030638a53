"""The book's MkDocs events: run the snippets at build time and fill the pages from their results.

:class:`BookPlugin` is what ``book/mkdocs_hook.py`` hands MkDocs: one object per loaded
config, its state a typed :class:`book.site.state.BuildState`, each event a method that
delegates to modules knowing nothing of MkDocs: :mod:`book.runner` (the snippets),
:mod:`book.notebooks`, :mod:`book.render` (directives, claims cards, figures), :mod:`book.math`
and the rest of :mod:`book.site` (the pages' HTML, notebook pages, search, site-wide files).
Under ``mkdocs build`` any failure stops the build with the snippet's or page's name and the
cause; under ``mkdocs serve`` the page shows the error instead and the server keeps running.
A placeholder claim (id ``TODO_…``, as ``make chapter`` writes) stops the strict build
(``make site``, CI, deploy); otherwise its page shows a warning.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

from book import math, translations
from book.options import Options
from book.render import chinese, figures, page as page_render
from book.site import assets, build, html as page_html, links, notebook_pages, page_notices, run_it, search
from book.site.state import BuildState

log = logging.getLogger("mkdocs.hooks.book")
#: Where mkdocs-jupyter renders a chapter's notebook (and, beside it, the .ipynb to download).
#: The notebooks themselves stay in the build cache; nothing is written into docs/.
NOTEBOOK_DIR = "notebooks"


class BookPlugin:
    """The book's build, event by event (MkDocs calls the ``on_…`` methods)."""

    def __init__(self) -> None:
        self.state = BuildState()

    # -- configuration ---------------------------------------------------------------------

    def on_startup(self, command: str, dirty: bool) -> None:
        self.state.serving = command == "serve"
        self.state.editions = []

    def on_config(self, config):
        state = self.state
        state.root = Path(config.config_file_path).resolve().parent
        try:
            state.options = Options.from_env()  # read once; every step of the build gets it from here
        except ValueError as exc:
            state.options_error = str(exc)
        if not state.terms_learned:
            state.terms_learned = search.learn_terms(Path(config.docs_dir) / "glossary.zh.md")
        return config

    def on_env(self, env, config, files):
        if self.state.options is None:
            return env  # the options' error is reported when the snippets are run
        return assets.with_template_cache(env, self.state.options.cache_root(self.state.root) / "templates")

    def on_build_error(self, error) -> None:
        self.state.editions = []  # the next build (under `mkdocs serve`) starts from the English one

    def on_serve(self, server, config, builder):
        for folder in ("snippets", "book", "gradient_flow"):
            server.watch(str(self.state.root / folder))
        if self.state.options is not None:
            # The background checks touch this file when every seed is in: the site rebuilds.
            server.watch(str(build.checks_done_marker(self.state)))
            build.reload_if_checked(self.state)
        return server

    # -- the snippets, notebooks and generated files -------------------------------------------

    def on_pre_build(self, config) -> None:
        """Run the snippets and assemble the notebooks before MkDocs collects the docs' files."""
        state = self.state
        state.texts = {}
        state.editions.append(config.theme.get("language") or translations.LANGUAGES[0])
        if state.options is None:
            raise PluginError(state.options_error)
        notebook_pages.configure_jupyter(config.plugins.get("mkdocs-jupyter"), state.options.cache_root(state.root),
                                         self._is_default_language(config))
        if not self._is_default_language(config) and state.views:
            return  # another edition of the build that just ran: the same results fill its pages
        build.prepare(state, strict=bool(config.strict))

    # After mkdocs-static-i18n's on_files (priority -100), which keeps only the files of the
    # edition being built that it recognises: the generated figures and notebooks are added
    # after it, to both editions.
    @event_priority(-110)
    def on_files(self, files, config):
        for outcome in self.state.outcomes:
            for site_path, path in outcome.files.items():
                files.append(File.generated(config, site_path, abs_src_path=str(path)))
        # The notebooks are code with English comments: one copy, linked from both editions.
        if self._is_default_language(config):
            for notebook in notebook_pages.notebook_files(self.state.notebooks, config, NOTEBOOK_DIR):
                files.append(notebook)
        return files

    # -- pages -----------------------------------------------------------------------------

    def on_page_markdown(self, markdown: str, page, config, files) -> str:
        state = self.state
        if page.file.src_uri.endswith(".ipynb"):
            # A notebook: assembled and filled by book.notebooks, rendered by mkdocs-jupyter. It
            # repeats its chapter's code, so it stays out of the search index: searches find the
            # chapter, which links to its notebook.
            page.meta["search"] = {"exclude": True}
            return markdown
        language = self._language(config)

        def texts(snippet_id: str):
            if snippet_id not in state.texts:
                state.texts[snippet_id] = translations.load(state.root, state.views[snippet_id].source)
            return state.texts[snippet_id]

        if language == "zh":
            markdown = chinese.join_wrapped_chinese(markdown)
        rendered = page_render.render(markdown, page.file.src_uri, state.views, self._source_url(config), language, texts)
        if rendered.errors and not state.serving:
            raise PluginError(f"page '{page.file.src_uri}': " + "; ".join(map(str, rendered.errors)))
        notices = page_notices.for_page(rendered, state.views, state.placeholders, language)
        chapter = _chapter(page)
        box = ""
        if rendered.used and chapter in state.notebooks:
            box = run_it.box(chapter, "../" * page.url.count("/"), config.repo_url, language, NOTEBOOK_DIR)
        if notices or box:
            return page_notices.after_title(rendered.markdown, "\n".join(notices + [box]))
        return rendered.markdown

    def on_page_content(self, html: str, page, config, files) -> str:
        up = "../" * page.url.count("/")
        where = f"page '{page.file.src_uri}'"
        if page.file.src_uri.endswith(".ipynb"):
            notebook = json.loads(Path(page.file.abs_src_path).read_text(encoding="utf-8"))
            out_folder = Path(config.site_dir) / Path(page.file.dest_uri).parent
            html = self.state.notebook_pages.rewrite(html, up, out_folder, notebook)
            html = self._typeset(math.render_notebook_math, html, f"notebook '{page.file.src_uri}'")
            return notebook_pages.with_download_link(html, Path(page.file.src_uri).name, config.repo_url)
        html = figures.FIGURE_ADDRESS.sub(lambda m: m.group(1) + up, html)
        html = page_html.wrap_tables(html)
        html = page_html.break_code_titles(html)
        html = page_html.fold_long_code(html, self._language(config))
        html = page_html.translate_permalinks(html, self._language(config))
        html = page_html.exclude_code_from_search(html)
        return self._typeset(math.render_math, html, where)

    @event_priority(50)  # before the search plugin indexes the page
    def on_page_context(self, context, page, config, nav):
        """A notebook page's edit link points at the chapter's snippets, its real source. The
        search index reads the page's formulas in a linear form (book.site.search)."""
        search.index_readable_math(config)
        if page.file.src_uri.startswith(f"{NOTEBOOK_DIR}/") and page.file.src_uri.endswith(".ipynb"):
            url = self._source_url(config)(f"snippets/{Path(page.file.src_uri).stem}")
            page.edit_url = url.replace("/blob/", "/tree/", 1) if url else None
        return context

    def on_post_page(self, output: str, page, config) -> str:
        return assets.lighter_page(output)

    def on_post_template(self, output: str, template_name: str, config) -> str:
        return assets.edition_template(self.state.english_templates, template_name, output, self._language(config),
                                       self._is_default_language(config), Path(config.site_dir))

    # After mkdocs-static-i18n's own post-build (priority -100), which builds the other editions
    # and then writes one search index with every edition's pages in it.
    @event_priority(-110)
    def on_post_build(self, config) -> None:
        state = self.state
        site_dir = Path(config.site_dir)
        if self._is_default_language(config):
            search.split_search_index(site_dir)
            assets.minify_stylesheets(site_dir / "stylesheets")
        if state.editions:
            state.editions.pop()
        state.notebook_pages.write_styles(site_dir)
        if state.outcomes and self._is_default_language(config):
            # The table after a build that ran snippets; its one summary line otherwise.
            table = build.timings(state)
            log.info("Snippet timings:\n%s", table if any(o.seconds for o in state.outcomes) else
                     next(line for line in table.splitlines() if " snippets: " in line))

    # -- helpers -------------------------------------------------------------------------

    def _language(self, config) -> str:
        return self.state.language(config.theme.get("language"))

    def _is_default_language(self, config) -> bool:
        return self._language(config) == translations.LANGUAGES[0]

    @staticmethod
    def _source_url(config):
        return links.source_url(config.extra or {}, config.repo_url)

    def _typeset(self, render, html: str, where: str) -> str:
        """The page with its math typeset by ``render``; a formula that cannot be is an error that
        fails the build (under ``mkdocs serve``, it is logged and the page shows its LaTeX)."""
        rendered, errors = render(html)
        if errors:
            message = f"{where}: " + "; ".join(errors)
            if not self.state.serving:
                raise PluginError(message)
            log.error(message)
        return rendered


def _chapter(page) -> str:
    """The chapter's slug, whichever edition's file the page comes from (``lstm.zh.md``)."""
    name = page.file.src_uri.removesuffix(".md")
    for language in translations.LANGUAGES[1:]:
        name = name.removesuffix(f".{language}")
    return name
