"""MkDocs hook: run the snippets at build time and fill the pages from their results.

Registered in mkdocs.yml under ``hooks:``. All the work is in :mod:`book.runner` and
:mod:`book.pages`, which know nothing of MkDocs; this file only connects them to the
build's events. Under ``mkdocs build`` any failure stops the build with the snippet's
or page's name and the cause; under ``mkdocs serve`` the page shows the error instead
and the server keeps running. A placeholder claim (id ``TODO_…``, as ``make chapter`` writes)
stops the strict build (``make site``, CI, deploy); otherwise its page shows a warning.
"""

from __future__ import annotations

import base64
import hashlib
import json
import html as html_lib
import logging
import re
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

log = logging.getLogger("mkdocs.hooks.book")
state: dict = {"serving": False, "views": {}, "outcomes": [], "notebooks": {}, "placeholders": {}}
#: Where mkdocs-jupyter renders a chapter's notebook (and, beside it, the .ipynb to download).
#: The notebooks themselves stay in the build cache; nothing is written into docs/.
NOTEBOOK_DIR = "notebooks"
#: Notebook pages may reference MathJax from a CDN; the book typesets math itself.
CODE_BLOCK = re.compile(r'<div class="(?:language-\w+ )?highlight"')
MATHJAX_SCRIPT = re.compile(r"<script[^>]*>[^<]*MathJax[^<]*</script>|<script[^>]*mathjax[^>]*>\s*</script>", re.I)


def on_config(config):
    """Chinese search cuts text into words with jieba (Material's search plugin uses it when
    it is installed); it learns the book's own terms first, from the glossary's terminology
    table, so that 残差连接 or 遗忘门 is one word in the index, as a reader types it."""
    if state.get("terms_learned"):
        return config
    glossary = Path(config.docs_dir) / "glossary.zh.md"
    try:
        import jieba
    except ImportError:
        return config
    if glossary.is_file():
        for term in translations.terminology(glossary.read_text(encoding="utf-8")):
            jieba.add_word(term)
        state["terms_learned"] = True
    return config


def on_env(env, config, files):
    """Keep the theme's compiled templates between builds (Jinja's bytecode cache, keyed by
    each template's source): otherwise both editions compile Material's templates again on
    every build."""
    import jinja2

    try:
        folder = runner.Options.from_env().cache_root(_project_root(config)) / "templates"
    except ValueError:
        return env  # reported where the options are read for the snippets
    folder.mkdir(parents=True, exist_ok=True)
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
    return env


def on_startup(command: str, dirty: bool) -> None:
    state["serving"] = command == "serve"
    state["editions"] = []


def on_build_error(error) -> None:
    state["editions"] = []  # the next build (under `mkdocs serve`) starts from the English one


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
    if state.get("editions"):
        return state["editions"][-1]
    return config.theme.get("language") or translations.LANGUAGES[0]


def _is_default_language(config) -> bool:
    return _language(config) == translations.LANGUAGES[0]


