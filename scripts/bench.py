"""Build-time benchmark: prints figures, asserts nothing (targets are read by people).

Measures, each as a full `mkdocs build --strict` in a child process:
  1. execution off (BOOK_EXECUTE=0, warm cache)   — the baseline
  2. cold build (empty cache: every snippet runs)
  3. warm build (nothing changed)
  4. build after one snippet changed (a comment appended to it, then removed)
  5. the peer: `jupyter nbconvert --execute` on the chapters' notebooks (seed 0), in the same run
and prints the per-snippet times of the cold build, and each page's transfer size: its
HTML plus the figures a light-mode reader downloads (the dark variants and the theme's
shared assets are not counted), raw and gzip-compressed.
Targets (2 cores): cold build of everything, notebooks included, ≤ 30 s and ≤ 0.3 × the
peer; the snippets' process time ≤ 50 s; warm ≤ 1.1 ×
execution-off; one changed snippet ≤ 6 s; ≤ 300 KB per chapter page.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from book.snippets import discover  # noqa: E402


def build(cache: Path, site: Path, **env: str) -> tuple[float, str]:
    environment = {**os.environ, "BOOK_CACHE": str(cache), "NO_MKDOCS_2_WARNING": "1", **env}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stderr[-4000:]}")
    return seconds, result.stderr


def page_sizes(site: Path) -> list[tuple[str, int, int]]:
    """(page, raw bytes, gzip bytes) of each page's HTML plus its light-mode figures."""
    rows = []
    for html_file in sorted(site.rglob("index.html")):
        relative = html_file.parent.relative_to(site).as_posix()
        if relative.startswith(("assets", "search")):
            continue
        html = html_file.read_bytes()
        parts = [html]
        for src in re.findall(rb'<img[^>]+src="([^"#]+)(?:#only-light)?"', html):
            if b"#only-dark" in src or src.startswith((b"http", b"data:")):
                continue
            figure = (html_file.parent / src.decode()).resolve()
            if figure.is_file() and b".dark." not in src:
                parts.append(figure.read_bytes())
        raw = sum(len(p) for p in parts)
        packed = sum(len(gzip.compress(p, 6)) for p in parts)
        rows.append(("/" + relative + "/" if relative != "." else "/", raw, packed))
    return rows


def peer_seconds(notebooks: list[Path], work: Path) -> float:
    """The peer, timed on the same machine in the same run: `jupyter nbconvert --execute` (the
    engine behind mkdocs-jupyter's ``execute: true``) on the chapters' notebooks, one after
    another. A notebook measures seed 0 only, draws the light figures, and checks the claims
    at that seed."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), "NO_MKDOCS_2_WARNING": "1"}
    # A notebook runs in its own folder and finds the repository above it, as a reader's does.
    inside = Path(tempfile.mkdtemp(prefix="bench-peer-", dir=REPO / ".cache"))
    try:
        copies = [Path(shutil.copy(notebook, inside)) for notebook in notebooks]
        start = time.perf_counter()
        for notebook in copies:
            command = [sys.executable, "-m", "jupyter", "nbconvert", "--execute", "--to", "notebook",
                       "--output-dir", str(work / "peer"), "--ExecutePreprocessor.timeout=1200", str(notebook)]
            result = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True)
            if result.returncode != 0:
                sys.exit(f"the peer failed on {notebook.name}:\n{result.stderr[-4000:]}")
        return time.perf_counter() - start
    finally:
        shutil.rmtree(inside, ignore_errors=True)


def process_seconds(log: str) -> float:
    """The snippets' process time in a build's log (the timing table's summary line)."""
    found = re.search(r"executed \(([\d.]+) s of work\)", log)
    return float(found.group(1)) if found else float("nan")


def best_of(runs: int, *args, **env) -> float:
    return min(build(*args, **env)[0] for _ in range(runs))


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="book-bench-"))
    cache, site = work / "cache", work / "site"
    try:
        cold, log = build(cache, site)
        warm = best_of(3, cache, site)
        off = best_of(3, cache, site, BOOK_EXECUTE="0")

        snippet = discover(REPO)[0]
        original = snippet.path.read_bytes()
        try:
            snippet.path.write_bytes(original + b"\n# benchmark: one snippet changed\n")
            one_changed, _ = build(cache, site)
        finally:
            snippet.path.write_bytes(original)

        notebooks = sorted((cache / "notebooks").glob("*.ipynb"))
        peer = peer_seconds(notebooks, work)

        start = log.index("snippet ")
        end = log.find("INFO", start)
        table = log[start : end if end > 0 else None].rstrip()
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        print(f"snippets: {len(discover(REPO))}\n")
        print(f"{'build':<40} seconds")
        print(f"{'execution off (BOOK_EXECUTE=0)':<40} {off:7.2f}")
        print(f"{'cold (empty cache, all snippets run)':<40} {cold:7.2f}   (target ≤ 30)")
        print(f"{'  of which process time of the snippets':<40} {process_seconds(log):7.2f}   (target ≤ 50)")
        print(f"{f'peer: nbconvert --execute, {len(notebooks)} notebooks':<40} {peer:7.2f}   "
              f"ours (all seeds, both editions) / peer (seed 0) = {cold / peer:.2f} (target ≤ 0.3)")
        print(f"{'warm (nothing changed)':<40} {warm:7.2f}   = {warm / off:.2f} × execution off (target ≤ 1.1)")
        print(f"{f'one snippet changed ({snippet.id})':<40} {one_changed:7.2f}   (target ≤ 6)")
        print("\nper-snippet times of the cold build:")
        print(re.sub(r"^INFO\s+-\s+", "", table, flags=re.M))
        print(f"\n{'page (HTML + light-mode figures)':<40} {'raw KB':>8} {'gzip KB':>8}")
        for page, raw, packed in page_sizes(site):
            print(f"{page:<40} {raw / 1024:8.0f} {packed / 1024:8.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
