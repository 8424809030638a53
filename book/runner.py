"""Bring every snippet's results up to date: what is cached, what runs, in which order.

Each snippet runs in processes of its own (:mod:`book.processes`, :mod:`book.execute`)
with a timeout: its claim seeds in parallel, then one process that checks the claims and
draws the figures. Results are cached (:mod:`book.cache`); the switches are
:class:`book.options.Options`. ``python -m book.runner`` runs the snippets without building
the site.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from book import cache
from book.cache import CacheEntry, package_versions
from book.claims import BUILD_SEED, CLAIM_SEEDS
from book.options import Options
from book.progress import Progress
from book.processes import run_snippet_process
from book.snippets import Snippet, discover


class Status(str, enum.Enum):
    """What happened to a snippet (or a notebook) in one build."""

    CACHED = "cached"
    RAN = "ran"
    FAILED = "failed"
    MISSING = "missing"

    def __str__(self) -> str:
        return self.value


@dataclass
class Outcome:
    """What happened to one snippet in one build."""

    snippet: Snippet
    status: Status
    seconds: float = 0.0
    result: dict | None = None
    error: str = ""
    files: dict[str, Path] = field(default_factory=dict)  # site path -> file to publish
    entry: CacheEntry | None = None  # the cache entry for its current source

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def provisional(self) -> bool:
        """Its record is from the build seed alone (``mkdocs serve``'s first view)."""
        return bool(self.result and self.result.get("provisional"))


def _seed_chunks(jobs: int, seeds: tuple[int, ...] = CLAIM_SEEDS) -> list[list[int]]:
    """The seeds dealt round-robin into at most ``jobs`` groups, measured in parallel."""
    groups = max(1, min(jobs, len(seeds)))
    return [list(seeds[start::groups]) for start in range(groups) if seeds[start::groups]]


def _execute(snippet: Snippet, root: Path, entry: CacheEntry, options: Options, slots,
             progress: Progress, first_seed_only: bool = False) -> tuple[dict | None, str, float]:
    """Run the snippet: its seeds in parallel processes, then one process that checks the
    claims and draws the figures. ``slots`` bounds the processes running at once.
    ``first_seed_only``: the build seed alone, into the entry's provisional folder; a full run
    reuses that seed's measurement when the provisional folder has it.
    Returns (result, error message, seconds its processes ran in all)."""
    seeds = (BUILD_SEED,) if first_seed_only else CLAIM_SEEDS
    target = entry.first_seed if first_seed_only else entry
    scratch = Path(tempfile.mkdtemp(prefix=f".tmp-{snippet.id}-", dir=entry.path.parent))
    measured = entry.first_seed.path / cache.seed_file(BUILD_SEED)
    if not first_seed_only and measured.is_file():
        shutil.copyfile(measured, scratch / cache.seed_file(BUILD_SEED))
        seeds = tuple(seed for seed in seeds if seed != BUILD_SEED)
    busy: list[float] = []  # how long each of its processes ran: the snippet's cost

    def child(flags: list[str], log_name: str) -> tuple[int | None, str]:
        # The timeout bounds each process once it runs, not the wait for a free core.
        with slots:
            progress.started(snippet.id)
            start = time.perf_counter()
            try:
                return run_snippet_process(snippet, root, scratch, options, flags, log_name)
            finally:
                busy.append(time.perf_counter() - start)

    def failure(code: int | None, output: str, error_file: Path) -> str:
        if code is None:
            return f"timed out after {options.timeout:g} s (BOOK_TIMEOUT)"
        if error_file.is_file():
            error = json.loads(error_file.read_text(encoding="utf-8"))
            return f"{error['kind']}: {error['message']}"
        return f"process exited with code {code}\n{output[-4000:]}"

    try:
        chunks = _seed_chunks(options.jobs, seeds)
        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            flags = [["--seeds", ",".join(map(str, chunk))] for chunk in chunks]
            logs = [f"output-seeds-{'-'.join(map(str, chunk))}.log" for chunk in chunks]
            done = list(pool.map(child, flags, logs))
        for chunk, (code, output) in zip(chunks, done):
            if code != 0:
                return None, failure(code, output, scratch / cache.error_file(chunk)), sum(busy)
        code, output = child(["--assemble"] + (["--first-seed-only"] if first_seed_only else []), "output.log")
        if code != 0 or not (scratch / cache.RESULT_FILE).is_file():
            return None, failure(code, output, scratch / cache.error_file()), sum(busy)
        for log in scratch.glob("output*.log"):
            log.unlink()
        if target.path.exists():
            shutil.rmtree(target.path)
        scratch.rename(target.path)
        return json.loads(target.result_path.read_text(encoding="utf-8")), "", sum(busy)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_all(root: Path, options: Options, progress: Progress | None = None,
            first_seed_only: bool = False) -> list[Outcome]:
    """Bring every snippet's results up to date; never raises for a snippet's failure.

    Holds the cache folder's lock while it works (:func:`book.cache.locked`). ``progress``
    (by default a :class:`book.progress.Progress` on stderr) shows what runs.
    ``first_seed_only``: a snippet without a cached record gets a provisional one from the
    build seed alone (``mkdocs serve`` shows it, then runs :func:`run_all` in full).
    """
    root = Path(root).resolve()
    cache_dir = options.cache_root(root)
    with cache.locked(cache_dir):
        return _run_all_locked(root, options, cache_dir, progress or Progress(), first_seed_only)


def _not_executed_reason(options: Options) -> str:
    if not options.execute:
        return (
            "not executed (BOOK_EXECUTE=0) and no cached result for its current source: "
            "build once without BOOK_EXECUTE=0"
        )
    return (
        f"not executed (BOOK_ONLY={','.join(options.only)}) and no cached result for its current source "
        "(it changed, or it never ran in this clone): build once without BOOK_ONLY, "
        "or add its id to the BOOK_ONLY pattern"
    )


def _run_all_locked(root: Path, options: Options, cache_dir: Path, progress: Progress,
                    first_seed_only: bool) -> list[Outcome]:
    versions = package_versions()
    outcomes: list[Outcome] = []
    to_run: list[tuple[Outcome, CacheEntry]] = []
    for snippet in discover(root):
        entry = CacheEntry.of(snippet, root, options, versions)
        outcome = Outcome(snippet, Status.MISSING, entry=entry)
        outcomes.append(outcome)
        cached = entry.load()
        wanted = options.execute and options.selects(snippet.id)
        if cached is not None and not (options.force and wanted):
            outcome.status, outcome.result = Status.CACHED, cached
            outcome.files = entry.published_files(cached)
            entry.drop_provisional()
        elif wanted:
            provisional = entry.first_seed.load_provisional() if first_seed_only and not options.force else None
            if provisional is None:
                to_run.append((outcome, entry))
            else:
                outcome.status, outcome.result, outcome.entry = Status.CACHED, provisional, entry.first_seed
                outcome.files = entry.first_seed.published_files(provisional)
        else:
            outcome.error = _not_executed_reason(options)

    slots = threading.BoundedSemaphore(options.jobs)

    def work(item: tuple[Outcome, CacheEntry]) -> None:
        outcome, entry = item
        result, error, outcome.seconds = _execute(outcome.snippet, root, entry, options, slots, progress,
                                                  first_seed_only)
        if result is None:
            outcome.status, outcome.error = Status.FAILED, error
        else:
            target = entry.first_seed if first_seed_only else entry
            outcome.status, outcome.result, outcome.entry = Status.RAN, result, target
            outcome.files = target.published_files(result)
            if not first_seed_only:
                entry.prune_others()
        progress.finished(outcome.snippet.id, result is not None, outcome.seconds)

    # Longest first (by last build's time when known) keeps every core busy to the end; the
    # slots (one per job) are handed out in that order.
    last = cache.last_seconds(cache_dir)
    to_run.sort(key=lambda item: -last.get(item[0].snippet.id, 0.0))
    # The last build's times are of full runs: no estimate for a first-seed-only one.
    progress.begin([outcome.snippet.id for outcome, _ in to_run], {} if first_seed_only else last, options.jobs)
    # Threads only wait on child processes; the work happens in the children.
    try:
        with ThreadPoolExecutor(max_workers=max(1, len(to_run))) as pool:
            list(pool.map(work, to_run))
    finally:
        progress.end(cached=sum(o.status is Status.CACHED for o in outcomes))
    if not first_seed_only:
        cache.record_seconds(cache_dir, {o.snippet.id: o.seconds for o in outcomes if o.status is Status.RAN})
    return outcomes


def timing_table(outcomes: list[Outcome]) -> str:
    width = max([len(o.snippet.id) for o in outcomes] + [7])
    lines = [f"{'snippet':<{width}}  {'status':<7}  seconds", f"{'-' * width}  -------  -------"]
    for outcome in outcomes:
        seconds = f"{outcome.seconds:7.2f}" if outcome.status in {Status.RAN, Status.FAILED} else "      -"
        lines.append(f"{outcome.snippet.id:<{width}}  {outcome.status.value:<7}  {seconds}")
    ran = [o for o in outcomes if o.status in {Status.RAN, Status.FAILED}]
    lines.append(
        f"{len(outcomes)} snippets: {len(ran)} executed ({sum(o.seconds for o in ran):.1f} s of work), "
        f"{sum(o.status is Status.CACHED for o in outcomes)} from cache, "
        f"{sum(o.status is Status.FAILED for o in outcomes)} failed, "
        f"{sum(o.status is Status.MISSING for o in outcomes)} missing"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m book.runner [ROOT] [--claims-only]``: run the snippets without building the site.

    ``--claims-only`` measures and checks claims but draws no figure (cached apart); with
    ``ATEN_CPU_CAPABILITY=default`` in the environment it is the test suite's second backend.
    ``--quiet`` prints failures only (no timing table).
    """
    argv = sys.argv[1:] if argv is None else argv
    flags = {a for a in argv if a.startswith("--")}
    unknown = flags - {"--claims-only", "--quiet"}
    if unknown:
        print(f"unknown option {sorted(unknown)[0]} (known: --claims-only, --quiet)", file=sys.stderr)
        return 2
    positional = [a for a in argv if not a.startswith("--")]
    root = Path(positional[0]) if positional else Path.cwd()
    options = Options.from_env()
    if "--claims-only" in flags:
        options = dataclasses.replace(options, figures=False)
    outcomes = run_all(root, options)
    if "--quiet" not in flags:
        print(timing_table(outcomes))
    for outcome in outcomes:
        if not outcome.ok:
            print(f"\n{outcome.snippet.id} ({outcome.snippet.source_relpath(root.resolve())}): {outcome.error}")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