def on_pre_build(config) -> None:
    """Run the snippets and assemble the notebooks before MkDocs collects the docs' files."""
    root = _project_root(config)
    state["texts"] = {}
    state.setdefault("editions", []).append(config.theme.get("language") or translations.LANGUAGES[0])
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None:
        # The rendered notebooks live in the book's cache (a cold build starts without them,
        # `make clean-cache` removes them). The Chinese edition renders no notebook: were
        # the cache on, mkdocs-jupyter would evict the English edition's rendered notebooks
        # at the end of the Chinese build, and every build would convert them all again.
        try:
            jupyter.config["cache_dir"] = str(runner.Options.from_env().cache_root(root) / "notebook-pages")
        except ValueError:
            pass  # reported below, where the options are read for the snippets
        jupyter.config["cache"] = _is_default_language(config)
    if not _is_default_language(config) and state["views"]:
        # Another edition of the build that just ran: the same results fill its pages.
        return
    state.pop("figure_index", None)
    state["notebook_css"] = []
    try:
        options = runner.Options.from_env()
    except ValueError as exc:
        raise PluginError(str(exc)) from None
    start = time.perf_counter()
    outcomes = runner.run_all(root, options)
    middle = time.perf_counter()
    chapter_notebooks = notebooks.ensure_notebooks(root, outcomes, options) if options.notebooks else []
    state["outcomes"] = outcomes
    state["wall"] = (middle - start, time.perf_counter() - middle)

    failures = [
        f"snippet '{o.snippet.id}' ({o.snippet.source_relpath(root)}) {o.status}: {o.error}"
        for o in outcomes
        if not o.ok
    ]
    if failures and not state["serving"]:
        log.info("Snippet timings:\n%s", _timings())
        raise PluginError(f"{len(failures)} snippet(s) failed; the site was not built.\n\n" + "\n\n".join(failures))
    for failure in failures:
        log.error(failure)

    state["views"] = {
        o.snippet.id: pages.SnippetView.of(o, root)
        for o in outcomes
    }
    _check_placeholders(outcomes, root, strict=bool(config.strict) and not state["serving"])
    state["notebooks"] = {n.chapter: n.path for n in chapter_notebooks if n.ok}
    broken = [f"notebook for chapter '{n.chapter}': {n.error}" for n in chapter_notebooks
              if not n.ok and not n.snippet_failed]
    if broken and not state["serving"]:
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
    state["placeholders"] = found
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
    for outcome in state["outcomes"]:
        for site_path, path in outcome.files.items():
            files.append(File.generated(config, site_path, abs_src_path=str(path)))
    # The notebooks are code with English comments: one copy, linked from both editions.
    notebooks_here = state["notebooks"] if _is_default_language(config) else {}
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
    table = runner.timing_table(state["outcomes"])
    snippets_wall, notebooks_wall = state.get("wall", (0.0, 0.0))
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
    if chapter not in state["notebooks"]:
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
        if snippet_id not in state["texts"]:
            state["texts"][snippet_id] = translations.load(root, state["views"][snippet_id].source)
        return state["texts"][snippet_id]

    if language == "zh":
        markdown = pages.join_wrapped_chinese(markdown)
    rendered = pages.render(markdown, page.file.src_uri, state["views"], _source_url(config), language, texts)
    text = rendered.markdown
    failed = [state["views"][i] for i in rendered.used if state["views"][i].result is None]
    if rendered.errors and not state["serving"]:
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
        f'!!! warning "Placeholder claim in `{snippet_id}`: not publishable"\n\n    {state["placeholders"][snippet_id]}.\n'
        for snippet_id in rendered.used
        if snippet_id in state["placeholders"]
    ]
    run_it = _run_it_yourself(page, config, language) if rendered.used else ""
    if notices or run_it:
        text = _after_title(text, "\n".join(notices + [run_it]))
    return text


