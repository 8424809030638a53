"""The build's switches, read from the environment once and passed down.

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
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

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
