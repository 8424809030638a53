"""Build-time benchmark: prints figures, asserts nothing (targets are read by people).

Measures, each as a full `mkdocs build --strict` in a child process:
  1. execution off (BOOK_EXECUTE=0, warm cache)   — the baseline
  2. cold build (empty cache: every snippet runs)
  3. warm build (nothing changed)
  4. build after one snippet changed (a comment appended to it, then removed)
and prints the per-snippet times of the cold build.
Targets (issue #2): warm ≤ 1.5 × execution-off; cold build of all snippets ≤ 60 s.
"""

from __future__ import annotations

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
from book.runner import discover  # noqa: E402


def build(cache: Path, site: Path, **env: str) -> tuple[float, str]:
    environment = {**os.environ, "BOOK_CACHE": str(cache), "NO_MKDOCS_2_WARNING": "1", **env}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stderr[-4000:]}")
    return seconds, result.stderr


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

        table = log[log.index("snippet ") : log.index("missing") + len("missing")]
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        print(f"snippets: {len(discover(REPO))}\n")
        print(f"{'build':<40} seconds")
        print(f"{'execution off (BOOK_EXECUTE=0)':<40} {off:7.2f}")
        print(f"{'cold (empty cache, all snippets run)':<40} {cold:7.2f}")
        print(f"{'warm (nothing changed)':<40} {warm:7.2f}   = {warm / off:.2f} × execution off (target ≤ 1.5)")
        print(f"{f'one snippet changed ({snippet.id})':<40} {one_changed:7.2f}")
        print("\nper-snippet times of the cold build:")
        print(re.sub(r"^INFO\s+-\s+", "", table, flags=re.M))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