def on_page_content(html: str, page, config, files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        name = Path(page.file.src_uri).name
        html = MATHJAX_SCRIPT.sub("", html)
        # Code cells scroll sideways: keyboard users must be able to focus them.
        html = html.replace('<div class="highlight-ipynb', '<div tabindex="0" class="highlight-ipynb')
        up = "../" * page.url.count("/")
        # Links copied from the chapter (exercises) point at its Markdown files: send them
        # to the chapters' pages (mkdocs-jupyter leaves them as they are).
        html = CHAPTER_LINK.sub(lambda m: f'href="{up}{m.group(1)}/{m.group(2) or ""}"', html)
        html = _notebook_styles(html, up)
        html = _notebook_figures(html, up, page, config)
        html = _typeset(math.render_notebook_math, html, f"notebook '{page.file.src_uri}'")
        link = (
            f'<p class="book-notebook-download"><a href="{name}" download>Download this notebook (.ipynb)</a> '
            f'— run it from inside a clone of <a href="{config.repo_url}">the repository</a>.</p>\n'
        )
        # Right under the notebook's title (inside its Markdown cell), as a chapter's "Run it
        # yourself" box is.
        title_end = html.find("</h1>")
        if title_end < 0:
            return link + html
        cut = title_end + len("</h1>")
        return html[:cut] + link + html[cut:]
    html = pages.FIGURE_ADDRESS.sub(lambda m: m.group(1) + "../" * page.url.count("/"), html)
    html = wrap_tables(html)
    # A code block's title is a file's path: on a narrow screen it wraps after a slash, not
    # inside a name.
    html = CODE_TITLE.sub(lambda m: m.group(1) + m.group(2).replace("/", "/<wbr>") + m.group(3), html)
    html = fold_long_code(html, _language(config))
    # Code stays out of the search index (its text would crowd the prose out of the results).
    html = CODE_BLOCK.sub(r"\g<0> data-search-exclude", html)
    return _typeset(math.render_math, html, f"page '{page.file.src_uri}'")


def _typeset(render, html: str, where: str) -> str:
    """The page with its math typeset by ``render``; a formula that cannot be is an error that
    fails the build (under ``mkdocs serve``, it is logged and the page shows its LaTeX)."""
    rendered, errors = render(html)
    if errors:
        message = f"{where}: " + "; ".join(errors)
        if not state["serving"]:
            raise PluginError(message)
        log.error(message)
    return rendered


TABLE = re.compile(r"<table>.*?</table>", re.S)
CODE_TITLE = re.compile(r'(<span class="filename">)([^<]*)(</span>)')


def wrap_tables(html: str) -> str:
    """Each table in the scrolling box Material's script puts it in, already in the page, so
    that it is drawn at its final size from the first paint: wrapped only by the script, after
    the page was drawn, every table changed height and moved the text below it (a section link
    on the API page, with its many tables, landed a tenth of a screen off). The script still
    wraps each table once more; book.css makes that inner wrapper change nothing. The box is
    focusable, so that the keyboard can scroll it."""
    return TABLE.sub(lambda m: f'<div class="md-typeset__scrollwrap" tabindex="0"><div class="md-typeset__table">'
                               f"{m.group(0)}</div></div>", html)


#: A code block longer than this many lines opens folded, showing what the prose discusses:
#: the lines the page highlights (``hl_lines="12-20"`` on the fence), with a line of context
#: around them; or, if it highlights none, its first FOLD_SHOWN lines (the function's
#: signature and docstring). The rest opens on request.
FOLD_LINES = 30
FOLD_SHOWN = 14
FOLD_CONTEXT = 1
HIGHLIGHTED_LINE = re.compile(r'<span class="hll">')
HIGHLIGHT_BLOCK = re.compile(r'<div class="highlight">(?:(?!<div class="highlight">).)*?</code></pre></div>', re.S)


PLAIN_NAME = re.compile(r'<span class="[nw]">([^<]*)</span>')
#: Material draws punctuation, operators and operator words in one colour (both palettes).
SAME_COLOUR_AS_OPERATOR = re.compile(r'<span class="(?:p|ow)">')
SAME_CLASS = re.compile(r'(<span class="(\w+)">[^<]*)</span><span class="\2">')


def lighten_code(block: str) -> str:
    """A highlighted block in fewer bytes, drawn the same: names and whitespace are drawn
    in the code's own colour (their span changes nothing), punctuation takes the class of
    operators (Material colours them alike), and neighbouring tokens of one class share a
    span."""
    block = PLAIN_NAME.sub(r"\1", block)
    block = SAME_COLOUR_AS_OPERATOR.sub('<span class="o">', block)
    while True:
        merged = SAME_CLASS.sub(r"\1", block)
        if merged == block:
            return block
        block = merged


#: The fold's button, by language ({lines}: the block's length). book.js relabels it as it toggles.
FOLD_BUTTON = {"en": "Show all {lines} lines", "zh": "显示全部 {lines} 行"}


def fold_long_code(html: str, language: str = "en") -> str:
    """Wrap each long code block in a fold with the button that opens it. The page is drawn
    folded from its first paint when script runs (book.css, ``html.book-js``), so that
    folding moves nothing; book.js makes the button work. Without script, all shows."""

    def fold(match: re.Match) -> str:
        block = lighten_code(match.group(0))
        code = block[block.find("<code"):]
        lines = code.count("\n")
        if lines <= FOLD_LINES:
            return block
        marked = [code.count("\n", 0, m.start()) + 1 for m in HIGHLIGHTED_LINE.finditer(code)]
        if marked:
            first, last = max(1, marked[0] - FOLD_CONTEXT), min(lines, marked[-1] + FOLD_CONTEXT)
            window = f' data-first="{first}" data-last="{last}"'
            shown = last - first + 1
        else:
            window, shown = "", FOLD_SHOWN
        classes = "book-code-fold book-code-window" if marked and first > 1 else "book-code-fold"
        button = (f'<button type="button" class="book-code-fold-toggle md-button" aria-expanded="false">'
                  f'{FOLD_BUTTON[language].format(lines=lines)}</button>')
        return (f'<div class="{classes}" data-lines="{lines}"{window} style="--book-fold-lines: {shown}">'
                f"{block}{button}</div>")

    return HIGHLIGHT_BLOCK.sub(fold, html)


#: mkdocs-jupyter inlines the same ~580 KB of notebook CSS into every notebook page; the
#: hook moves it into one shared file, which the browser fetches once.
NOTEBOOK_CSS = "assets/book-notebook.css"
CHAPTER_LINK = re.compile(r'href="(?!https?:|/|#)(?:\./)?([a-z_]+)\.md(#[^"]*)?"')
STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>\s*", re.S)
DATA_HREF = re.compile(r'href="data:image/(svg\+xml|png);base64,([A-Za-z0-9+/=\s]+)"')
DATA_IMAGE = re.compile(r'<img\s+alt="[^"]*"\s+src="data:image/(svg\+xml|png);base64,([A-Za-z0-9+/=\s]+)"\s*/?>')


def _notebook_styles(html: str, up: str) -> str:
    styles = state.setdefault("notebook_css", [])

    def take(match: re.Match) -> str:
        if match.group(1) not in styles:
            styles.append(match.group(1))
        return ""

    html = STYLE_BLOCK.sub(take, html)
    return f'<link rel="stylesheet" href="{up}{NOTEBOOK_CSS}">\n' + html


def _figure_index() -> dict[str, tuple[str, str, str]]:
    """sha256 of each light figure's bytes -> (light site path, dark site path, alt text)."""
    if "figure_index" not in state:
        index = {}
        for outcome in state["outcomes"]:
            result = outcome.result or {}
            for figure in result.get("figures", {}).values():
                source = outcome.files.get(figure.get("light", ""))
                if source is not None and Path(source).is_file():
                    digest = hashlib.sha256(Path(source).read_bytes()).hexdigest()
                    index[digest] = (figure["light"], figure["dark"], figure["alt"], pages.svg_size(Path(source)))
        state["figure_index"] = index
    return state["figure_index"]


def _notebook_figures(html: str, up: str, page, config) -> str:
    """The notebook's figures as links to the site's own files (light and dark, with their
    alt text) instead of base64 copies; an output that is not a published figure becomes a
    file beside the page, on a white background (it is drawn for a light page)."""
    index = _figure_index()
    written: dict[str, str] = {}

    def locate(kind: str, payload: str) -> tuple[str, str | None, str | None, tuple[int, int] | None]:
        """(url of the light image, url of the dark one or None, alt text or None, size or None)."""
        data = base64.b64decode(payload)
        digest = hashlib.sha256(data).hexdigest()
        known = index.get(digest)
        if known:
            light, dark, alt, size = known
            return f"{up}{light}", f"{up}{dark}", alt, size
        if digest not in written:
            name = f"output-{len(written) + 1}.{'svg' if kind == 'svg+xml' else 'png'}"
            target = Path(config.site_dir) / Path(page.file.dest_uri).parent / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written[digest] = name
        return written[digest], None, None, None

    def image(match: re.Match) -> str:
        light, dark, alt, size = locate(match.group(1), match.group(2))
        if dark is None:
            return (f'<img class="book-notebook-output" alt="Output of the cell above (a figure)." '
                    f'src="{light}" loading="lazy">')
        alt = html_lib.escape(alt, quote=True)
        # The figure's size reserves its room before it loads (no layout shift).
        sized = f' width="{size[0]}" height="{size[1]}"' if size else ""
        return (f'<img class="book-notebook-figure" alt="{alt}" src="{light}#only-light"{sized} loading="lazy">'
                f'<img class="book-notebook-figure" alt="{alt}" src="{dark}#only-dark"{sized} loading="lazy">')

    def link(match: re.Match) -> str:
        return f'href="{locate(match.group(1), match.group(2))[0]}"'

    html = DATA_IMAGE.sub(image, html)
    return DATA_HREF.sub(link, html)


def _after_title(markdown: str, block: str) -> str:
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join(lines[: index + 1] + ["", block] + lines[index + 1 :])
    return block + "\n" + markdown


GLIGHTBOX_JS = re.compile(r'<script src="([^"]*glightbox\.min\.js)"></script>\s*')
GLIGHTBOX_CSS = re.compile(r'<link href="([^"]*glightbox\.min\.css)" rel="stylesheet">\s*')
GLIGHTBOX_INIT = re.compile(r'<script id="init-glightbox">const lightbox = GLightbox\((\{.*?\})\);.*?</script>', re.S)
#: The zoom (glightbox, ~70 KB) loads when a reader first clicks a figure, not on every visit.
LAZY_GLIGHTBOX = """<script id="init-glightbox">(function () {
  if (window.bookLightbox) return;
  var options = %s, js = new URL(%s, document.baseURI).href, css = new URL(%s, document.baseURI).href;
  var box = null, loading = null;
  window.bookLightbox = true;
  // The book's enlargement of a figure in the zoom view (javascripts/zoom.js) comes with it.
  var book = document.querySelector('script[src*="javascripts/book.js"]');
  var zoom = book && book.src.replace(/book\.js(\?.*)?$/, "zoom.js");
  function script(src) {
    return new Promise(function (resolve, reject) {
      var element = document.createElement("script"); element.src = src;
      element.onload = resolve; element.onerror = reject; document.head.appendChild(element);
    });
  }
  function load() {
    if (!loading) {
      var link = document.createElement("link"); link.rel = "stylesheet"; link.href = css;
      document.head.appendChild(link);
      loading = Promise.all([script(js), zoom ? script(zoom) : null]);
    }
    return loading;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.glightbox");
    if (!link || box) return;
    event.preventDefault(); event.stopPropagation();
    load().then(function () {
      box = GLightbox(options);
      document$.subscribe(function () { box.reload(); });
      link.click();
    });
  }, true);
})();</script>"""


MKDOCSTRINGS_CSS = re.compile(r'<link rel="stylesheet" href="[^"]*assets/_mkdocstrings\.css">\s*')


def on_post_page(output: str, page, config) -> str:
    if 'class="doc doc-' not in output:
        # mkdocstrings' stylesheet serves the API page alone; no other page loads it.
        output = MKDOCSTRINGS_CSS.sub("", output)
    init = GLIGHTBOX_INIT.search(output)
    js, css = GLIGHTBOX_JS.search(output), GLIGHTBOX_CSS.search(output)
    if not (init and js and css):
        return output
    lazy = LAZY_GLIGHTBOX % (init.group(1), json.dumps(js.group(1)), json.dumps(css.group(1)))
    output = GLIGHTBOX_INIT.sub(lambda m: lazy, output)
    return GLIGHTBOX_CSS.sub("", GLIGHTBOX_JS.sub("", output))


# After mkdocs-static-i18n's own post-build (priority -100), which builds the other editions
# and then writes one search index with every edition's pages in it.
@event_priority(-110)
def on_post_build(config) -> None:
    if _is_default_language(config):
        _split_search_index(Path(config.site_dir))
        _minify_stylesheets(Path(config.site_dir) / "stylesheets")
    if state.get("editions"):
        state["editions"].pop()
    if state.get("notebook_css"):
        target = Path(config.site_dir) / NOTEBOOK_CSS
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(state["notebook_css"]), encoding="utf-8")
    if state["outcomes"] and _is_default_language(config):
        log.info("Snippet timings:\n%s", _timings())


