"""Sweep claims over many seeds, and under perturbations, before choosing their bounds.

``python -m book.sweep [PATTERN ...] --seeds 20`` measures every snippet whose id matches
one of the globs (default: all) at seeds 0…N−1, evaluates each claim's value, and prints
per claim: min, median and max over the seeds, the bound, and the margin — the distance
from the worst seed to the bound in units of the observed spread (max − min). A margin is
flagged THIN when the bound lies inside the observed range (a seed fails), or closer to
it than 10 % of the range.

Perturbations, to see whether a claim would hold on another machine:

``--kernels default``  PyTorch's non-vectorised CPU kernels (``ATEN_CPU_CAPABILITY=default``),
                       which differ from the AVX2/AVX-512 ones in the last bits of every float
``--threads 2``        intra-op threads (the build uses one)
``--lr-scale 1.000001`` multiply every learning-rate parameter of ``measure()`` (a float
                       parameter whose name is ``lr`` or contains ``lr``/``learning_rate``)

``--write`` records the sweep beside the snippet (``snippets/<chapter>/<id>.sweep.json``),
with the snippet file's hash and the bounds it was swept against; a test fails when the
snippet or a bound changed since, so the record cannot drift from the code.
Seeds run in parallel processes (``--jobs``, default: number of cores).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import importlib
import inspect
import json
import math
import os
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: A bound closer to the observed range than this share of the range is a thin margin.
THIN = 0.10


def source_hash(snippet_path: Path, code: str | None = None) -> str:
    """Hash of what a sweep depends on: the snippet's code without its comments, docstrings'
    layout, ``plot()``, ``publish()`` (the page's data files, reshaped from the results) with
    the constants it alone uses, a claim's statement (its words) and what a claim shows beside
    its checked number (``shows=``): a figure, a data file, a comment, a sentence or a
    displayed quantity can change without a new sweep; a change to measure(), a helper or a
    claim's value or bounds cannot. ``code`` is the snippet's source, if not read from
    ``snippet_path``."""
    import ast

    tree = ast.parse(snippet_path.read_text(encoding="utf-8") if code is None else code)

    def names_used(nodes) -> set:
        return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}

    def assigned(node) -> set:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        return {t.id for t in targets if isinstance(t, ast.Name)}

    def is_function(node, *names) -> bool:
        return isinstance(node, ast.FunctionDef) and node.name in names

    publish = [node for node in tree.body if is_function(node, "publish")]
    tree.body = [node for node in tree.body if not is_function(node, "plot", "publish")]

    def publish_alone_uses(node) -> bool:
        names = assigned(node) if isinstance(node, (ast.Assign, ast.AnnAssign)) else set()
        others = [other for other in tree.body if other is not node]
        return bool(names) and names <= names_used(publish) and not names & names_used(others)

    tree.body = [node for node in tree.body if not publish_alone_uses(node)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Claim":
            node.keywords = [k for k in node.keywords if k.arg not in ("shows", "statement")]
            if len(node.args) >= 2:
                node.args[1] = ast.Constant("")
    return hashlib.sha256(ast.unparse(tree).encode("utf-8")).hexdigest()[:20]


def _scaled_learning_rates(module, scale: float) -> dict:
    """measure() keyword arguments with every learning-rate default multiplied by ``scale``."""
    if scale == 1.0:
        return {}
    kwargs = {}
    for name, parameter in inspect.signature(module.measure).parameters.items():
        lowered = name.lower()
        if not ("lr" in lowered.split("_") or "lr" == lowered or "learning_rate" in lowered):
            continue
        default = parameter.default
        if isinstance(default, float):
            kwargs[name] = default * scale
        elif isinstance(default, (tuple, list)) and all(isinstance(v, float) for v in default):
            kwargs[name] = type(default)(v * scale for v in default)
    return kwargs


def _measure_claims(module_name: str, seed: int, threads: int, lr_scale: float) -> dict:
    """In a worker process: measure at ``seed`` and return every claim's value."""
    from book.claims import validate_claims
    from book.execute import SnippetError, measure_at

    module = importlib.import_module(module_name)
    try:
        results = measure_at(module, seed, threads, **_scaled_learning_rates(module, lr_scale))
    except SnippetError as exc:
        return {"error": str(exc)}
    values = {}
    for claim in validate_claims(module_name, module.CLAIMS):
        try:
            values[claim.id] = claim.measure(results)
        except Exception as exc:  # noqa: BLE001 - reported per claim
            values[claim.id] = f"error: {exc}"
    return {"values": values}


def summarise(claim, values: list) -> dict:
    """min/median/max, holds-count and margin of one claim over the swept seeds."""
    holds = sum(1 for v in values if not isinstance(v, str) and claim.holds(v))
    row = {"claim": claim.id, "check": claim.check, "seeds": len(values), "holds": holds}
    numbers = [v for v in values if not isinstance(v, str)]
    errors = [v for v in values if isinstance(v, str)]
    if errors:
        row["errors"] = errors[:3]
    if numbers and all(isinstance(v, bool) for v in numbers):
        row.update(kind="bool", true=sum(numbers), thin=holds < len(values))
        return row
    if not numbers:
        row.update(kind="error", thin=True)
        return row
    low, high = min(numbers), max(numbers)
    spread = high - low
    row.update(kind="number", min=low, median=statistics.median(numbers), max=high)
    margins = []
    if claim.at_least is not None:
        margins.append(low - claim.at_least)
    if claim.at_most is not None:
        margins.append(claim.at_most - high)
    margin = min(margins)
    row["margin"] = margin
    if claim.is_count and spread == 0 and margin == 0 and (claim.at_most == 0 or claim.at_least == claim.out_of):
        # "none of K runs" / "all K runs": exact by design; thin only if some run broke it.
        row.update(margin_in_spreads=float("inf"), thin=False, exact=f"{len(values) * claim.out_of} runs, no exception")
        return row
    if spread == 0 and margin == 0:
        # An exact value sitting on its bound at every seed (a mathematical maximum, "no wrong
        # verdict"): exact by design, listed as such rather than as a thin margin.
        row.update(margin_in_spreads=float("inf"), thin=False, exact="the value equals its bound at every seed")
        return row
    bounds = [b for b in (claim.at_least, claim.at_most) if b is not None]
    if low > 0 and all(b > 0 for b in bounds) and high / low >= 4:
        # A positive quantity spread over a factor of 4 or more (a ratio of gradients, a growth
        # factor): its margins are judged in decades, not in units.
        log_margins = []
        if claim.at_least is not None:
            log_margins.append(math.log10(low / claim.at_least))
        if claim.at_most is not None:
            log_margins.append(math.log10(claim.at_most / high))
        log_margin, log_spread = min(log_margins), math.log10(high / low)
        row.update(margin_in_spreads=log_margin / log_spread, scale="decades",
                   thin=log_margin < 0 or log_margin < THIN * log_spread)
        return row
    row["margin_in_spreads"] = (margin / spread) if spread > 0 else (float("inf") if margin >= 0 else float("-inf"))
    row["thin"] = margin < 0 or (spread > 0 and margin < THIN * spread) or (spread == 0 and margin == 0)
    return row


def _format(claim, value) -> str:
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "∞" if value > 0 else "−∞"
    if claim.is_count:  # a median of counts can fall between two counts
        return f"{value:g}"
    return claim.format_value(value)


def format_rows(snippet_id: str, claims: dict, rows: list[dict]) -> list[str]:
    lines = [snippet_id]
    for row in rows:
        claim = claims[row["claim"]]
        flag = "  THIN" if row["thin"] else ""
        if row["kind"] == "bool":
            lines.append(f"  {row['claim']}: true at {row['true']} of {row['seeds']} seeds ({row['check']}){flag}")
        elif row["kind"] == "error":
            lines.append(f"  {row['claim']}: {row['errors'][0]}{flag}")
        else:
            spreads = row["margin_in_spreads"]
            spreads_text = "∞" if spreads == float("inf") else f"{spreads:.2f}"
            lines.append(
                f"  {row['claim']}: min {_format(claim, row['min'])}  median {_format(claim, row['median'])}  "
                f"max {_format(claim, row['max'])}  | {row['check']}  | margin {_format(claim, row['margin'])} "
                f"= {spreads_text} × spread{' (in decades)' if row.get('scale') == 'decades' else ''}  "
                f"({row['holds']}/{row['seeds']} hold){flag}"
                + (f"  [exact: {row['exact']}]" if row.get("exact") else "")
            )
        if row.get("errors") and row["kind"] != "error":
            lines.append(f"    errors: {row['errors'][0]}")
    return lines


def main(argv: list[str] | None = None) -> int:
    from book.claims import validate_claims
    from book.snippets import discover

    parser = argparse.ArgumentParser(prog="python -m book.sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("patterns", nargs="*", default=["*"], help="snippet id globs (default: all)")
    parser.add_argument("--seeds", type=int, default=20, help="sweep seeds 0…N−1 (default 20)")
    parser.add_argument("--kernels", default="native", help="'native' (default) or an ATEN_CPU_CAPABILITY value, e.g. 'default'")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1, as in the build)")
    parser.add_argument("--lr-scale", type=float, default=1.0, help="multiply learning-rate parameters (e.g. 1.000001)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel processes")
    parser.add_argument("--write", action="store_true", help="record the sweep beside each snippet (.sweep.json)")
    parser.add_argument("--json", type=Path, help="also write every row to this JSON file")
    parser.add_argument("--recorded", action="store_true",
                        help="measure nothing: summarise the recorded sweeps (.sweep.json) against the current bounds")
    args = parser.parse_args(argv)
    perturbed = args.kernels != "native" or args.threads != 1 or args.lr_scale != 1.0
    if args.write and perturbed:
        parser.error("--write records the unperturbed sweep only (drop --kernels/--threads/--lr-scale)")

    sys.path.insert(0, str(ROOT))
    snippets = [s for s in discover(ROOT) if any(fnmatch.fnmatchcase(s.id, p) for p in args.patterns)]
    if not snippets:
        print(f"no snippet id matches {args.patterns}", file=sys.stderr)
        return 2
    if args.recorded:
        return _summarise_recorded(snippets)
    from book.processes import fork_context

    context = fork_context(args.kernels)
    if context is None:
        print("the sweep needs multiprocessing's forkserver start method (Unix)", file=sys.stderr)
        return 2
    seeds = list(range(args.seeds))
    setting = f"seeds 0–{args.seeds - 1}, kernels {args.kernels}, threads {args.threads}, lr × {args.lr_scale!r}"
    print(f"Sweeping {len(snippets)} snippet(s): {setting}\n")
    thin, everything = [], {}
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
        futures = {
            (s.id, seed): pool.submit(_measure_claims, s.module, seed, args.threads, args.lr_scale)
            for s in snippets
            for seed in seeds
        }
        for snippet in snippets:
            module = importlib.import_module(snippet.module)
            claims = {c.id: c for c in validate_claims(snippet.id, module.CLAIMS)}
            outcomes = [futures[(snippet.id, seed)].result() for seed in seeds]
            failed = [(seed, o["error"]) for seed, o in zip(seeds, outcomes) if "error" in o]
            if failed:
                print(f"{snippet.id}: seed {failed[0][0]}: {failed[0][1]}")
                thin.append(f"{snippet.id} (measure failed)")
                continue
            rows = [summarise(claim, [o["values"][cid] for o in outcomes]) for cid, claim in claims.items()]
            print("\n".join(format_rows(snippet.id, claims, rows)), flush=True)
            thin += [f"{snippet.id}:{r['claim']}" for r in rows if r["thin"]]
            everything[snippet.id] = rows
            if args.write:
                record = {
                    "snippet": snippet.id,
                    "source_sha256": source_hash(snippet.path),
                    "seeds": args.seeds,
                    "setting": setting,
                    "claims": {
                        row["claim"]: {**row, "at_least": claims[row["claim"]].at_least,
                                       "at_most": claims[row["claim"]].at_most}
                        for row in rows
                    },
                    "values": {cid: [o["values"][cid] for o in outcomes] for cid in claims},
                }
                text = json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=True)
                snippet.sweep_path.write_text(text + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1, allow_nan=True), encoding="utf-8")
    print()
    if thin:
        print(f"THIN margins ({len(thin)}): " + ", ".join(thin))
    else:
        print("No thin margin: every bound clears the observed range by at least 10 % of it.")
    return 1 if thin else 0


def _summarise_recorded(snippets) -> int:
    from book.claims import validate_claims

    thin, missing = [], []
    for snippet in snippets:
        path = snippet.sweep_path
        if not path.is_file():
            missing.append(snippet.id)
            continue
        record = json.loads(path.read_text(encoding="utf-8"))
        claims = {c.id: c for c in validate_claims(snippet.id, importlib.import_module(snippet.module).CLAIMS)}
        rows = [summarise(claims[cid], values) for cid, values in record["values"].items() if cid in claims]
        stale = "" if record["source_sha256"] == source_hash(snippet.path) else "  (STALE: the code changed since)"
        print("\n".join(format_rows(snippet.id + stale, claims, rows)))
        thin += [f"{snippet.id}:{r['claim']}" for r in rows if r["thin"]]
    print()
    if missing:
        print(f"No recorded sweep ({len(missing)}): " + ", ".join(missing))
    print(f"THIN margins ({len(thin)}): " + ", ".join(thin) if thin else "No thin margin.")
    return 1 if thin or missing else 0


if __name__ == "__main__":
    sys.exit(main())
