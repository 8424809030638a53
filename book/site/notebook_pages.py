"""Notebook pages as mkdocs-jupyter renders them, made into pages of this book.

mkdocs-jupyter inlines its stylesheet and a MathJax script into every notebook page and the
figures as base64 copies: the styles move into one shared file, MathJax goes (the book
typesets math itself), each figure becomes a link to the site's own light and dark files
(named in the notebook's cell metadata), links to chapters' Markdown go to their pages, and the download link
follows the title.
"""

from __future__ import annotations

import base64
import html as html_lib
import re
from pathlib import Path

from book import notebooks

#: Notebook pages may reference MathJax from a CDN; the book typesets math itself.
MATHJAX_SCRIPT = re.compile(r"<script[^>]*>[^<]*MathJax[^<]*</script>|<script[^>]*mathjax[^>]*>\s*</script>", re.I)
#: mkdocs-jupyter inlines the same ~580 KB of notebook CSS into every notebook page; the
#: hook moves it into one shared file, which the browser fetches once.
NOTEBOOK_CSS = "assets/book-notebook.css"
CHAPTER_LINK = re.compile(r'href="(?!https?:|/|#)(?:\./)?([a-z_]+)\.md(#[^"]*)?"')
STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>\s*", re.S)
DATA_HREF = re.compile(r'href="data:image/(svg\+xml|png);base64,([A-Za-z0-9+/=\s]+)"')
DATA_IMAGE = re.compile(r'<img\s+alt="[^"]*"\s+src="data:image/(svg\+xml|png);base64,([A-Za-z0-9+/=\s]+)"\s*/?>')


DATA_IMAGE_OR_LINK = re.compile(f"{DATA_IMAGE.pattern}|{DATA_HREF.pattern}")
CELL_ANCHOR = re.compile(r'\sid="cell-id=([^"]+)"')


class NotebookPages:
    """What the notebook pages of one build share: their one stylesheet."""

    def __init__(self) -> None:
        self.styles: list[str] = []

    def rewrite(self, html: str, up: str, out_folder: Path, notebook: dict) -> str:
        """The page's HTML with styles shared, MathJax gone, code cells focusable, chapter
        links and figures pointing at the site's pages and files (``up``: the way to the
        site's root; ``out_folder``: where the page is written, for outputs that are not
        published figures; ``notebook``: the notebook the page shows, whose plot cells name
        their published figures)."""
        html = MATHJAX_SCRIPT.sub("", html)
        # Code cells scroll sideways: keyboard users must be able to focus them.
        html = html.replace('<div class="highlight-ipynb', '<div tabindex="0" class="highlight-ipynb')
        # Links copied from the chapter (exercises) point at its Markdown files: send them
        # to the chapters' pages (mkdocs-jupyter leaves them as they are).
        html = CHAPTER_LINK.sub(lambda m: f'href="{up}{m.group(1)}/{m.group(2) or ""}"', html)
        html = self._shared_styles(html, up)
        return _figures_linked(html, up, out_folder, notebooks.published_figures(notebook))

    def write_styles(self, site_dir: Path) -> None:
        """The notebook pages' one shared stylesheet (if a notebook page was built)."""
        if self.styles:
            target = site_dir / NOTEBOOK_CSS
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("\n".join(self.styles), encoding="utf-8")

    def _shared_styles(self, html: str, up: str) -> str:
        styles = self.styles

        def take(match: re.Match) -> str:
            if match.group(1) not in styles:
                styles.append(match.group(1))
            return ""

        html = STYLE_BLOCK.sub(take, html)
        return f'<link rel="stylesheet" href="{up}{NOTEBOOK_CSS}">\n' + html