URL_ENTRY = re.compile(r"\n?\s*<url>.*?</url>", re.S)


def on_post_template(output: str, template_name: str, config) -> str:
    """The site-wide files of each edition. mkdocs-static-i18n builds both editions into the
    same site folder, the Chinese one last: its 404 page goes to zh/404.html (the English one
    stays at the root), and the root sitemap lists both editions' pages, the Chinese ones
    also in zh/sitemap.xml (where Material looks when the language changes)."""
    if template_name not in ("404.html", "sitemap.xml"):
        return output
    language = _language(config)
    if _is_default_language(config):
        state[template_name] = output
        return output
    target = Path(config.site_dir) / language / template_name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(output, encoding="utf-8")
    english = state.get(template_name, output)
    if template_name == "404.html":
        return english
    entries = "".join(URL_ENTRY.findall(english)) + "".join(URL_ENTRY.findall(output))
    return english[: english.index("<url>")].rstrip() + entries + "\n</urlset>\n"


CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def _minify_stylesheets(folder: Path) -> None:
    """The book's own stylesheets, as served: without their comments and indentation (the
    sources in docs/stylesheets/ keep them). Every first visit loads book.css."""
    for path in sorted(folder.glob("*.css")):
        text = CSS_COMMENT.sub("", path.read_text(encoding="utf-8"))
        lines = (line.strip() for line in text.splitlines())
        path.write_text("\n".join(line for line in lines if line) + "\n", encoding="utf-8")


