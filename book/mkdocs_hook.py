"""MkDocs hook: run the snippets at build time and fill the pages from their results.

Registered in mkdocs.yml under ``hooks:``. This file wires the build's events to modules that
know nothing of MkDocs: :mod:`book.runner` (the snippets), :mod:`book.notebooks`,
:mod:`book.pages` (directives, claims cards, figures), :mod:`book.math`, and
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
import time
from pathlib import Path

# MkDocs puts only this file's folder on sys.path while loading it; the project root
# (which holds the ``book`` and ``snippets`` packages) is one level up.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.plugins import event_priority  # noqa: E402
from mkdocs.structure.files import File, Files, InclusionLevel  # noqa: E402

from book import claims, math, notebooks, pages, runner, translations  # noqa: E402
from book.options import Options  # noqa: E402
from book.site import assets, html as page_html, notebook_pages, search  # noqa: E402
from book.site.state import BuildState  # noqa: E402

log = logging.getLogger("mkdocs.hooks.book")
state = BuildState()
#: Where mkdocs-jupyter renders a chapter's notebook (and, beside it, the .ipynb to download).
#: The notebooks themselves stay in the build cache; nothing is written into docs/.
NOTEBOOK_DIR = "notebooks"


def on_config(config):
    """Chinese search cuts text into words with jieba (Material's search plugin uses it when
    it is installed); it learns the book's own terms first, from the glossary's terminology
    table, so that 残差连接 or 遗忘门 is one word in the index, as a reader types it."""
    if state.terms_learned:
        return config
    glossary = Path(config.docs_dir) / "glossary.zh.md"
    try:
        import jieba
    except ImportError:
        return config
    if glossary.is_file():
        for term in translations.terminology(glossary.read_text(encoding="utf-8")):
            jieba.add_word(term)
        state.terms_learned = True
    return config


def on_env(env, config, files):
    """Keep the theme's compiled templates between builds (Jinja's bytecode cache, keyed by
    each template's source): otherwise both editions compile Material's templates again on
    every build."""
    import jinja2

    try:
        folder = Options.from_env().cache_root(_project_root(config)) / "templates"
    except ValueError:
        return env  # reported where the options are read for the snippets
    folder.mkdir(parents=True, exist_ok=True)
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
    return env


def on_startup(command: str, dirty: bool) -> None:
    state.serving = command == "serve"
    state.editions = []


def on_build_error(error) -> None:
    state.editions = []  # the next build (under `mkdocs serve`) starts from the English one


def _project_root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def _source_url(config):
    extra = config.extra or {}
    repo_url = (extra.get("repository") or config.repo_url or "").rstrip("/")
    branch = extra.get("source_branch", "main")

    def url(path: str) -> str | None:
        return f"{repo_url}/blob/{branch}/{path}" if repo_url else None

    return url


def _language(config) -> str:
    """The edition being built: mkdocs-static-i18n builds the English site, then, from its
    post-build event, the Chinese one (``theme.language`` set per language in mkdocs.yml).
    After the nested build the shared config still says "zh", so the edition of the build
    in progress is kept on a stack: pushed at pre-build, popped at post-build."""
    if state.editions:
        return state.editions[-1]
    return config.theme.get("language") or translations.LANGUAGES[0]


def _is_default_language(config) -> bool:
    return _language(config) == translations.LANGUAGES[0]


def on_pre_build(config) -> None:
    """Run the snippets and assemble the notebooks before MkDocs collects the docs' files."""
    root = _project_root(config)
    state.texts = {}
    state.editions.append(config.theme.get("language") or translations.LANGUAGES[0])
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None:
        # The rendered notebooks live in the book's cache (a cold build starts without them,
        # `make clean-cache` removes them). The Chinese edition renders no notebook: were
        # the cache on, mkdocs-jupyter would evict the English edition's rendered notebooks
        # at the end of the Chinese build, and every build would convert them all again.
        try:
            jupyter.config["cache_dir"] = str(Options.from_env().cache_root(root) / "notebook-pages")
        except ValueError:
            pass  # reported below, where the options are read for the snippets
        jupyter.config["cache"] = _is_default_language(config)
    if not _is_default_language(config) and state.views:
        # Another edition of the build that just ran: the same results fill its pages.
        return
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
        log.info("Snippet timings:\n%s", _timings())
        raise PluginError(f"{len(failures)} snippet(s) failed; the site was not built.\n\n" + "\n\n".join(failures))
    for failure in failures:
        log.error(failure)

    state.views = {
        o.snippet.id: pages.SnippetView.of(o, root)
        for o in outcomes
    }
    _check_placeholders(outcomes, root, strict=bool(config.strict) and not state.serving)
    state.notebooks = {n.chapter: n.path for n in chapter_notebooks if n.ok}
    broken = [f"notebook for chapter '{n.chapter}': {n.error}" for n in chapter_notebooks
              if not n.ok and not n.snippet_failed]
    if broken and not state.serving:
        raise PluginError("\n".join(broken))
    for message in broken:
        log.error(message)


def _check_placeholders(outcomes, root: Path, strict: bool) -> None:
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


