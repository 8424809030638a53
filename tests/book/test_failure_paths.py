"""Every way a snippet or a page can go wrong stops `mkdocs build` with its name and the cause.

Each test builds a small fixture project with the book's real hook, in a child process.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import GOOD_PAGE, GOOD_SNIPPET, REPO

pytestmark = pytest.mark.build


def failing_build(project, snippet_code, page=None, env=None):
    project.add_snippet("broken", snippet_code)
    project.add_page("index", page or GOOD_PAGE.format(name="broken"))
    result = project.build(env=env)
    assert result.returncode != 0, "the build should have failed:\n" + result.stderr[-3000:]
    return result.stderr


def test_good_fixture_builds(project):
    project.add_snippet("fine")
    project.add_page("index", GOOD_PAGE.format(name="fine"))
    project.add_page("demo", "# The demo chapter\n\nIts value: [[fine:value|.1f]].\n\n[[claims]]\n")
    result = project.build(env={"BOOK_NOTEBOOKS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    html = (project.root / "site" / "index.html").read_text()
    assert "The value is 1.00 and the last element 0.25." in html
    chapter = (project.root / "site" / "demo" / "index.html").read_text()
    assert 'href="../notebooks/demo/demo.ipynb" download' in chapter  # the chapter's notebook
    assert (project.root / "site" / "notebooks" / "demo" / "demo.ipynb").is_file()
    assert "Tested claims" in html and "The value is near one." in html
    assert (project.root / "site" / "figures" / "fine-line.svg").is_file()
    data = json.loads((project.root / "site" / "results" / "fine.json").read_text())
    assert data["results"]["value"] == 1.0 and data["claims"][0]["values"]["4"] == 1.04


def test_snippet_that_raises(project):
    code = GOOD_SNIPPET.replace('return {"value"', 'raise RuntimeError("measurement exploded")\n    return {"value"')
    stderr = failing_build(project, code)
    assert "snippet 'broken'" in stderr and "snippets/demo/broken.py" in stderr
    assert "RuntimeError: measurement exploded" in stderr and "Traceback" in stderr


def test_snippet_that_returns_nan(project):
    stderr = failing_build(project, GOOD_SNIPPET.replace('"value": scale', '"value": float("nan") * scale'))
    assert "snippet 'broken'" in stderr and "non-finite" in stderr and "value = nan" in stderr


def test_snippet_that_breaks_a_claim(project):
    stderr = failing_build(project, GOOD_SNIPPET.replace("at_most=1.1", "at_most=1.02"))
    assert "snippet 'broken'" in stderr
    assert "claim 'value_near_one' FAILED at seed 3: measured 1.03, check 0.9 ≤ value ≤ 1.02" in stderr


def test_snippet_without_claims(project):
    stderr = failing_build(project, GOOD_SNIPPET.replace("CLAIMS = (", "CLAIMS = ()\n_unused = ("))
    assert "snippet 'broken'" in stderr and "declares no claim" in stderr


def test_snippet_that_times_out(project):
    code = GOOD_SNIPPET.replace('return {"value"', 'import time; time.sleep(60)\n    return {"value"')
    stderr = failing_build(project, code, env={"BOOK_TIMEOUT": "3"})
    assert "snippet 'broken'" in stderr and "timed out after 3 s" in stderr


def test_unknown_result_key(project):
    page = GOOD_PAGE.format(name="broken").replace("[[broken:value|.2f]]", "[[broken:valeu|.2f]]")
    stderr = failing_build(project, GOOD_SNIPPET, page)
    assert "page 'index.md'" in stderr and "result key 'broken:valeu' has no key 'valeu'" in stderr


def test_unknown_figure(project):
    page = GOOD_PAGE.format(name="broken").replace("figure broken:line", "figure broken:lines")
    stderr = failing_build(project, GOOD_SNIPPET, page)
    assert "page 'index.md'" in stderr and "figure 'broken:lines' does not exist" in stderr


def test_missing_include(project):
    page = GOOD_PAGE.format(name="broken").replace("snippets/demo/broken.py", "snippets/demo/absent.py")
    stderr = failing_build(project, GOOD_SNIPPET, page)
    assert "index.md" in stderr and "snippets/demo/absent.py" in stderr


def test_no_execute_switch_uses_cache_only(project):
    project.add_snippet("fine")
    project.add_page("index", GOOD_PAGE.format(name="fine"))
    result = project.build(env={"BOOK_EXECUTE": "0"})
    assert result.returncode != 0 and "not executed (BOOK_EXECUTE=0)" in result.stderr
    assert project.build().returncode == 0
    result = project.build(env={"BOOK_EXECUTE": "0"})
    assert result.returncode == 0 and "0 executed" in result.stderr and "1 from cache" in result.stderr
    assert "status" not in result.stderr  # a build that ran nothing prints the summary line, not the table


def serve_builds(project, after_first_build: str = "") -> subprocess.CompletedProcess:
    """What `mkdocs serve` does: announce the command, then build (and ``after_first_build``, a
    script run after the first build with ``build`` and ``config`` at hand)."""
    script = textwrap.dedent(
        f"""
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        config = load_config({str(project.root / 'mkdocs.yml')!r})
        config.plugins.on_startup(command="serve", dirty=False)
        build(config)
        print("BUILD RETURNED")
        """
    ) + textwrap.dedent(after_first_build)
    env = {**os.environ, "BOOK_CACHE": str(project.root / "cache"), "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-c", script], cwd=project.root, env=env, capture_output=True, text=True)


def test_serve_shows_the_error_on_the_page_and_keeps_going(project):
    code = GOOD_SNIPPET.replace('return {"value"', 'raise RuntimeError("measurement exploded")\n    return {"value"')
    project.add_snippet("broken", code)
    project.add_page("index", GOOD_PAGE.format(name="broken"))
    result = serve_builds(project)
    assert result.returncode == 0 and "BUILD RETURNED" in result.stdout, result.stderr[-3000:]
    html = (project.root / "site" / "index.html").read_text()
    assert "Snippet <code>broken</code> failed" in html and "measurement exploded" in html


def test_serve_shows_the_build_seed_first_then_every_seed(project):
    """`mkdocs serve` on an empty cache: the first build measures the build seed alone and says
    so on the page; the other seeds run in the background; the next build has them all, and
    the provisional folder is gone. `mkdocs build` never publishes a provisional record."""
    project.add_snippet("fine")
    project.add_page("index", GOOD_PAGE.format(name="fine"))
    result = serve_builds(project, """
        import threading
        print("FIRST", open("site/index.html").read().count("Still checking the other seeds"))
        for thread in threading.enumerate():
            if thread.name == "book-claim-seeds":
                thread.join()
        build(config)
        print("SECOND", open("site/index.html").read().count("Still checking the other seeds"))
        """)
    assert result.returncode == 0 and "FIRST 1" in result.stdout and "SECOND 0" in result.stdout, (
        result.stdout + result.stderr[-3000:])
    assert "still being checked" not in (project.root / "site" / "index.html").read_text()
    data = json.loads((project.root / "site" / "results" / "fine.json").read_text())
    assert "provisional" not in data and data["claims"][0]["values"]["4"] == 1.04
    assert not list((project.root / "cache").glob("fine-*.first-seed"))


def test_serve_shows_a_failure_at_the_other_seeds_after_a_second_try(project):
    """Seeds 1–4 fail in the background: the next build tries them once more (a failure may be
    passing), the one after shows the failure on the page instead of trying for ever."""
    code = GOOD_SNIPPET.replace('    return {"value"', '    if seed:\n        raise RuntimeError("fails past the build seed")\n    return {"value"')
    project.add_snippet("shaky", code)
    project.add_page("index", GOOD_PAGE.format(name="shaky"))
    wait_and_build = """
        import threading
        for thread in threading.enumerate():
            if thread.name == "book-claim-seeds":
                thread.join()
        build(config)
        print("STILL CHECKING", open("site/index.html").read().count("Still checking the other seeds"))
        """
    result = serve_builds(project, wait_and_build + wait_and_build)
    assert result.returncode == 0 and result.stdout.count("STILL CHECKING 1") == 1, result.stdout + result.stderr[-3000:]
    assert "STILL CHECKING 0" in result.stdout and "failed at its other seeds" in result.stderr
    html = (project.root / "site" / "index.html").read_text()
    assert "Snippet <code>shaky</code> failed" in html and "fails past the build seed" in html


def test_page_that_prints_a_not_applicable_value(project):
    """A value the snippet marks as not applicable (None) never reaches the prose as a number."""
    code = GOOD_SNIPPET.replace('"profile": [1.0, 0.5, 0.25]}', '"profile": [1.0, 0.5, 0.25], "diverged_at": None}')
    page = GOOD_PAGE.format(name="broken") + "\nThe run diverged at step [[broken:diverged_at|d]].\n"
    stderr = failing_build(project, code, page=page)
    assert "page 'index.md'" in stderr and "result key 'broken:diverged_at' is None" in stderr
    assert "not applicable" in stderr