SEARCH_INDEX = "search/search_index.json"


def _split_search_index(site: Path) -> None:
    """One search index per edition: an English query finds English pages only, and the
    Chinese pages load ``zh/search/search_index.json`` (overrides/main.html)."""
    index_path = site / SEARCH_INDEX
    if not index_path.is_file():
        return
    index = json.loads(index_path.read_text(encoding="utf-8"))
    others = translations.LANGUAGES[1:]
    for language in translations.LANGUAGES:
        prefix = f"{language}/"
        if language == translations.LANGUAGES[0]:
            docs = [d for d in index["docs"] if not d["location"].startswith(tuple(f"{o}/" for o in others))]
            target = index_path
        else:
            # Locations stay relative to the site's root, the base every page's search resolves against.
            docs = [d for d in index["docs"] if d["location"].startswith(prefix)]
            target = site / language / SEARCH_INDEX
        if not docs:
            continue
        # Each edition's search loads only the language support it needs.
        lang = ["en"] if language == "en" else ["en", language]
        index = dict(index, config=dict(index["config"], lang=lang))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(dict(index, docs=docs), ensure_ascii=False, separators=(",", ":")),
                          encoding="utf-8")


def on_serve(server, config, builder):
    root = _project_root(config)
    for folder in ("snippets", "book", "gradient_flow"):
        server.watch(str(root / folder))
    return server


