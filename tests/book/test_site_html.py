"""Unit tests of the site's HTML transforms (book/site/): each a pure function of its input."""

from __future__ import annotations

import json

from book import notebooks
from book.site import assets, html as page_html, notebook_pages, search


def code_block(lines: int, highlighted: tuple[int, ...] = ()) -> str:
    body = "\n".join(f'<span class="hll">x = {i}</span>' if i in highlighted else f'<span class="n">x</span> = {i}'
                     for i in range(1, lines + 1))
    return f'<div class="highlight"><pre><code>{body}\n</code></pre></div>'


def test_tables_come_in_their_scrolling_box():
    out = page_html.wrap_tables("<p>a</p><table><tr><td>1</td></tr></table>")
    assert out == ('<p>a</p><div class="md-typeset__scrollwrap" tabindex="0"><div class="md-typeset__table">'
                   "<table><tr><td>1</td></tr></table></div></div>")


def test_code_titles_break_after_slashes_only():
    out = page_html.break_code_titles('<span class="filename">snippets/deep_networks/linear_mlp.py</span>')
    assert out == '<span class="filename">snippets/<wbr>deep_networks/<wbr>linear_mlp.py</span>'


def test_short_code_is_not_folded_and_long_code_is():
    short = code_block(page_html.FOLD_LINES)
    assert "book-code-fold" not in page_html.fold_long_code(short)
    long = page_html.fold_long_code(code_block(page_html.FOLD_LINES + 10), "zh")
    assert 'class="book-code-fold"' in long and f'data-lines="{page_html.FOLD_LINES + 10}"' in long
    assert f"--book-fold-lines: {page_html.FOLD_SHOWN}" in long and "显示全部" in long


def test_a_fold_shows_the_highlighted_lines_with_their_context():
    out = page_html.fold_long_code(code_block(60, highlighted=(20, 21, 22)))
    first, last = 20 - page_html.FOLD_CONTEXT, 22 + page_html.FOLD_CONTEXT
    assert f'data-first="{first}" data-last="{last}"' in out and "book-code-window" in out
    assert f"--book-fold-lines: {last - first + 1}" in out


def test_lighter_code_draws_the_same_tokens():
    block = '<span class="n">x</span><span class="p">(</span><span class="o">+</span><span class="o">-</span>'
    assert page_html.lighten_code(block) == 'x<span class="o">(+-</span>'


def test_code_stays_out_of_the_search_index():
    out = page_html.exclude_code_from_search('<div class="language-python highlight"><pre></pre></div>')
    assert out.startswith('<div class="language-python highlight" data-search-exclude')


def test_formulas_read_as_a_line_in_the_search_index():
    mathml = ('<math><mfrac><mrow><mo>∂</mo><mi>ℒ</mi></mrow><mrow><mo>∂</mo><msub><mi>h</mi><mi>l</mi></msub></mrow>'
              '</mfrac><mo>=</mo><msup><mi>x</mi><mn>2</mn></msup></math>')
    assert search.readable_math(mathml) == "∂ℒ/∂h<sub>l</sub> = x<sup>2</sup>"
    assert search.readable_math('<math alttext="a+b"><mi>a</mi') == "a+b"  # unparsable: its TeX


def test_one_search_index_per_edition(tmp_path):
    index = {"config": {"lang": ["en", "zh"]}, "docs": [{"location": "lstm/"}, {"location": "zh/lstm/"}]}
    (tmp_path / "search").mkdir()
    (tmp_path / search.SEARCH_INDEX).write_text(json.dumps(index), encoding="utf-8")
    search.split_search_index(tmp_path)
    english = json.loads((tmp_path / search.SEARCH_INDEX).read_text(encoding="utf-8"))
    chinese = json.loads((tmp_path / "zh" / search.SEARCH_INDEX).read_text(encoding="utf-8"))
    assert [d["location"] for d in english["docs"]] == ["lstm/"] and english["config"]["lang"] == ["en"]
    assert [d["location"] for d in chinese["docs"]] == ["zh/lstm/"] and chinese["config"]["lang"] == ["en", "zh"]


def test_the_root_sitemap_lists_both_editions():
    head = '<?xml version="1.0"?>\n<urlset>'
    english = f"{head}\n  <url><loc>a/</loc></url>\n</urlset>\n"
    chinese = f"{head}\n  <url><loc>zh/a/</loc></url>\n</urlset>\n"
    merged = assets.merged_sitemap(english, chinese)
    assert merged.count("<url>") == 2 and merged.index("<loc>a/") < merged.index("<loc>zh/a/")
    assert merged.endswith("</urlset>\n")


def test_the_lightbox_loads_at_the_first_click_and_mkdocstrings_css_only_where_used():
    page = ('<link rel="stylesheet" href="assets/_mkdocstrings.css">'
            '<link href="assets/glightbox.min.css" rel="stylesheet">'
            '<script src="assets/glightbox.min.js"></script>'
            '<script id="init-glightbox">const lightbox = GLightbox({"loop": false});\nmore</script>')
    out = assets.lighter_page(page)
    assert "_mkdocstrings.css" not in out and "glightbox.min.js\"></script>" not in out
    assert 'window.bookLightbox' in out and '{"loop": false}' in out and '"assets/glightbox.min.js"' in out
    assert "_mkdocstrings.css" in assets.lighter_page('<div class="doc doc-object"></div>' + page)


