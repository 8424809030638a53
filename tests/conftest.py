"""Shared fixtures: a throw-away MkDocs project that uses the book's real hook, the real
site built once per run, and for the browser tests headless Chromium and a local server of
that site (one of each per test module)."""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tests.book.browsing import CHROMIUM, CHROMIUM_ARGS, missing_browser

REPO = Path(__file__).resolve().parent.parent

GOOD_SNIPPET = '''
"""A tiny fixture snippet"""

from book.claims import Claim


def measure(scale: float = 1.0, seed: int = 0) -> dict:
    return {"value": scale * (1 + 0.01 * seed), "profile": [1.0, 0.5, 0.25]}


def plot(results):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, results["value"]])
    return {"line": (fig, "A rising line.")}


CLAIMS = (Claim("value_near_one", "The value is near one.", lambda r: r["value"], at_least=0.9, at_most=1.1),)
'''

GOOD_PAGE = """# Demo

```python
--8<-- "snippets/demo/{name}.py"
```

The value is [[{name}:value|.2f]] and the last element [[{name}:profile.-1]].

[[figure {name}:line|A caption.]]

[[claims]]
"""


class FixtureProject:
    def __init__(self, root: Path):
        self.root = root
        (root / "docs").mkdir(parents=True)
        (root / "snippets" / "demo").mkdir(parents=True)
        (root / "snippets" / "__init__.py").write_text("")
        # The notebooks import the house style from snippets/common.py.
        (root / "snippets" / "common.py").write_text("def theme_rc(theme):\n    return {}\n")
        (root / "snippets" / "demo" / "__init__.py").write_text("")
        (root / "mkdocs.yml").write_text(
            textwrap.dedent(
                f"""\
                site_name: fixture
                theme: {{name: mkdocs}}
                hooks: ["{REPO / 'book' / 'mkdocs_hook.py'}"]
                plugins:
                  - search
                  - mkdocs-jupyter: {{include: ["*.ipynb"], include_source: true}}
                markdown_extensions:
                  - attr_list
                  - md_in_html
                  - pymdownx.arithmatex: {{generic: true}}
                  - pymdownx.snippets: {{base_path: ["."], check_paths: true}}
                validation: {{links: {{not_found: warn, anchors: warn}}}}
                """
            )
        )

    def add_snippet(self, name: str, code: str = GOOD_SNIPPET) -> None:
        (self.root / "snippets" / "demo" / f"{name}.py").write_text(code)

    def add_page(self, name: str, text: str) -> None:
        (self.root / "docs" / f"{name}.md").write_text(text)

    def build(self, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
        environment = {
            **os.environ,
            "BOOK_CACHE": str(self.root / "cache"),
            "NO_MKDOCS_2_WARNING": "1",
            "BOOK_NOTEBOOKS": "0",  # one test turns them on; the others test snippets and pages
            **(env or {}),
        }
        return subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(self.root / "mkdocs.yml"), *extra],
            cwd=self.root,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )


@pytest.fixture
def project(tmp_path) -> FixtureProject:
    return FixtureProject(tmp_path / "project")


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, worker_id) -> Path:
    """The real site, built once per test run with `mkdocs build --strict`.

    Under pytest-xdist the workers share one build: the first to arrive builds, the others
    wait on a file lock and reuse it. Snippet results come from the project's cache
    (.cache/book), so in a fresh clone this is a cold build. ``make test`` builds the site
    with the same command just before it starts the tests (where its progress can be seen)
    and names it in BOOK_TEST_SITE; a build that failed left no site, and the build runs
    again here to report why.
    """
    import fcntl

    prebuilt = Path(os.environ.get("BOOK_TEST_SITE") or "/nonexistent")
    if (prebuilt / "sitemap.xml").is_file():
        return prebuilt.resolve()

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base  # one folder per run either way
    site_dir, record = shared / "site", shared / "site-build.json"
    with open(shared / "site-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
            command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)]
            result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
            record.write_text(json.dumps({"returncode": result.returncode, "log": result.stderr}))
    build = json.loads(record.read_text())
    assert build["returncode"] == 0, build["log"][-5000:]
    return site_dir


@pytest.fixture(scope="module")
def browser():
    reason = missing_browser()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(built_site):
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
