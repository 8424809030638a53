"""Notebook pages as mkdocs-jupyter renders them, made into pages of this book.

mkdocs-jupyter inlines its stylesheet and a MathJax script into every notebook page and the
figures as base64 copies: the styles move into one shared file, MathJax goes (the book
typesets math itself), each figure becomes a link to the site's own light and dark files
(found by its bytes), links to chapters' Markdown go to their pages, and the download link
follows the title.
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import re
from pathlib import Path

from book.render.figures import svg_size

#: Notebook pages may reference MathJax from a CDN; the book typesets math itself.
MATHJAX_SCRIPT = re.compile(r"<script[^>]*>[^<]*MathJax[^<]*</script>|<script[^>]*mathjax[^>]*>\s*</script>", re.I)
#: mkdocs-jupyter inlines the same ~580 KB of notebook CSS into every notebook page; the
#: hook moves it into one shared file, which the browser fetches once.
NOTEBOOK_CSS = "assets/book-notebook.css"
CHAPTER_LINK = re.compile(r'href="(?!https?:|/|#)(?:\./)?([a-z_]+)\.md(#[^"]*)?"')
STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>\s*", re.S)
DATA_HREF = re.compile(r'href="data:image/(svg\+xml|png);base64,([A-Za-z0-9+/=\s]+)"')
DATA_IMAGE = re.compile(r'<img\s+alt="[^"]*"\s+src="data:image/(svg\+xml|png);base64,([A-Za-z0-9+/=\s]+)"\s*/?>')


class NotebookPages:
    """What the notebook pages of one build share: their stylesheets, and the published
    figures (by the sha256 of their bytes)."""

    def __init__(self, outcomes: list) -> None:
        self.outcomes = outcomes
        self.styles: list[str] = []
        self._figures: dict | None = None

    def rewrite(self, html: str, up: str, out_folder: Path) -> str:
        """The page's HTML with styles shared, MathJax gone, code cells focusable, chapter
        links and figures pointing at the site's pages and files (``up``: the way to the
        site's root; ``out_folder``: where the page is written, for outputs that are not
        published figures)."""
        html = MATHJAX_SCRIPT.sub("", html)
        # Code cells scroll sideways: keyboard users must be able to focus them.
        html = html.replace('<div class="highlight-ipynb', '<div tabindex="0" class="highlight-ipynb')
        # Links copied from the chapter (exercises) point at its Markdown files: send them
        # to the chapters' pages (mkdocs-jupyter leaves them as they are).
        html = CHAPTER_LINK.sub(lambda m: f'href="{up}{m.group(1)}/{m.group(2) or ""}"', html)
        html = self._shared_styles(html, up)
        return self._figures_linked(html, up, out_folder)

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

    def _figure_index(self) -> dict[str, tuple[str, str, str]]:
        """sha256 of each light figure's bytes -> (light site path, dark site path, alt text)."""
        if self._figures is None:
            index = {}
            for outcome in self.outcomes:
                result = outcome.result or {}
                for figure in result.get("figures", {}).values():
                    source = outcome.files.get(figure.get("light", ""))
                    if source is not None and Path(source).is_file():
                        digest = hashlib.sha256(Path(source).read_bytes()).hexdigest()
                        index[digest] = (figure["light"], figure["dark"], figure["alt"], svg_size(Path(source)))
            self._figures = index
        return self._figures

    def _figures_linked(self, html: str, up: str, out_folder: Path) -> str:
        """The notebook's figures as links to the site's own files (light and dark, with their
        alt text) instead of base64 copies; an output that is not a published figure becomes a
        file beside the page, on a white background (it is drawn for a light page)."""
        index = self._figure_index()
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
                target = out_folder / name
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


def configure_jupyter(jupyter, root: Path, english: bool) -> None:
    """The rendered notebooks live in the book's cache (a cold build starts without them,
    `make clean-cache` removes them). The Chinese edition renders no notebook: were the cache
    on, mkdocs-jupyter would evict the English edition's rendered notebooks at the end of the
    Chinese build, and every build would convert them all again."""
    if jupyter is None:
        return
    from book.options import Options

    try:
        jupyter.config["cache_dir"] = str(Options.from_env().cache_root(root) / "notebook-pages")
    except ValueError:
        pass  # reported where the options are read for the snippets
    jupyter.config["cache"] = english
