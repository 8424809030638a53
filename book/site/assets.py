"""Site-wide output: the lightbox loaded at the first click, stylesheets as served, sitemaps."""

from __future__ import annotations

import json
import re
from pathlib import Path

GLIGHTBOX_JS = re.compile(r'<script src="([^"]*glightbox\.min\.js)"></script>\s*')
GLIGHTBOX_CSS = re.compile(r'<link href="([^"]*glightbox\.min\.css)" rel="stylesheet">\s*')
GLIGHTBOX_INIT = re.compile(r'<script id="init-glightbox">const lightbox = GLightbox\((\{.*?\})\);.*?</script>', re.S)
#: The zoom (glightbox, ~70 KB) loads when a reader first clicks a figure, not on every visit:
#: this script (its %s: glightbox's options, its script's and its stylesheet's addresses)
#: replaces the plugin's.
LAZY_GLIGHTBOX = (Path(__file__).parent / "lazy_glightbox.html").read_text(encoding="utf-8").rstrip("\n")
MKDOCSTRINGS_CSS = re.compile(r'<link rel="stylesheet" href="[^"]*assets/_mkdocstrings\.css">\s*')


def lighter_page(output: str) -> str:
    """A page as served: mkdocstrings' stylesheet only where its API documentation is, and the
    lightbox loaded at the first click."""
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


URL_ENTRY = re.compile(r"\n?\s*<url>.*?</url>", re.S)


def merged_sitemap(english: str, other: str) -> str:
    """The root sitemap: the English edition's, with the other edition's pages added."""
    entries = "".join(URL_ENTRY.findall(english)) + "".join(URL_ENTRY.findall(other))
    return english[: english.index("<url>")].rstrip() + entries + "\n</urlset>\n"


CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def minify_stylesheets(folder: Path) -> None:
    """The book's own stylesheets, as served: without their comments and indentation (the
    sources in docs/stylesheets/ keep them). Every first visit loads book.css."""
    for path in sorted(folder.glob("*.css")):
        text = CSS_COMMENT.sub("", path.read_text(encoding="utf-8"))
        lines = (line.strip() for line in text.splitlines())
        path.write_text("\n".join(line for line in lines if line) + "\n", encoding="utf-8")


def with_template_cache(env, folder: Path):
    """Keep the theme's compiled templates between builds (Jinja's bytecode cache, keyed by
    each template's source): otherwise both editions compile Material's templates again on
    every build."""
    import jinja2

    folder.mkdir(parents=True, exist_ok=True)
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
    return env


def edition_template(english_templates: dict, name: str, output: str, language: str, english: bool,
                     site_dir: Path) -> str:
    """The site-wide files of each edition. mkdocs-static-i18n builds both editions into the
    same site folder, the Chinese one last: its 404 page goes to zh/404.html (the English one
    stays at the root), and the root sitemap lists both editions' pages, the Chinese ones
    also in zh/sitemap.xml (where Material looks when the language changes)."""
    if name not in ("404.html", "sitemap.xml"):
        return output
    if english:
        english_templates[name] = output
        return output
    target = site_dir / language / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(output, encoding="utf-8")
    english_output = english_templates.get(name, output)
    if name == "404.html":
        return english_output
    return merged_sitemap(english_output, output)
