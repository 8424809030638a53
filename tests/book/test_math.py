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
