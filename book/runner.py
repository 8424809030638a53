"""Find, hash, cache and run the book's snippets — independent of the site generator.

A snippet is a module ``snippets/<chapter>/<name>.py`` whose name does not start with
an underscore; ``<name>`` is its id and must be unique in the book. Each runs in its
own process (:mod:`book.execute`) with a timeout; results are cached under
``.cache/book/`` keyed by a hash of everything that can change them. Deciding that a
snippet is cached reads files only: a build in which nothing changed imports no torch.

Switches (environment variables, also honoured by ``make site`` / ``make serve``):

``BOOK_EXECUTE=0``   no execution: use cached results only (missing ones are errors)
``BOOK_FORCE=1``     rerun every selected snippet even when its cache is valid
``BOOK_ONLY=GLOB``   run only snippets whose id matches GLOB (comma-separated globs);
                     the others come from the cache
``BOOK_TIMEOUT=SEC`` time limit of each of a snippet's processes, in seconds (default 300)
``BOOK_JOBS=N``      snippets run in parallel (default: number of cores)
``BOOK_CACHE=DIR``   cache folder (default ``.cache/book`` under the project)
``BOOK_NOTEBOOKS=0`` skip the chapters' notebooks (quicker drafts; pages lose their link)
``BOOK_FORKSERVER=0`` start each snippet as a fresh interpreter instead of forking it
                     from a server that has torch already imported (slower; same results)

``ATEN_CPU_CAPABILITY`` (PyTorch's own switch, e.g. ``default`` for its non-vectorised
kernels) is honoured too: results measured under other kernels are cached apart
(``.cache/book/kernels-<name>/``), so a second numeric backend never mixes with the first.

Each cache entry holds ``result.json`` (published), the figures and the data files of a
snippet's ``publish()`` (published) and ``seeds.json``: ``measure(seed)`` at every claim seed, which the tests and the notebooks
reuse instead of measuring again.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import fcntl
import fnmatch
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

BOOK_DIR = Path(__file__).resolve().parent
#: Files of the runner itself: a change to any of them invalidates every cache entry.
RUNNER_FILES = ("claims.py", "execute.py", "runner.py")
#: Installed packages whose version is part of every snippet's hash.
HASHED_PACKAGES = ("torch", "numpy", "matplotlib")
DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class Options:
    execute: bool = True
    force: bool = False
    only: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    jobs: int = max(1, os.cpu_count() or 1)
    cache_dir: Path | None = None
    notebooks: bool = True
    forkserver: bool = True
    #: PyTorch's CPU kernels the snippets run with: "native" (the best this CPU has) or an
    #: ATEN_CPU_CAPABILITY value such as "default" (non-vectorised).
    kernels: str = "native"
    #: Draw the figures. Off for a claims-only pass (a second numeric backend needs no figures).
    figures: bool = True

    def cache_root(self, root: Path) -> Path:
        """The cache folder for these options: kernels and claims-only passes are kept apart."""
        base = (self.cache_dir or Path(root) / ".cache" / "book").resolve()
        name = "" if self.kernels == "native" else f"kernels-{self.kernels}"
        if not self.figures:
            name = f"{name or 'native'}-claims-only"
        return base / name if name else base

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Options":
        env = os.environ if env is None else env

        def flag(name: str, default: bool) -> bool:
            raw = env.get(name, "").strip().lower()
            if not raw:
                return default
            if raw in {"1", "true", "yes", "on"}:
                return True
            if raw in {"0", "false", "no", "off"}:
                return False
            raise ValueError(f"environment variable {name}={env[name]!r} is not a yes/no value (use 1 or 0)")

        def number(name: str, default: float) -> float:
            raw = env.get(name, "").strip()
            try:
                return float(raw) if raw else default
            except ValueError:
                raise ValueError(f"environment variable {name}={raw!r} is not a number") from None

        only = tuple(p.strip() for p in env.get("BOOK_ONLY", "").split(",") if p.strip())
        cache = env.get("BOOK_CACHE", "").strip()
        return cls(
            execute=flag("BOOK_EXECUTE", True),
            force=flag("BOOK_FORCE", False),
            only=only,
            timeout=number("BOOK_TIMEOUT", DEFAULT_TIMEOUT),
            jobs=max(1, int(number("BOOK_JOBS", os.cpu_count() or 1))),
            cache_dir=Path(cache) if cache else None,
            notebooks=flag("BOOK_NOTEBOOKS", True),
            forkserver=flag("BOOK_FORKSERVER", True),
            kernels=env.get("ATEN_CPU_CAPABILITY", "").strip() or "native",
        )

    def selects(self, snippet_id: str) -> bool:
        return not self.only or any(fnmatch.fnmatchcase(snippet_id, pattern) for pattern in self.only)


@dataclass(frozen=True)
class Snippet:
    id: str
    module: str
    path: Path  # absolute

    def source_relpath(self, root: Path) -> str:
        return self.path.relative_to(root).as_posix()


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

    @property
    def ok(self) -> bool:
        return self.result is not None


def discover(root: Path) -> list[Snippet]:
    """All snippets under ``root/snippets``, sorted by id; ids must be unique."""
    package = root / "snippets"
    if not package.is_dir():
        raise FileNotFoundError(f"{package}: no snippets folder")
    found: dict[str, Snippet] = {}
    for path in sorted(package.glob("*/*.py")):
        if path.name.startswith("_"):
            continue
        snippet = Snippet(path.stem, f"snippets.{path.parent.name}.{path.stem}", path.resolve())
        if snippet.id in found:
            raise ValueError(
                f"snippet id {snippet.id!r} is used twice: {found[snippet.id].path} and {path} (ids must be unique)"
            )
        found[snippet.id] = snippet
    return [found[key] for key in sorted(found)]


# Top-level packages of this repository whose files are part of a snippet's cache key when
# it imports them: the chapters, the machinery, and the diagnosis toolkit the chapters use.
LOCAL_PACKAGES = frozenset({"snippets", "book", "gradient_flow"})


#: path → (the file's text, the local module names it imports): every snippet imports
#: snippets/common.py and the toolkit, which are parsed once per text, not once per snippet.
_IMPORTED_NAMES: dict[Path, tuple[str, frozenset[str]]] = {}


def _local_imports(path: Path, root: Path) -> set[Path]:
    """Files of this project that ``path`` imports (``snippets.*``, ``book.*``, ``gradient_flow.*``)."""
    text = path.read_text(encoding="utf-8")
    seen = _IMPORTED_NAMES.get(path)
    if seen is None or seen[0] != text:
        seen = _IMPORTED_NAMES[path] = (text, frozenset(_imported_names(path, root, text)))
    files = set()
    # Resolved every time: a module the snippet imports may have been created since.
    for name in seen[1]:
        parts = name.split(".")
        for candidate in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")):
            if candidate.is_file():
                files.add(candidate.resolve())
        # ``import snippets.a.b`` also runs the packages' __init__ files.
        for depth in range(1, len(parts)):
            init = root.joinpath(*parts[:depth], "__init__.py")
            if init.is_file():
                files.add(init.resolve())
    return files


def _imported_names(path: Path, root: Path, text: str) -> set[str]:
    """The names of this project's modules (and their members) that ``text`` imports."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError:
        return set()  # the run itself will report the syntax error
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against this file's package
                base = path.parent
                for _ in range(node.level - 1):
                    base = base.parent
                prefix = ".".join(base.relative_to(root).parts)
                module = f"{prefix}.{node.module}" if node.module else prefix
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".")[0] in LOCAL_PACKAGES}


