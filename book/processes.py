"""Starting the processes that run snippets: one fork server, shared by the build and the sweep.

Each snippet (and each seed of a sweep) runs in a process of its own, forked from a server
that has torch, NumPy and matplotlib imported, so that it starts in a fraction of a second
instead of paying the imports again (about 2 s each). The server never runs torch code, so
forking it is safe. Unix only; without it (or with BOOK_FORKSERVER=0) a snippet runs as a
fresh ``python -m book.execute``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from book.options import Options
from book.snippets import Snippet

BOOK_DIR = Path(__file__).resolve().parent
#: Environment every snippet process gets (set before torch or matplotlib is imported).
CHILD_ENV = {"MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: Imported once by the fork server, so that each process starts with them loaded.
#: Imported once by the fork server, so that no snippet process pays for them. The last is
#: what ``torch.use_deterministic_algorithms`` imports on its first call (with sympy): about
#: a second per process otherwise.
PRELOAD = ["numpy", "torch", "matplotlib", "matplotlib.pyplot", "torch._inductor.config"]

_server: tuple[str, object] | None = None  # (its kernels, its multiprocessing context)


def current_kernels() -> str:
    """The kernels this process's torch uses (or would use): its ATEN_CPU_CAPABILITY, else native."""
    return os.environ.get("ATEN_CPU_CAPABILITY", "").strip() or "native"


def child_environment(kernels: str, paths: list[str], base: dict | None = None) -> dict:
    """A snippet process's environment: the fixed settings, the project on its path, the kernels."""
    env = {**(os.environ if base is None else base), **CHILD_ENV}
    env["PYTHONPATH"] = os.pathsep.join(p for p in [*paths, env.get("PYTHONPATH", "")] if p)
    if kernels != "native":
        env["ATEN_CPU_CAPABILITY"] = kernels
    else:
        env.pop("ATEN_CPU_CAPABILITY", None)
    return env


def fork_context(kernels: str = "native"):
    """The multiprocessing context of this process's fork server, started on first use.

    A process has one server, whose torch is imported under the kernels of its first use;
    a request for other kernels (or a platform without forkserver) returns None, and the
    caller starts a fresh interpreter instead.
    """
    global _server
    if _server is None:
        import multiprocessing

        if "forkserver" not in multiprocessing.get_all_start_methods():
            return None
        from multiprocessing import forkserver

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        # The server inherits this process's environment when it starts (and ignores
        # sys.path): give it the snippets' settings, then restore ours.
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(child_environment(kernels, [str(BOOK_DIR.parent)], saved))
        try:
            forkserver.ensure_running()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        _server = (kernels, context)
    # Each child replaces its sys.path with this process's before it unpickles its target,
    # so ``book`` must be importable from here by sys.path too.
    if str(BOOK_DIR.parent) not in sys.path:
        sys.path.append(str(BOOK_DIR.parent))
    return _server[1] if _server[0] == kernels else None


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


def run_snippet_process(
    snippet: Snippet, root: Path, scratch: Path, options: Options, flags: list[str], log_name: str
) -> tuple[int | None, str]:
    """Run one process of the snippet's job; return (exit code or None on timeout, its output)."""
    paths = [str(root), str(BOOK_DIR.parent)]
    flags = flags + ([] if options.figures else ["--no-figures"])
    timeout = options.timeout
    # The server's torch was imported under the kernels of this process; other kernels need a
    # fresh interpreter with ATEN_CPU_CAPABILITY set before torch loads.
    context = fork_context(options.kernels) if options.forkserver and options.kernels == current_kernels() else None
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
    env = child_environment(options.kernels, paths)
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
