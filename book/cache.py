"""The build cache: one folder per snippet and source hash, and every file name in it.

``.cache/book/<id>-<hash>/`` holds ``result.json``, the figures and the data files of a
snippet's ``publish()`` (all published) and
``seeds.json``: ``measure(seed)`` at every claim seed, which the tests and the notebooks
reuse instead of measuring again. The hash covers everything that can change a result:
the snippet, every project module it imports, the files of the machinery that run it, the
versions of torch, NumPy and matplotlib, Python's version and the numeric kernels.
Deciding that a snippet is cached reads files only: a build in which nothing changed
imports no torch.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from book.options import Options
from book.snippets import Snippet, dependency_files

BOOK_DIR = Path(__file__).resolve().parent
#: Files of the machinery that shape a result: a change to any of them invalidates every entry.
RUNNER_FILES = ("claims.py", "execute.py", "processes.py")
#: Installed packages whose version is part of every snippet's hash.
HASHED_PACKAGES = ("torch", "numpy", "matplotlib")

#: In each entry: the published record.
RESULT_FILE = "result.json"
#: In each entry: {seed: measure(seed)} for every claim seed (not published).
SEEDS_FILE = "seeds.json"
#: In the cache folder: how long each snippet's processes ran last time (to schedule the longest first).
TIMES_FILE = "seconds.json"
#: The folder beside an entry's that holds its provisional, build-seed-only record.
FIRST_SEED_SUFFIX = ".first-seed"


def error_file(seeds: list[int] | None = None) -> str:
    """Where a snippet's process reports its error: per group of seeds, or for the assembly."""
    return "error.json" if seeds is None else f"error-seeds-{'-'.join(map(str, seeds))}.json"


def data_file(name: str) -> str:
    """A data file of the snippet's ``publish()`` (published under ``results/<id>/<name>.json``)."""
    return f"data-{name}.json"


def seed_file(seed: int) -> str:
    """One seed's measurements, until the assembly gathers them into SEEDS_FILE."""
    return f"seed-{seed}.json"


def package_versions() -> dict[str, str]:
    versions = {}
    for name in HASHED_PACKAGES:
        try:
            versions[name] = metadata.version(name)  # reads metadata; does not import
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def snippet_hash(snippet: Snippet, root: Path, versions: dict[str, str], kernels: str = "native") -> str:
    digest = hashlib.sha256()
    digest.update(f"python {sys.version_info[:2]}\n".encode())
    if kernels != "native":
        digest.update(f"kernels {kernels}\n".encode())
    for name, version in sorted(versions.items()):
        digest.update(f"{name}=={version}\n".encode())
    files = [BOOK_DIR / name for name in RUNNER_FILES] + dependency_files(snippet, root)
    for path in files:
        label = path.relative_to(root).as_posix() if path.is_relative_to(root) else f"book/{path.name}"
        digest.update(label.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


@dataclass(frozen=True)
class CacheEntry:
    """One snippet's results for one source hash."""

    snippet_id: str
    path: Path

    @classmethod
    def of(cls, snippet: Snippet, root: Path, options: Options,
           versions: dict[str, str] | None = None) -> "CacheEntry":
        """The entry that holds (or will hold) this snippet's results for its current source."""
        root = Path(root).resolve()
        digest = snippet_hash(snippet, root, versions or package_versions(), options.kernels)
        return cls(snippet.id, options.cache_root(root) / f"{snippet.id}-{digest}")

    @property
    def result_path(self) -> Path:
        return self.path / RESULT_FILE

    @property
    def seeds_path(self) -> Path:
        return self.path / SEEDS_FILE

    def published_files(self, result: dict) -> dict[str, Path]:
        """Site path → the file in this entry to publish there (the record and the figures)."""
        files = {f"results/{result['snippet']}.json": self.result_path}
        for figure in result["figures"].values():
            for key, site_path in figure.items():
                if key != "alt":
                    files[site_path] = self.path / Path(site_path).name
        for name, site_path in result.get("data", {}).items():  # a snippet's publish(): see book/execute.py
            files[site_path] = self.path / data_file(name)
        return files

    @property
    def first_seed(self) -> "CacheEntry":
        """Where ``mkdocs serve`` keeps a provisional record from the build seed alone (and that
        seed's measurement, which the full run reuses) while the other seeds run."""
        return CacheEntry(self.snippet_id, self.path.with_name(self.path.name + FIRST_SEED_SUFFIX))

    def load_provisional(self) -> dict | None:
        """The provisional record of a :attr:`first_seed` entry, if it is complete."""
        try:
            result = json.loads(self.result_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        complete = all(path.is_file() for path in self.published_files(result).values())
        return result if complete and result.get("provisional") else None

    def load(self) -> dict | None:
        """The cached record, if the entry is complete (record, seeds and every figure)."""
        try:
            result = json.loads(self.result_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if self.seeds_path.is_file() and all(path.is_file() for path in self.published_files(result).values()):
            return result
        return None

    def measurements(self) -> dict[int, dict] | None:
        """``{seed: measure(seed)}`` if the entry has them."""
        try:
            return {int(seed): results
                    for seed, results in json.loads(self.seeds_path.read_text(encoding="utf-8")).items()}
        except (OSError, ValueError):
            return None

    def prune_others(self) -> None:
        """Delete this snippet's entries for other sources. Its own provisional folder stays: a
        build under ``mkdocs serve`` may still be publishing its files (see :meth:`drop_provisional`)."""
        for old in self.path.parent.glob(f"{self.snippet_id}-*"):
            # Ids contain no "-", so ``foo-*`` never matches another snippet's entries.
            if old not in (self.path, self.first_seed.path) and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)

    def drop_provisional(self) -> None:
        """Delete the provisional folder once the complete entry is in use (the next build)."""
        if self.first_seed.path.is_dir():
            shutil.rmtree(self.first_seed.path, ignore_errors=True)


def cached_measurements(snippet: Snippet, root: Path, options: Options) -> dict[int, dict] | None:
    """``{seed: measure(seed)}`` from the cache when it matches the current source, else None."""
    return CacheEntry.of(snippet, root, options).measurements()


@contextmanager
def locked(cache_dir: Path):
    """Hold the cache folder's lock: two builds (or a build and the tests) sharing a cache
    never run the same snippet twice or prune each other's files."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def last_seconds(cache_dir: Path) -> dict[str, float]:
    """How long each snippet's processes ran in the last build that ran it."""
    try:
        return {k: float(v) for k, v in json.loads((cache_dir / TIMES_FILE).read_text(encoding="utf-8")).items()}
    except (OSError, ValueError):
        return {}


def record_seconds(cache_dir: Path, seconds: dict[str, float]) -> None:
    times = last_seconds(cache_dir)
    times.update({snippet_id: round(s, 2) for snippet_id, s in seconds.items()})
    (cache_dir / TIMES_FILE).write_text(json.dumps(times, indent=1, sort_keys=True), encoding="utf-8")
