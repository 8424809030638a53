"""What a person waiting on the snippets sees: a progress line while they run, a summary after.

On a terminal one line is rewritten in place every second (snippets done of those to run, the
ones running, the time so far and an estimate from the last build's timings); elsewhere (a
log, CI) one line per finished snippet. Nothing is printed when nothing runs: a warm build is
silent.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import Callable, TextIO

PREFIX = "[book]"


def clock_time(seconds: float) -> str:
    """``73.4`` → ``1:13``."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Progress of one run of the snippets (:func:`book.runner.run_all`)."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None, interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.interval = interval
        self.clock = clock
        self.lock = threading.Lock()
        self.total = 0
        self.done = 0
        self.failed = 0
        self.running: list[str] = []
        self.estimate: float | None = None  # wall seconds the whole run should take
        self.started_at = 0.0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def begin(self, snippet_ids: list[str], last_seconds: dict[str, float], jobs: int) -> None:
        """Start reporting on ``snippet_ids``; ``last_seconds`` is each snippet's process time at
        its last build (its processes share ``jobs`` cores), the basis of the estimate."""
        self.total, self.started_at = len(snippet_ids), self.clock()
        if not snippet_ids:
            return
        known = [last_seconds[i] for i in snippet_ids if i in last_seconds]
        if len(known) == len(snippet_ids):
            self.estimate = sum(known) / max(1, jobs)
        planned = f"{self.total} snippet{'s' if self.total != 1 else ''} to run"
        guess = f", about {clock_time(self.estimate)} (last build's timings)" if self.estimate else ""
        self._write(f"{PREFIX} {planned}{guess}", end="\n")
        if self.live:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def started(self, snippet_id: str) -> None:
        """A process of ``snippet_id`` got a core (its others may follow: counted once)."""
        with self.lock:
            if snippet_id not in self.running:
                self.running.append(snippet_id)

    def finished(self, snippet_id: str, ok: bool, seconds: float) -> None:
        with self.lock:
            if snippet_id in self.running:
                self.running.remove(snippet_id)
            self.done += 1
            self.failed += not ok
            if not self.live:
                verdict = "ran" if ok else "FAILED"
                self._write(f"{PREFIX} {self.done}/{self.total} {snippet_id} {verdict} "
                            f"({seconds:.1f} s of process time), {clock_time(self.elapsed())} so far", end="\n")
            else:
                self._write(self.line(), end="\r")

    def end(self, cached: int) -> None:
        """Stop the live line and print the summary (nothing if nothing ran)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if not self.total:
            return
        failed = f", {self.failed} failed" if self.failed else ""
        self._write(f"{PREFIX} {self.done} snippet{'s' if self.done != 1 else ''} ran in "
                    f"{clock_time(self.elapsed())}{failed}; {cached} from the cache", end="\n")

    def elapsed(self) -> float:
        return self.clock() - self.started_at

    def line(self) -> str:
        """The live line, e.g. ``[book] 3/38 done · running explorer_grid, lstm_gates · 0:42 · about 1:10 left``."""
        parts = [f"{PREFIX} {self.done}/{self.total} done"]
        if self.running:
            parts.append("running " + ", ".join(self.running))
        parts.append(clock_time(self.elapsed()))
        if self.estimate is not None:
            left = self.estimate - self.elapsed()
            parts.append(f"about {clock_time(left)} left" if left > 0 else "taking longer than last time")
        return " · ".join(parts)

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            with self.lock:
                self._write(self.line(), end="\r")

    def _write(self, text: str, end: str) -> None:
        if self.live:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            text = text[:width].ljust(width)  # overwrite the last line to its end
        self.stream.write(text + end)
        self.stream.flush()