@event_priority(50)  # before the search plugin indexes the page
def on_page_context(context, page, config, nav):
    """A notebook page's edit link points at the chapter's snippets, its real source. The
    search index reads the page's formulas in a linear form (see _index_readable_math)."""
    _index_readable_math(config)
    if page.file.src_uri.startswith(f"{NOTEBOOK_DIR}/") and page.file.src_uri.endswith(".ipynb"):
        chapter = Path(page.file.src_uri).stem
        url = _source_url(config)(f"snippets/{chapter}")
        page.edit_url = url.replace("/blob/", "/tree/", 1) if url else None
    return context


MATH_ELEMENT = re.compile(r"<math\b[^>]*>.*?</math>", re.S)
DISPLAY_MATH = re.compile(r'<div class="book-math book-math-display"')
#: Operators written with a space on each side in the index's text (a relation or a sum reads
#: better spaced; products and function application stay tight).
SPACED_OPERATORS = set("=≠≈≃∼<>≤≥≪≫∝∈→↦+−±⋅×")


def readable_math(mathml: str) -> str:
    """A formula as the search index gives it: a line of text, its subscripts and superscripts
    in <sub> and <sup> (which the index keeps), fractions with a slash. The index otherwise
    reads a formula's symbols one after the other (``∂ℒ/∂h_l`` became "∂ℒ∂hl")."""
    import xml.etree.ElementTree as ElementTree

    def bracket(text: str) -> str:
        plain = re.sub(r"</?su[bp]>", "", text)
        return text if len(plain) <= 1 or re.fullmatch(r"[∂∇]?[\w.′]+", plain) else f"({text})"

    def script(node) -> str:  # a subscript or superscript, set tight
        return walk(node).replace(" ", "")

    def walk(node) -> str:
        tag = node.tag.rsplit("}", 1)[-1]
        kids = list(node)
        if tag in ("mi", "mn", "mtext", "ms"):
            return html_lib.escape(node.text or "", quote=False)
        if tag == "mo":
            text = (node.text or "").strip()
            return f" {html_lib.escape(text, quote=False)} " if text in SPACED_OPERATORS else html_lib.escape(text, quote=False)
        if tag == "mspace":
            return " "
        if tag in ("mphantom", "annotation", "annotation-xml"):
            return ""
        if tag == "semantics":
            return walk(kids[0]) if kids else ""
        if tag in ("msub", "munder") and len(kids) == 2:
            return f"{walk(kids[0])}<sub>{script(kids[1])}</sub>"
        if tag in ("msup", "mover") and len(kids) == 2:
            return f"{walk(kids[0])}<sup>{script(kids[1])}</sup>"
        if tag in ("msubsup", "munderover") and len(kids) == 3:
            return f"{walk(kids[0])}<sub>{script(kids[1])}</sub><sup>{script(kids[2])}</sup>"
        if tag == "mfrac" and len(kids) == 2:
            return f"{bracket(walk(kids[0]).strip())}/{bracket(walk(kids[1]).strip())}"
        if tag == "msqrt":
            return f"√{bracket(''.join(walk(k) for k in kids).strip())}"
        if tag == "mroot" and len(kids) == 2:
            return f"<sup>{script(kids[1])}</sup>√{bracket(walk(kids[0]).strip())}"
        if tag == "mtr":
            return ", ".join(walk(k).strip() for k in kids)
        if tag == "mtable":
            return "; ".join(walk(k).strip() for k in kids)
        return "".join(walk(k) for k in kids)

    try:
        text = walk(ElementTree.fromstring(mathml))
    except ElementTree.ParseError:
        alt = re.search(r'alttext="([^"]*)"', mathml)
        return alt.group(1) if alt else ""
    # Not stripped: a formula typeset in pieces (book/math.py) keeps the space before a relation.
    return re.sub(r" {2,}", " ", text)


def _index_readable_math(config) -> None:
    """The search plugin indexes the text of each page's HTML, where a formula is MathML: give
    it the page with each inline formula in readable_math's form instead, and the display
    formulas left out. The page itself is not changed."""
    search = config.plugins.get("material/search") or config.plugins.get("search")
    index = getattr(search, "search_index", None)
    if index is None or getattr(index, "book_readable_math", False):
        return
    add = index.add_entry_from_context

    def add_entry_from_context(page):
        shown = page.content
        # A display formula, even written on a line, would stand in a result for the prose.
        searched = DISPLAY_MATH.sub(r"\g<0> data-search-exclude", shown)
        page.content = MATH_ELEMENT.sub(lambda m: readable_math(m.group(0)), searched)
        try:
            add(page)
        finally:
            page.content = shown

    index.add_entry_from_context = add_entry_from_context
    index.book_readable_math = True
