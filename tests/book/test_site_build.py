"""The real site: strict build, nothing missing, a warm build imports no torch.

(That a fresh process reproduces the published results and figures byte for byte is
checked by running each chapter's notebook: tests/book/test_notebooks.py.)
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from book.snippets import discover

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.build

WARM_BUILD = """
import logging, sys
logging.basicConfig(level=logging.INFO)
from mkdocs.commands.build import build
from mkdocs.config import load_config
build(load_config("mkdocs.yml", strict=True, site_dir=sys.argv[1]))
print("torch imported:", "torch" in sys.modules)
"""


@pytest.fixture
def site(built_site):
    return built_site


def test_every_snippet_publishes_results_and_figures(site):
    for snippet in discover(REPO):
        assert (site / "results" / f"{snippet.id}.json").is_file()
        assert list((site / "figures").glob(f"{snippet.id}-*.svg")), snippet.id


def test_pages_have_no_unfilled_directive_or_raw_math(site):
    for page in site.rglob("index.html"):
        html = page.read_text(encoding="utf-8")
        assert "⚠" not in html, page
        assert not re.search(r"\[\[[a-z_]+:[^\]]+\]\]|\[\[(figure|claims)", html), page
        assert 'class="arithmatex"' not in html, page
        # A display formula the Markdown did not see as one (e.g. in a list item without a
        # blank line around it) reaches the page as text.
        prose = re.sub(r"<(pre|code|script)\b.*?</\1>", "", html, flags=re.S)
        assert "$$" not in prose, f"{page}: a display formula left as text"


def test_pages_load_nothing_from_other_hosts(site):
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        # A canonical link names the page's published address; it loads nothing.
        html = re.sub(r'<link rel="canonical"[^>]*>', "", html)
        external = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="(https?:)?//[^"]+"', html)
        assert not external, f"{page.relative_to(site)} loads {external}"


def test_warm_build_imports_no_torch(site, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", WARM_BUILD, str(tmp_path / "warm")],
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "torch imported: False" in result.stdout
    assert "0 executed" in result.stderr
    # The same sources give the same site, byte for byte: both editions, figures, search
    # indexes, sitemaps and notebooks.
    warm = tmp_path / "warm"
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(warm).as_posix() for p in warm.rglob("*") if p.is_file())
    differ = [name for name in files if (site / name).read_bytes() != (warm / name).read_bytes()]
    assert not differ, f"files that differ between two builds of the same sources: {differ[:10]}"