def test_stylesheets_are_served_without_comments_or_indentation(tmp_path):
    (tmp_path / "book.css").write_text("/* why */\n.a {\n  color: red;\n}\n\n", encoding="utf-8")
    assets.minify_stylesheets(tmp_path)
    assert (tmp_path / "book.css").read_text(encoding="utf-8") == ".a {\ncolor: red;\n}\n"


def test_the_download_link_follows_the_notebooks_title():
    out = notebook_pages.with_download_link("<h1>LSTM</h1><p>x</p>", "lstm.ipynb", "https://example.org/r")
    assert out.startswith('<h1>LSTM</h1><p class="book-notebook-download"><a href="lstm.ipynb" download>')
    assert notebook_pages.with_download_link("<p>x</p>", "a.ipynb", "r").startswith('<p class="book-notebook-download">')


def test_a_notebook_page_shares_its_styles_and_drops_mathjax(tmp_path):
    nb = notebook_pages.NotebookPages()
    page = ('<style>.jp { color: red }</style><script src="https://cdn/mathjax.js"></script>'
            '<div class="highlight-ipynb"></div><a href="lstm.md#gates">x</a>')
    out = nb.rewrite(page, "../../", tmp_path, {"cells": []})
    assert out.startswith(f'<link rel="stylesheet" href="../../{notebook_pages.NOTEBOOK_CSS}">')
    assert "mathjax" not in out.lower() and '<div tabindex="0" class="highlight-ipynb' in out
    assert 'href="../../lstm/#gates"' in out and nb.styles == [".jp { color: red }"]
    nb.rewrite(page, "../", tmp_path, {"cells": []})
    assert nb.styles == [".jp { color: red }"]  # one copy of each stylesheet


def test_a_notebook_figure_is_the_one_its_cell_names(tmp_path):
    """The k-th image of a plot cell links the k-th figure its metadata names (light and dark,
    alt text, size); an image no cell names becomes a file beside the page."""
    import base64

    def image(text: str) -> str:
        return f'<img alt="x" src="data:image/svg+xml;base64,{base64.b64encode(text.encode()).decode()}">'

    figure = {"light": "figures/a.svg", "dark": "figures/a.dark.svg", "alt": 'A "plot"', "width": 640, "height": 480}
    other = {"light": "figures/b.svg", "dark": "figures/b.dark.svg", "alt": "B"}
    notebook = {"cells": [{"id": "cell-3", "metadata": {notebooks.FIGURES_METADATA: [figure, other]}},
                          {"id": "cell-4", "metadata": {}}]}
    lightbox = f'<a class="glightbox" href="data:image/svg+xml;base64,{base64.b64encode(b"same").decode()}">'
    page = (f'<div id="cell-id=cell-3" class="jp-Cell">{lightbox}{image("same")}</a>{image("same")}</div>'
            f'<div id="cell-id=cell-4" class="jp-Cell">{image("<svg/>")}</div>')
    out = notebook_pages.NotebookPages().rewrite(page, "../", tmp_path, notebook)
    assert ('<img class="book-notebook-figure" alt="A &quot;plot&quot;" src="../figures/a.svg#only-light" '
            'width="640" height="480" loading="lazy">') in out
    assert 'src="../figures/a.dark.svg#only-dark" width="640"' in out
    assert 'alt="B" src="../figures/b.svg#only-light" loading="lazy">' in out  # identical bytes, own figure
    assert '<a class="glightbox" href="../figures/a.svg">' in out  # the lightbox opens the cell's figure
    assert 'class="book-notebook-output"' in out and 'src="output-1.svg"' in out
    assert (tmp_path / "output-1.svg").read_text() == "<svg/>" and "base64" not in out


def test_the_run_it_box_links_the_notebook_in_both_editions():
    from book.site import run_it

    english = run_it.box("lstm", "../", "https://example.org/r", "en")
    assert "(notebooks/lstm.ipynb)" in english and 'href="../notebooks/lstm/lstm.ipynb" download' in english
    chinese = run_it.box("lstm", "../../", "https://example.org/r", "zh")
    assert "自己动手运行" in chinese and 'href="../../notebooks/lstm/"' in chinese


def test_notices_follow_the_title():
    from book.site import page_notices

    assert page_notices.after_title("intro\n# Title\nbody", "BOX") == "intro\n# Title\n\nBOX\nbody"
    assert page_notices.after_title("no title", "BOX") == "BOX\nno title"


def test_source_links_point_at_the_repository_branch():
    from book.site import links

    url = links.source_url({"source_branch": "dev"}, "https://example.org/r/")
    assert url("snippets/lstm") == "https://example.org/r/blob/dev/snippets/lstm"
    assert links.source_url({}, None)("x") is None