# After mkdocs-static-i18n's on_files (priority -100), which keeps only the files of the
# edition being built that it recognises: the generated figures and notebooks are added
# after it, to both editions.
@event_priority(-110)
def on_files(files, config):
    for outcome in state.outcomes:
        for site_path, path in outcome.files.items():
            files.append(File.generated(config, site_path, abs_src_path=str(path)))
    # The notebooks are code with English comments: one copy, linked from both editions.
    notebooks_here = state.notebooks if _is_default_language(config) else {}
    generated = []
    for chapter, path in notebooks_here.items():
        # Served from the cache (<cache>/notebooks/<chapter>.ipynb): a real source file, as
        # mkdocs-jupyter needs, with the page's name (and the .ipynb beside it) the chapter's.
        src_dir = path.parent.parent
        assert path == src_dir / NOTEBOOK_DIR / f"{chapter}.ipynb", path
        generated.append(File(
            f"{NOTEBOOK_DIR}/{chapter}.ipynb",
            src_dir=str(src_dir),
            dest_dir=config.site_dir,
            use_directory_urls=config.use_directory_urls,
            inclusion=InclusionLevel.NOT_IN_NAV,
        ))
    if generated:
        # mkdocs-jupyter's on_files (which turns an .ipynb into a page) has run already.
        jupyter = config.plugins.get("mkdocs-jupyter")
        for notebook in jupyter.on_files(Files(generated), config) if jupyter else generated:
            files.append(notebook)
    return files


def _timings() -> str:
    table = runner.timing_table(state.outcomes)
    snippets_wall, notebooks_wall = state.wall
    phases = f"wall time: snippets {snippets_wall:.1f} s, notebooks assembled in {notebooks_wall:.2f} s"
    return "\n".join((table, phases))


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
    up = "../" * page.url.count("/")
    download = f"{up}{NOTEBOOK_DIR}/{chapter}/{chapter}.ipynb"
    repo = config.repo_url
    if language == "zh":
        # The notebook is code: the Chinese page links to the one English copy.
        return (
            '???+ example book-phone-folded "自己动手运行"\n'
            "    本页的每一幅图和每一个数字，都是构建网站时由这里展示的代码生成的。"
            f'<a href="{up}{NOTEBOOK_DIR}/{chapter}/">本章的笔记本</a>包含同样的代码及其输出（代码注释为英文）；'
            f'<a href="{download}" download>下载它（.ipynb）</a>，在<a href="{repo}">仓库</a>的克隆中运行。\n'
        )
    return (
        '???+ example book-phone-folded "Run it yourself"\n'
        "    Every figure and number on this page was produced by the code shown here when the site was built. "
        f"The [chapter's notebook]({NOTEBOOK_DIR}/{chapter}.ipynb) holds the same code with its outputs; "
        f'<a href="{download}" download>download it (.ipynb)</a> and run it inside a clone of '
        f'<a href="{repo}">the repository</a>.\n'
    )


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
        markdown = pages.join_wrapped_chinese(markdown)
    rendered = pages.render(markdown, page.file.src_uri, state.views, _source_url(config), language, texts)
    text = rendered.markdown
    failed = [state.views[i] for i in rendered.used if state.views[i].result is None]
    if rendered.errors and not state.serving:
        raise PluginError(
            f"page '{page.file.src_uri}': " + "; ".join(map(str, rendered.errors))
        )
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
        f'!!! warning "Placeholder claim in `{snippet_id}`: not publishable"\n\n    {state.placeholders[snippet_id]}.\n'
        for snippet_id in rendered.used
        if snippet_id in state.placeholders
    ]
    run_it = _run_it_yourself(page, config, language) if rendered.used else ""
    if notices or run_it:
        text = _after_title(text, "\n".join(notices + [run_it]))
    return text


def on_page_content(html: str, page, config, files) -> str:
    up = "../" * page.url.count("/")
    if page.file.src_uri.endswith(".ipynb"):
        if state.notebook_pages is None:
            state.notebook_pages = notebook_pages.NotebookPages(state.outcomes)
        html = state.notebook_pages.rewrite(html, up, Path(config.site_dir) / Path(page.file.dest_uri).parent)
        html = _typeset(math.render_notebook_math, html, f"notebook '{page.file.src_uri}'")
        return notebook_pages.with_download_link(html, Path(page.file.src_uri).name, config.repo_url)
    html = pages.FIGURE_ADDRESS.sub(lambda m: m.group(1) + up, html)
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


def _after_title(markdown: str, block: str) -> str:
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join(lines[: index + 1] + ["", block] + lines[index + 1 :])
    return block + "\n" + markdown


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
    if state.notebook_pages is not None and state.notebook_pages.styles:
        target = Path(config.site_dir) / notebook_pages.NOTEBOOK_CSS
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(state.notebook_pages.styles), encoding="utf-8")
    if state.outcomes and _is_default_language(config):
        log.info("Snippet timings:\n%s", _timings())


def on_post_template(output: str, template_name: str, config) -> str:
    """The site-wide files of each edition. mkdocs-static-i18n builds both editions into the
    same site folder, the Chinese one last: its 404 page goes to zh/404.html (the English one
    stays at the root), and the root sitemap lists both editions' pages, the Chinese ones
    also in zh/sitemap.xml (where Material looks when the language changes)."""
    if template_name not in ("404.html", "sitemap.xml"):
        return output
    language = _language(config)
    if _is_default_language(config):
        state.english_templates[template_name] = output
        return output
    target = Path(config.site_dir) / language / template_name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(output, encoding="utf-8")
    english = state.english_templates.get(template_name, output)
    if template_name == "404.html":
        return english
    return assets.merged_sitemap(english, output)


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