def _figures_linked(html: str, up: str, out_folder: Path, published: dict[str, list[dict]]) -> str:
    """The notebook's figures as links to the site's own files (light and dark, with their alt
    text) instead of base64 copies: the k-th image of a cell is the k-th figure its metadata
    names, and a link around an image (the lightbox's) opens that figure. Any other output
    image becomes a file beside the page, on a white background (it is drawn for a light page)."""
    anchors = [(m.start(), m.group(1)) for m in CELL_ANCHOR.finditer(html)]
    shown: dict[str | None, int] = {}
    figure_of_image: dict[int, dict | None] = {}  # an image's position -> the figure it shows
    for match in DATA_IMAGE.finditer(html):
        cell = next((cell_id for start, cell_id in reversed(anchors) if start < match.start()), None)
        figures, index = published.get(cell, []), shown.get(cell, 0)
        shown[cell] = index + 1
        figure_of_image[match.start()] = figures[index] if index < len(figures) else None
    written: dict[bytes, str] = {}

    def output_file(kind: str, payload: str) -> str:
        data = base64.b64decode(payload)
        if data not in written:
            name = f"output-{len(written) + 1}.{'svg' if kind == 'svg+xml' else 'png'}"
            target = out_folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written[data] = name
        return written[data]

    def image(match: re.Match) -> str:
        figure = figure_of_image[match.start()]
        if figure is None:
            return (f'<img class="book-notebook-output" alt="Output of the cell above (a figure)." '
                    f'src="{output_file(match.group(1), match.group(2))}" loading="lazy">')
        alt = html_lib.escape(figure["alt"], quote=True)
        # The figure's size reserves its room before it loads (no layout shift).
        sized = f' width="{figure["width"]}" height="{figure["height"]}"' if "width" in figure else ""
        return "".join(f'<img class="book-notebook-figure" alt="{alt}" src="{up}{figure[scheme]}#only-{scheme}"'
                       f'{sized} loading="lazy">' for scheme in ("light", "dark"))

    def link(match: re.Match) -> str:
        following = min((start for start in figure_of_image if start > match.start()), default=None)
        figure = figure_of_image.get(following)
        if figure is None:
            return f'href="{output_file(match.group(3), match.group(4))}"'
        return f'href="{up}{figure["light"]}"'

    return DATA_IMAGE_OR_LINK.sub(lambda m: image(m) if m.group(1) else link(m), html)


def with_download_link(html: str, name: str, repo_url: str) -> str:
    """The link to download the notebook, right under its title (inside its Markdown cell), as
    a chapter's "Run it yourself" box is."""
    link = (
        f'<p class="book-notebook-download"><a href="{name}" download>Download this notebook (.ipynb)</a> '
        f'— run it from inside a clone of <a href="{repo_url}">the repository</a>.</p>\n'
    )
    title_end = html.find("</h1>")
    if title_end < 0:
        return link + html
    cut = title_end + len("</h1>")
    return html[:cut] + link + html[cut:]


def notebook_files(chapter_notebooks: dict, config, notebook_dir: str) -> list:
    """The chapters' notebooks as MkDocs files, made pages by mkdocs-jupyter."""
    from mkdocs.structure.files import File, Files, InclusionLevel

    generated = []
    for chapter, path in chapter_notebooks.items():
        # Served from the cache (<cache>/notebooks/<chapter>.ipynb): a real source file, as
        # mkdocs-jupyter needs, with the page's name (and the .ipynb beside it) the chapter's.
        src_dir = path.parent.parent
        assert path == src_dir / notebook_dir / f"{chapter}.ipynb", path
        generated.append(File(
            f"{notebook_dir}/{chapter}.ipynb",
            src_dir=str(src_dir),
            dest_dir=config.site_dir,
            use_directory_urls=config.use_directory_urls,
            inclusion=InclusionLevel.NOT_IN_NAV,
        ))
    if generated:
        # mkdocs-jupyter's on_files (which turns an .ipynb into a page) has run already.
        jupyter = config.plugins.get("mkdocs-jupyter")
        return list(jupyter.on_files(Files(generated), config)) if jupyter else generated
    return generated


def configure_jupyter(jupyter, cache_root: Path, english: bool) -> None:
    """The rendered notebooks live in the book's cache (a cold build starts without them,
    `make clean-cache` removes them). The Chinese edition renders no notebook: were the cache
    on, mkdocs-jupyter would evict the English edition's rendered notebooks at the end of the
    Chinese build, and every build would convert them all again."""
    if jupyter is None:
        return
    jupyter.config["cache_dir"] = str(cache_root / "notebook-pages")
    jupyter.config["cache"] = english
