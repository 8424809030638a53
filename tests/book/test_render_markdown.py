"""The one Markdown scanner (book/render/markdown.py): code fences, display math, includes,
directives and exercises, as the pages, the editions' parity check and the notebooks read them."""

from book import parity
from book.render.markdown import directive_bodies, exercises, included_snippets, lines

PAGE = """# A chapter

Prose [[demo:rate|.2f]].

```python title="snippets/ch/demo.py" hl_lines="2"
--8<-- "snippets/ch/demo.py:measure"
x[[demo:rate]]
```

$$
a = [[demo:rate|tex2]]
$$

!!! note "Nested"

    ```python
    --8<-- "snippets/ch/other.py:plot"
    ```

    Still prose.

~~~text
!!! question "Not an exercise: inside a fence"
~~~
"""


def _kinds(markdown: str) -> list[str]:
    return ["opens" if l.opens_fence else "code" if l.code else "math" if l.math else "prose" for l in lines(markdown)]


def test_lines_are_marked_code_math_or_prose():
    kinds = dict(zip((l.text for l in lines(PAGE)), _kinds(PAGE)))
    assert kinds["Prose [[demo:rate|.2f]]."] == "prose"
    assert kinds['```python title="snippets/ch/demo.py" hl_lines="2"'] == "opens"
    assert kinds['--8<-- "snippets/ch/demo.py:measure"'] == "code" and kinds["x[[demo:rate]]"] == "code"
    assert kinds["$$"] == "math" and kinds["a = [[demo:rate|tex2]]"] == "math"
    # A fence indented inside an admonition is a fence; the prose after it is prose again.
    assert kinds["    ```python"] == "opens" and kinds['    --8<-- "snippets/ch/other.py:plot"'] == "code"
    assert kinds["    Still prose."] == "prose"
    assert kinds['!!! question "Not an exercise: inside a fence"'] == "code"
    assert [l.number for l in lines(PAGE)] == list(range(1, PAGE.count("\n") + 2))


def test_a_closing_fence_is_code_and_opens_nothing():
    marked = [(l.text, l.code, l.opens_fence) for l in lines("```\ncode\n```\nafter")]
    assert marked == [("```", True, True), ("code", True, False), ("```", True, False), ("after", False, False)]


def test_display_math_on_one_line_and_over_several():
    assert _kinds("$$ x = 1 $$\nprose\n$$x\ny$$\nprose") == ["math", "prose", "math", "math", "prose"]


def test_includes_name_their_snippets_once_in_order():
    assert included_snippets(PAGE + '--8<-- "snippets/ch/demo.py:plot"') == ["demo", "other"]


def test_directive_bodies_include_a_captions_values():
    line = r"[[figure demo:main|Over [[demo:setup.depth|d]] layers.]] and [[demo:profile.0\|.1f]]"
    assert list(directive_bodies(line)) == ["figure demo:main|Over [[demo:setup.depth|d]] layers.",
                                           "demo:setup.depth|d", "demo:profile.0|.1f"]


def test_exercises_are_taken_without_their_answers():
    page = ('# A chapter\n\n!!! question "Exercise 1: predict, then measure"\n    How many decades?\n\n'
            '    ??? success "Answer (measured when this page was built)"\n        Seven.\n\n'
            "    To explore further, change one line.\n\nAfter.\n")
    found = exercises(page)
    assert [(e.title, e.question, e.line) for e in found] == [("Exercise 1: predict, then measure", "How many decades?", 3)]


def test_every_question_admonition_is_an_exercise_but_not_inside_code():
    page = ('!!! question "One"\n    Why?\n\n???+ question "Two"\n    How?\n\n- item\n\n    ??? question "Three"\n'
            '        Nested.\n\n```markdown\n!!! question "In code"\n```\n!!! question\n    Untitled.\n')
    assert [(e.title, e.question) for e in exercises(page)] == [
        ("One", "Why?"), ("Two", "How?"), ("Three", "Nested."), ("", "Untitled.")]
    # The parity check counts the same exercises the notebooks take.
    assert parity.shape(page).exercises == 4