def dependency_files(snippet: Snippet, root: Path) -> list[Path]:
    """The snippet's file and every local module it imports, transitively."""
    seen: set[Path] = set()
    todo = [snippet.path]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo.extend(_local_imports(path, root) - seen)
    return sorted(seen)


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


def _published_files(entry: Path, result: dict) -> dict[str, Path]:
    files = {f"results/{result['snippet']}.json": entry / "result.json"}
    for figure in result["figures"].values():
        for key, site_path in figure.items():
            if key != "alt":
                files[site_path] = entry / Path(site_path).name
    for name, site_path in result.get("data", {}).items():  # a snippet's publish(): see book/execute.py
        files[site_path] = entry / f"data-{name}.json"
    return files


def _load_cached(entry: Path) -> dict | None:
    try:
        result = json.loads((entry / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (entry / SEEDS_FILE).is_file() and all(path.is_file() for path in _published_files(entry, result).values()):
        return result
    return None


#: In each cache entry: {seed: measure(seed)} for every claim seed (not published).
SEEDS_FILE = "seeds.json"


def cache_entry(snippet: Snippet, root: Path, options: Options | None = None) -> Path:
    """The cache folder that holds (or will hold) this snippet's results for its current source."""
    options = options or Options.from_env()
    return options.cache_root(root) / f"{snippet.id}-{snippet_hash(snippet, root, package_versions(), options.kernels)}"


def cached_measurements(snippet: Snippet, root: Path, options: Options | None = None) -> dict[int, dict] | None:
    """``{seed: measure(seed)}`` from the cache when it matches the current source, else None."""
    path = cache_entry(snippet, Path(root).resolve(), options) / SEEDS_FILE
    try:
        return {int(seed): results for seed, results in json.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError):
        return None


#: Environment every snippet process gets (set before torch or matplotlib is imported).
CHILD_ENV = {"MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: Imported once by the fork server, so that each snippet's process starts with them loaded.
PRELOAD = ["numpy", "torch", "matplotlib", "matplotlib.pyplot"]
_fork_context = None


def _forkserver(enabled: bool = True):
    """A multiprocessing context whose server has torch, numpy and matplotlib imported.

    Each snippet still runs in a process of its own, forked from that server, so it starts
    in a fraction of a second instead of paying the imports again (about 2 s per snippet).
    The server never runs torch code, so forking it is safe. Unix only; BOOK_FORKSERVER=0
    (or another platform) falls back to a fresh ``python -m book.execute`` per snippet.
    """
    global _fork_context
    if not enabled:
        return None
    if _fork_context is None:
        import multiprocessing

        if "forkserver" not in multiprocessing.get_all_start_methods():
            return None
        from multiprocessing import forkserver

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        # The server inherits this process's environment when it starts: give it the
        # snippets' settings and the path to ``book`` (it ignores sys.path), then restore ours.
        saved = dict(os.environ)
        path = os.pathsep.join(p for p in (str(BOOK_DIR.parent), os.environ.get("PYTHONPATH", "")) if p)
        os.environ.update({**CHILD_ENV, "PYTHONPATH": path})
        try:
            forkserver.ensure_running()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        _fork_context = context
    # Each child replaces its sys.path with this process's before it unpickles its target
    # (book.runner._run_in_fork), so ``book`` must be importable from here by sys.path too.
    if str(BOOK_DIR.parent) not in sys.path:
        sys.path.append(str(BOOK_DIR.parent))
    return _fork_context


def _run_in_fork(module: str, scratch: str, paths: list[str], log_path: str, flags: list[str]) -> None:
    """Body of a forked snippet process: output to a log file, then book.execute.main."""
    descriptor = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    sys.path[:0] = paths
    os.chdir(paths[0])
    from book.execute import main

    code = main([module, scratch, *flags])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _start(
    snippet: Snippet, root: Path, scratch: Path, options: Options, flags: list[str], log_name: str
) -> tuple[int | None, str]:
    """Run one process of the snippet's job; return (exit code or None on timeout, its output)."""
    paths = [str(root), str(BOOK_DIR.parent)]
    flags = flags + ([] if options.figures else ["--no-figures"])
    timeout = options.timeout
    # The forkserver's torch was imported under this process's kernels; another choice of
    # kernels needs a fresh interpreter with ATEN_CPU_CAPABILITY set before torch loads.
    same_kernels = options.kernels == (os.environ.get("ATEN_CPU_CAPABILITY", "").strip() or "native")
    context = _forkserver(options.forkserver and same_kernels)
    if context is not None:
        log_path = scratch / log_name
        process = context.Process(
            target=_run_in_fork, args=(snippet.module, str(scratch), paths, str(log_path), flags)
        )
        process.start()
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join()
            return None, ""
        output = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
        return process.exitcode, output
    env = {**os.environ, **CHILD_ENV, "PYTHONPATH": os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])}
    if options.kernels != "native":
        env["ATEN_CPU_CAPABILITY"] = options.kernels
    else:
        env.pop("ATEN_CPU_CAPABILITY", None)
    command = [sys.executable, "-m", "book.execute", snippet.module, str(scratch), *flags]
    process = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return None, ""
    return process.returncode, output.decode(errors="replace")


def _seed_chunks(jobs: int) -> list[list[int]]:
    """The claim seeds dealt round-robin into at most ``jobs`` groups, measured in parallel."""
    from book.claims import CLAIM_SEEDS

    groups = max(1, min(jobs, len(CLAIM_SEEDS)))
    return [list(CLAIM_SEEDS[start::groups]) for start in range(groups)]


def _execute(snippet: Snippet, root: Path, entry: Path, options: Options, slots) -> tuple[dict | None, str, float]:
    """Run the snippet: its seeds in parallel processes, then one process that checks the
    claims and draws the figures. ``slots`` bounds the processes running at once.
    Returns (result, error message, seconds its processes ran in all)."""
    result, error, busy = _execute_parts(snippet, root, entry, options, slots)
    return result, error, sum(busy)


def _execute_parts(snippet, root, entry, options, slots) -> tuple[dict | None, str, list[float]]:
    scratch = Path(tempfile.mkdtemp(prefix=f".tmp-{snippet.id}-", dir=entry.parent))

    def child(flags: list[str], log_name: str) -> tuple[int | None, str]:
        # The timeout bounds each process once it runs, not the wait for a free core.
        with slots:
            start = time.perf_counter()
            try:
                return _start(snippet, root, scratch, options, flags, log_name)
            finally:
                busy.append(time.perf_counter() - start)

    busy: list[float] = []  # how long each of its processes ran: the snippet's cost

    def failure(code: int | None, output: str, error_file: Path) -> str:
        if code is None:
            return f"timed out after {options.timeout:g} s (BOOK_TIMEOUT)"
        if error_file.is_file():
            error = json.loads(error_file.read_text(encoding="utf-8"))
            return f"{error['kind']}: {error['message']}"
        return f"process exited with code {code}\n{output[-4000:]}"

    try:
        chunks = _seed_chunks(options.jobs)
        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            flags = [["--seeds", ",".join(map(str, chunk))] for chunk in chunks]
            logs = [f"output-seeds-{'-'.join(map(str, chunk))}.log" for chunk in chunks]
            done = list(pool.map(child, flags, logs))
        for chunk, (code, output) in zip(chunks, done):
            if code != 0:
                return None, failure(code, output, scratch / f"error-seeds-{'-'.join(map(str, chunk))}.json"), busy
        code, output = child(["--assemble"], "output.log")
        if code != 0 or not (scratch / "result.json").is_file():
            return None, failure(code, output, scratch / "error.json"), busy
        for log in scratch.glob("output*.log"):
            log.unlink()
        if entry.exists():
            shutil.rmtree(entry)
        scratch.rename(entry)
        return json.loads((entry / "result.json").read_text(encoding="utf-8")), "", busy
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_all(root: Path, options: Options | None = None, log=print) -> list[Outcome]:
    """Bring every snippet's results up to date; never raises for a snippet's failure.

    Holds a lock on the cache folder while it works, so that two builds (or a build and
    the tests) sharing a cache never run the same snippet twice or prune each other's files.
    """
    root = Path(root).resolve()
    options = options or Options.from_env()
    cache_dir = options.cache_root(root)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _run_all_locked(root, options, cache_dir)


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


def _run_all_locked(root: Path, options: Options, cache_dir: Path) -> list[Outcome]:
    versions = package_versions()
    outcomes: list[Outcome] = []
    to_run: list[tuple[Outcome, Path]] = []
    for snippet in discover(root):
        entry = cache_dir / f"{snippet.id}-{snippet_hash(snippet, root, versions, options.kernels)}"
        outcome = Outcome(snippet, Status.MISSING)
        outcomes.append(outcome)
        cached = _load_cached(entry)
        wanted = options.execute and options.selects(snippet.id)
        if cached is not None and not (options.force and wanted):
            outcome.status, outcome.result = Status.CACHED, cached
            outcome.files = _published_files(entry, cached)
        elif wanted:
            to_run.append((outcome, entry))
        else:
            outcome.error = _not_executed_reason(options)

    slots = threading.BoundedSemaphore(options.jobs)

    def work(item: tuple[Outcome, Path]) -> None:
        outcome, entry = item
        result, error, outcome.seconds = _execute(outcome.snippet, root, entry, options, slots)
        if result is None:
            outcome.status, outcome.error = Status.FAILED, error
        else:
            outcome.status, outcome.result = Status.RAN, result
            outcome.files = _published_files(entry, result)
            _prune_stale(cache_dir, outcome.snippet.id, keep=entry)

    # Longest first (by last build's time when known) keeps every core busy to the end; the
    # slots (one per job) are handed out in that order.
    to_run.sort(key=lambda item: -_last_seconds(cache_dir, item[0].snippet.id))
    # Threads only wait on child processes; the work happens in the children.
    with ThreadPoolExecutor(max_workers=max(1, len(to_run))) as pool:
        list(pool.map(work, to_run))
    _record_seconds(cache_dir, outcomes)
    return outcomes


TIMES_FILE = "seconds.json"


def _last_seconds(cache_dir: Path, snippet_id: str) -> float:
    try:
        return float(json.loads((cache_dir / TIMES_FILE).read_text(encoding="utf-8")).get(snippet_id, 0.0))
    except (OSError, ValueError):
        return 0.0


def _record_seconds(cache_dir: Path, outcomes: list[Outcome]) -> None:
    path = cache_dir / TIMES_FILE
    try:
        times = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        times = {}
    times.update({o.snippet.id: round(o.seconds, 2) for o in outcomes if o.status is Status.RAN})
    path.write_text(json.dumps(times, indent=1, sort_keys=True), encoding="utf-8")


def _prune_stale(cache_dir: Path, snippet_id: str, keep: Path) -> None:
    for old in cache_dir.glob(f"{snippet_id}-*"):
        # Ids contain no "-", so ``foo-*`` never matches another snippet's entries.
        if old != keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


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
    """
    argv = sys.argv[1:] if argv is None else argv
    flags = {a for a in argv if a.startswith("--")}
    unknown = flags - {"--claims-only"}
    if unknown:
        print(f"unknown option {sorted(unknown)[0]} (known: --claims-only)", file=sys.stderr)
        return 2
    positional = [a for a in argv if not a.startswith("--")]
    root = Path(positional[0]) if positional else Path.cwd()
    options = Options.from_env()
    if "--claims-only" in flags:
        options = dataclasses.replace(options, figures=False)
    outcomes = run_all(root, options)
    print(timing_table(outcomes))
    for outcome in outcomes:
        if not outcome.ok:
            print(f"\n{outcome.snippet.id} ({outcome.snippet.source_relpath(root.resolve())}): {outcome.error}")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
