"""Per-seed benchmark: prints figures, asserts nothing (budgets are read by people).

For each snippet (all of them, or the ids given), measures the process time of
``measure(seed)`` at every claim seed, in one process, under the build's determinism
settings (one thread), after one untimed call that pays each operation's first-call cost.
A new experiment's budget is 2 s of process time per seed on the 2-core machine
(``make bench`` prints each snippet's whole cost: its seeds, its claims and its figures).

    .venv/bin/python scripts/bench_seeds.py                       # every snippet
    .venv/bin/python scripts/bench_seeds.py initial_loss fp8_gradients
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from book.claims import CLAIM_SEEDS  # noqa: E402
from book.execute import load_snippet, measure_at  # noqa: E402
from book.snippets import discover  # noqa: E402

BUDGET_SECONDS = 2.0


def seconds_per_seed(module_name: str) -> list[float]:
    module = load_snippet(module_name)
    measure_at(module, CLAIM_SEEDS[0])  # warm-up: first calls of each operation
    times = []
    for seed in CLAIM_SEEDS:
        start = time.process_time()
        measure_at(module, seed)
        times.append(time.process_time() - start)
    return times


def main(ids: list[str]) -> None:
    snippets = {snippet.id: snippet for snippet in discover(REPO)}
    unknown = [i for i in ids if i not in snippets]
    if unknown:
        sys.exit(f"unknown snippet id(s): {', '.join(unknown)} (ids are the file names in snippets/<chapter>/)")
    chosen = [snippets[i] for i in ids] if ids else list(snippets.values())
    width = max(len(s.id) for s in chosen)
    print(f"process time of measure(seed), seeds {CLAIM_SEEDS[0]}–{CLAIM_SEEDS[-1]}, one thread "
          f"(budget for a new experiment: {BUDGET_SECONDS:g} s)")
    print(f"{'snippet':<{width}}  {'min':>6}  {'max':>6}")
    for snippet in chosen:
        times = seconds_per_seed(snippet.module)
        flag = "  over budget" if max(times) > BUDGET_SECONDS else ""
        print(f"{snippet.id:<{width}}  {min(times):6.2f}  {max(times):6.2f}{flag}")


if __name__ == "__main__":
    main(sys.argv[1:])
