"""Tests for book/math.py: formulas become MathML, or the build says which one failed."""

from book.math import render_math


def test_inline_and_display_math_become_mathml():
    html = '<p><span class="arithmatex">\\(\\sigma^{L}\\)</span></p><div class="arithmatex">\\[\\frac{a}{b}\\]</div>'
    out, errors = render_math(html)
    assert errors == []
    assert "arithmatex" not in out
    assert out.count("<math") == 2 and 'display="block"' in out and "<mfrac>" in out


def test_escaped_html_inside_math_is_unescaped():
    out, errors = render_math('<span class="arithmatex">\\(a &lt; b\\)</span>')
    assert errors == []
    assert "<mo>&#x0003C;</mo>" in out and 'alttext="a &lt; b"' in out


def test_norm_spellings_are_supported():
    out, errors = render_math('<span class="arithmatex">\\(\\lVert x \\rVert\\)</span>')
    assert errors == [] and "\\" not in out.split('alttext="')[0]


def test_unsupported_latex_is_an_error_naming_the_formula():
    out, errors = render_math('<div class="arithmatex">\\[\\begin{aligned} a &amp;= b \\end{aligned}\\]</div>')
    assert errors and "aligned" in errors[0]


def test_long_display_formulas_are_split_where_they_may_wrap():
    from book.math import split_display

    pieces = split_display(r"a = \left( x = y \right) \le \frac{b=c}{d}, \qquad e \approx f")
    # A formula's first relation stays with its left-hand side: no line holds "a" alone.
    assert pieces == [(r"a = \left( x = y \right)", False), (r"\le \frac{b=c}{d},", False),
                      (r"e \approx f", True)]
    out, errors = render_math('<div class="arithmatex">\\[a = b \\qquad c = d \\le e\\]</div>')
    assert errors == [] and out.count("<math") == 3 and out.count('class="book-math-formula"') == 2
    assert 'tabindex="0"' in out  # a formula wider than the screen scrolls in a focusable box


def test_a_connective_between_formulas_opens_the_formula_after_it():
    """Alone, "⇒" would be a formula of its own, which the browser lays out zero wide."""
    from book.math import split_display

    assert split_display(r"a = b + c \quad\Rightarrow\quad d \propto e") == [
        (r"a = b + c", False), (r"\Rightarrow\quad d \propto e", True)]


def test_environments_are_not_split():
    from book.math import split_display

    assert split_display(r"\begin{pmatrix} a = b \end{pmatrix} = c \le d") == [
        (r"\begin{pmatrix} a = b \end{pmatrix} = c", False), (r"\le d", False)]


def test_inline_formulas_may_wrap_after_relations_and_operators():
    from book.math import split_inline

    # As TeX breaks running text: after a top-level relation or binary operator, never
    # inside brackets, norm bars or braces, and not at a sign that is unary.
    assert split_inline(r"\mathbb{E}\|h_{l-1}+\alpha F(h)\|^2 = (1+\alpha^2)\|h\|^2") == [
        r"\mathbb{E}\|h_{l-1}+\alpha F(h)\|^2 =", r"(1+\alpha^2)\|h\|^2"]
    assert split_inline(r"\sqrt{a b} \le \sqrt{1/3}\cdot\tfrac14 \approx 0.144") == [
        r"\sqrt{a b} \le", r"\sqrt{1/3}\cdot", r"\tfrac14 \approx", "0.144"]
    assert split_inline(r"-x + -y") == ["-x +", "-y"]
    assert split_inline(r"a = -b") == ["a =", "-b"]
    assert split_inline(r"\left| a - b \right| \le c") == [r"\left| a - b \right| \le", "c"]
    assert split_inline(r"|a-b|") == ["|a-b|"]
    assert split_inline(r"x_{l-1}") == ["x_{l-1}"]


def test_inline_pieces_are_boxes_that_cannot_push_the_page():
    long = "\\alpha_{first} = \\beta_{second} + \\gamma_{third}"
    out, errors = render_math(f'<p><span class="arithmatex">\\({long}\\)</span></p>')
    assert errors == []
    # Three formulas, each in its own box (which the stylesheet keeps within the column),
    # with a line-break opportunity between them; the operators ending a piece stay infix.
    assert out.count('<span class="book-math-inline"><math') == 3 and out.count("<wbr>") == 2
    assert out.count('<mo form="infix">') == 2
    # A short formula is one box, never broken.
    out, errors = render_math('<p><span class="arithmatex">\\(a = b + c\\)</span></p>')
    assert out.count("<math") == 1 and '<span class="book-math book-math-inline"><math' in out


def test_mathml_core_renders_what_latex_means():
    """Primes beside their base, operator names as upright function names, a sized
    delimiter that keeps its size under a script, no negative named space."""
    def body(latex):
        return render_math(f'<span class="arithmatex">\\({latex}\\)</span>')[0]

    assert "<mi>&#x003D5;</mi><mo>&#x02032;</mo>" in body("\\phi'(z)")
    assert "<msub><mrow><mi>&#x003D5;</mi><mo>&#x02032;</mo></mrow><mi>l</mi></msub>" in body("\\phi'_l")
    assert "<mi>diag</mi><mo>&#x02061;</mo>" in body("\\operatorname{diag}(x)") and "<mo>diag" not in body("\\operatorname{diag}(x)")
    assert '<msup><mrow><mo minsize=' in body("\\Big(x\\Big)^2")
    assert "mathspace" not in body("a\\!b")


def test_punctuation_touching_a_formula_stays_with_it():
    # A line may break on either side of a formula's box: "(" must not end a line, nor ","
    # start one, so they go inside the first and last box.
    out, errors = render_math('<p>at (<span class="arithmatex">\\(a = 1\\)</span>), then</p>')
    assert errors == []
    assert '<span class="book-math book-math-inline">(<math' in out and "</math>),</span> then" in out


def test_notebook_markdown_math_is_typeset():
    from book.math import render_notebook_math

    cell = ('<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput"><p>at $\\sigma = 0.9$, '
            'it costs $5 and $6.</p>\n<p>$$a = b$$</p></div>')
    code = '<div class="highlight-ipynb"><pre>"$b_f$"</pre></div>'
    out, errors = render_notebook_math(cell + code)
    assert errors == [] and "$\\sigma" not in out and "$$" not in out
    assert out.count("<math") == 2 and "costs $5 and $6." in out  # prices are not math
    assert out.endswith(code)  # code cells are left as they are
