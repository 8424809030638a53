"""Run one snippet as a script: ``python -m snippets.<chapter>.<name> [--seed N] [--out DIR]``.

Measures at the given seed, prints every claim's verdict and writes the figures
(light and dark variants, SVG) to DIR (default ``figures/``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from types import ModuleType

from book.claims import BUILD_SEED, validate_claims
from book.execute import measure_at, save_figures


def main(module: ModuleType, argv: list[str] | None = None) -> int:
    name = module.__spec__.name if module.__spec__ else module.__name__
    snippet_id = name.rsplit(".", 1)[-1]
    parser = argparse.ArgumentParser(prog=f"python -m {name}", description=(module.__doc__ or "").strip())
    parser.add_argument("--seed", type=int, default=BUILD_SEED, help="random seed (default: the build's)")
    parser.add_argument("--out", type=Path, default=Path("figures"), help="folder for the figures")
    parser.add_argument("--json", action="store_true", help="also print the measured results as JSON")
    args = parser.parse_args(argv)

    results = measure_at(module, args.seed)
    if args.json:
        print(json.dumps(results, indent=1))
    failed = 0
    for claim in validate_claims(name, getattr(module, "CLAIMS", None)):
        verdict = claim.evaluate(results, args.seed)
        failed += not verdict.passed
        print(verdict.describe(snippet_id))
    args.out.mkdir(parents=True, exist_ok=True)
    for figure in save_figures(module, snippet_id, results, args.out).values():
        print(f"wrote {args.out / Path(figure['light']).name} and {args.out / Path(figure['dark']).name}")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover - use the snippet's own entry point
    sys.exit("run a snippet instead: python -m snippets.<chapter>.<name>")
