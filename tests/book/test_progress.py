"""The progress shown while snippets run: silent when nothing runs, honest estimates."""

from __future__ import annotations

import io

from book.progress import Progress, clock_time


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_to_run_prints_nothing():
    stream = io.StringIO()
    progress = Progress(stream, live=False)
    progress.begin([], {"a": 3.0}, jobs=2)
    progress.end(cached=38)
    assert stream.getvalue() == ""


def test_a_log_gets_one_line_per_snippet_and_a_summary():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, live=False, clock=clock)
    progress.begin(["slow", "fast"], {"slow": 80.0, "fast": 40.0}, jobs=2)
    progress.started("slow")
    progress.started("fast")
    progress.started("slow")  # its second process: counted once
    assert progress.running == ["slow", "fast"]
    clock.now += 25
    progress.finished("fast", True, 40.0)
    clock.now += 40
    progress.finished("slow", False, 80.0)
    progress.end(cached=36)
    lines = stream.getvalue().splitlines()
    assert lines == [
        "[book] 2 snippets to run, about 1:00 (last build's timings)",
        "[book] 1/2 fast ran (40.0 s of process time), 0:25 so far",
        "[book] 2/2 slow FAILED (80.0 s of process time), 1:05 so far",
        "[book] 2 snippets ran in 1:05, 1 failed; 36 from the cache",
    ]


def test_the_live_line_names_what_runs_and_what_is_left():
    clock = Clock()
    progress = Progress(io.StringIO(), live=False, clock=clock)
    progress.begin(["a", "b", "c"], {"a": 30.0, "b": 30.0, "c": 60.0}, jobs=2)
    progress.started("a")
    clock.now += 20
    assert progress.line() == "[book] 0/3 done · running a · 0:20 · about 0:40 left"
    clock.now += 60
    assert progress.line().endswith("taking longer than last time")


def test_no_estimate_without_every_snippets_last_time():
    progress = Progress(io.StringIO(), live=False, clock=Clock())
    progress.begin(["new", "old"], {"old": 10.0}, jobs=2)
    assert progress.estimate is None and "left" not in progress.line()


def test_clock_time():
    assert [clock_time(s) for s in (0, 59.6, 73.4, 3600)] == ["0:00", "1:00", "1:13", "60:00"]
