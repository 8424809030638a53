"""Run one snippet in this process and write its results and figures.

Invoked by :mod:`book.runner` as ``python -m book.execute MODULE OUT_DIR [--no-figures]``,
one process per snippet, so a crash, a leak or a global torch setting in one snippet
cannot touch another. Writes ``OUT_DIR/result.json``, ``OUT_DIR/seeds.json`` (the results
at every claim seed, reused by the tests and the notebooks), the figures and the data files
a page's script reads (a snippet's optional ``publish``) on success; on failure writes ``OUT_DIR/error.json`` ({"kind", "message"}) and exits 1.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import io
import json
import math
import os
import random
import re
import sys
import traceback
from pathlib import Path
from typing import Any

from book import cache
from book.claims import BUILD_SEED, CLAIM_SEEDS, setup_of, validate_claims

#: Module providing ``theme_rc(theme) -> dict`` (matplotlib rcParams per site palette).
STYLE_MODULE = "snippets.common"
THEMES = ("light", "dark")


class SnippetError(Exception):
    """A snippet broke the contract; ``kind`` says how."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def make_deterministic(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    # One thread: reduction order, and so the last bits of every float, then do not
    # depend on how many cores the machine has.
    torch.set_num_threads(1)


def nonfinite_paths(value: Any, path: str = "") -> list[str]:
    """Key paths in a results tree whose value is NaN or ±inf, or not JSON data."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, (int, float)):
        return [] if math.isfinite(value) else [f"{path or '<root>'} = {value}"]
    if isinstance(value, dict):
        bad = []
        for key, item in value.items():
            if not isinstance(key, str):
                bad.append(f"{path}.{key!r} (keys must be strings)")
            bad += nonfinite_paths(item, f"{path}.{key}" if path else key)
        return bad
    if isinstance(value, (list, tuple)):
        bad = []
        for index, item in enumerate(value):
            bad += nonfinite_paths(item, f"{path}[{index}]")
        return bad
    return [f"{path or '<root>'} is a {type(value).__name__}, not a plain number, string, list or dict"]


def load_snippet(module_name: str):
    module = importlib.import_module(module_name)
    for name in ("measure", "plot"):
        if not callable(getattr(module, name, None)):
            raise SnippetError("interface", f"{module_name} has no function {name}()")
    if not (module.__doc__ or "").strip():
        raise SnippetError("interface", f"{module_name} has no docstring (its first line is the title)")
    try:
        validate_claims(module_name, getattr(module, "CLAIMS", None))
    except (TypeError, ValueError) as exc:
        raise SnippetError("interface", str(exc)) from exc
    return module


def measure_at(module, seed: int, threads: int = 1, **overrides) -> dict:
    """measure(seed=seed, **overrides) under the build's determinism settings, checked to be
    JSON data with finite numbers. ``threads`` (the sweep's perturbation) sets torch's
    intra-op threads after the settings have set one."""
    make_deterministic(seed)
    if threads != 1:
        import torch

        torch.set_num_threads(threads)
    results = module.measure(seed=seed, **overrides)
    if not isinstance(results, dict):
        raise SnippetError("interface", f"measure() returned {type(results).__name__}, not a dict")
    bad = nonfinite_paths(results)
    if bad:
        raise SnippetError("nonfinite", f"measure(seed={seed}) returned non-finite values: " + "; ".join(bad[:5]))
    return results


def keep_mathtext_parses() -> None:
    """Make matplotlib parse each math text (``$10^{3}$``: every log axis's tick labels) once per
    process. It keeps its last 50 parses only, and apart for each renderer, while a figure is laid
    out with several renderers, several times, at two resolutions: most of the parsing was the
    same text again. A parse depends on its arguments and the parser's output type alone, so
    the kept one is the same; a matplotlib without this private method is left as it is."""
    from matplotlib.mathtext import MathTextParser

    parse = MathTextParser.__dict__.get("_parse_cached")
    parse_once = getattr(parse, "__wrapped__", None)
    if parse_once is None or getattr(parse, "kept", False):
        return
    kept: dict = {}

    def parse_kept(self, s, dpi, prop, antialiased, load_glyph_flags):
        key = (self._output_type, s, dpi, prop, antialiased, load_glyph_flags)
        if key not in kept:
            kept[key] = parse_once(self, s, dpi, prop, antialiased, load_glyph_flags)
        return kept[key]

    parse_kept.kept = True
    MathTextParser._parse_cached = parse_kept


def keep_text_metrics() -> None:
    """Make matplotlib measure each text once per process for each kind of renderer. It keeps
    the sizes apart for each renderer, and every savefig makes two, every change of a figure's
    size another: the same texts were measured again and again. A size depends on the text, its
    font, the renderer's kind and resolution and the hinting alone, so the kept one is the
    same; a matplotlib without this private function is left as it is."""
    import matplotlib
    import matplotlib.text

    measure = getattr(matplotlib.text, "_get_text_metrics_with_cache", None)
    if measure is None or getattr(measure, "kept", False):
        return
    kept: dict = {}

    def measure_kept(renderer, text, fontprop, ismath, dpi):
        inner = getattr(renderer, "_renderer", renderer)  # a MixedModeRenderer draws with another
        key = (type(renderer), type(inner), getattr(inner, "dpi", None), matplotlib.rcParams["text.hinting"],
               matplotlib.rcParams["text.hinting_factor"], text, fontprop.copy(), ismath, dpi)
        if key not in kept:
            kept[key] = measure(renderer, text, fontprop, ismath, dpi)
        return kept[key]

    measure_kept.kept = True
    matplotlib.text._get_text_metrics_with_cache = measure_kept


def save_figures(module, snippet_id: str, results: dict, out_dir: Path) -> dict:
    """Draw the snippet's figures for every palette in THEMES; return {name: {alt, light, dark}}.

    When the house style offers ``recolour_svg(svg, theme)`` (the palettes differ only in the
    colours of text, axes and grid), each figure is drawn once, in the light palette, and the
    other palettes are recoloured copies: half the drawing time, the same picture.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keep_mathtext_parses()
    keep_text_metrics()
    try:
        style = importlib.import_module(STYLE_MODULE)
    except ImportError:
        style = None
    theme_rc = getattr(style, "theme_rc", lambda theme: {})  # a project without a house style
    recolour = getattr(style, "recolour_svg", None)
    # The house style may lay figures out for a phone too: each figure is then drawn a second
    # time that way, and published beside the desktop one (pages serve it to narrow screens).
    layouts = {"": contextlib.nullcontext}
    if hasattr(style, "phone_layout"):
        layouts["phone"] = style.phone_layout

    figures: dict[str, dict] = {}
    for (layout, laid_out), theme in itertools.product(layouts.items(), THEMES if recolour is None else THEMES[:1]):
        with plt.rc_context({**theme_rc(theme), "svg.hashsalt": "vanishing-gradients"}), laid_out():
            drawn = module.plot(results)
            if not isinstance(drawn, dict) or not drawn:
                raise SnippetError(
                    "interface",
                    "plot() must return a non-empty dict {name: (figure, alt_text)}, e.g. "
                    "return {\"profile\": (fig, \"A sentence saying what the figure shows.\")}",
                )
            for name, item in drawn.items():
                if not (isinstance(item, tuple) and len(item) == 2 and str(item[1]).strip()):
                    raise SnippetError(
                        "interface",
                        f"plot()['{name}'] must be (figure, non-empty alt text): return "
                        f"{{'{name}': (fig, \"A sentence saying what the figure shows.\")}}; the alt text "
                        "describes the figure for readers who cannot see it",
                    )
                figure, alt = item
                if layout == "phone" and hasattr(style, "fit_to_phone"):
                    style.fit_to_phone(figure)
                buffer = io.BytesIO()
                # Date=None keeps a timestamp out of the file: two builds give the same bytes.
                figure.savefig(buffer, format="svg", metadata={"Date": None})
                plt.close(figure)
                svg = buffer.getvalue().decode("utf-8")
                variants = {theme: svg} if recolour is None else {t: recolour(svg, t) for t in THEMES}
                for variant, text in variants.items():
                    suffix = ("" if variant == "light" else f".{variant}")
                    suffix = f".{layout}{suffix}" if layout else suffix
                    filename = f"{snippet_id}-{name}{suffix}.svg"
                    (out_dir / filename).write_text(text, encoding="utf-8")
                    key = f"{layout}_{variant}" if layout else variant  # light, dark, phone_light, phone_dark
                    figures.setdefault(name, {"alt": str(alt).strip()})[key] = f"figures/{filename}"
    return figures


#: A data file's name: it becomes part of the file's address (results/<snippet>/<name>.json).
DATA_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def save_data(module, snippet_id: str, results: dict, out_dir: Path) -> dict:
    """The snippet's optional ``publish(results) -> {name: JSON value}``: files a page's script
    fetches (a large result split so that a page loads only what it shows first), written
    compactly as ``data-<name>.json``; returns {name: site path} (``results/<snippet>/<name>.json``)."""
    publish = getattr(module, "publish", None)
    if publish is None:
        return {}
    files = publish(results)
    if not isinstance(files, dict) or not files:
        raise SnippetError("interface", "publish(results) must return a non-empty dict {name: JSON value}")
    published = {}
    for name, value in files.items():
        if not isinstance(name, str) or not DATA_NAME.match(name):
            raise SnippetError(
                "interface",
                f"publish(): data file name {name!r} must be lowercase letters, digits, '_', '-' or '.'",
            )
        try:
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise SnippetError(
                "interface" if isinstance(error, TypeError) else "nonfinite",
                f"publish()['{name}'] cannot be written as JSON ({error}): give plain numbers, strings, "
                "lists and dicts, and no NaN or infinity",
            ) from None
        (out_dir / cache.data_file(name)).write_text(text + "\n", encoding="utf-8")
        published[name] = f"results/{snippet_id}/{name}.json"
    return published


def seed_file(out_dir: Path, seed: int) -> Path:
    return out_dir / cache.seed_file(seed)


def measure_seed(module, seed: int, out_dir: Path) -> None:
    """measure(seed) written to ``seed-<seed>.json``, through JSON as every later reader sees it
    (same values, and the same key order as measure() returned them)."""
    seed_file(out_dir, seed).write_text(to_json(measure_at(module, seed), sort=False) + "\n", encoding="utf-8")


def assemble_from_files(module, out_dir: Path, figures: bool = True, first_seed_only: bool = False) -> dict:
    """Claims and figures from the seed files; writes ``seeds.json`` (all seeds, kept in the cache).

    ``first_seed_only``: a provisional record from the build seed alone (``mkdocs serve``
    shows it while the other seeds run); its seed file stays, for the full run to reuse."""
    seeds = (BUILD_SEED,) if first_seed_only else CLAIM_SEEDS
    results_by_seed = {seed: json.loads(seed_file(out_dir, seed).read_text(encoding="utf-8")) for seed in seeds}
    record = assemble(module, results_by_seed, out_dir, figures=figures)
    if first_seed_only:
        return record | {"provisional": True}
    all_seeds = to_json({str(seed): results for seed, results in results_by_seed.items()}, sort=False)
    (out_dir / cache.SEEDS_FILE).write_text(all_seeds + "\n", encoding="utf-8")
    for seed in CLAIM_SEEDS:
        seed_file(out_dir, seed).unlink()
    return record


def to_json(value, sort: bool = True) -> str:
    return json.dumps(value, indent=1, sort_keys=sort, allow_nan=False, ensure_ascii=False)


def assemble(module, results_by_seed: dict[int, dict], out_dir: Path, figures: bool = True) -> dict:
    """Check the claims at every seed, draw the figures into ``out_dir``, return the record.

    Separate from measuring so that the tests can rebuild a published record from their
    own measurements and compare it byte for byte.
    """
    module_name = module.__name__
    snippet_id = module_name.rsplit(".", 1)[-1]
    claims = validate_claims(module_name, module.CLAIMS)
    verdicts = [claim.evaluate(results, seed) for claim in claims for seed, results in results_by_seed.items()]
    setup = setup_of(snippet_id, module.__file__)  # what the statements quote as [[setup.NAME]]
    failed = [v.describe(snippet_id, setup) for v in verdicts if not v.passed]
    if failed:
        raise SnippetError("claim", "\n".join(failed))

    results = results_by_seed[BUILD_SEED]
    statements = {claim.id: stated(snippet_id, setup, claim, results_by_seed) for claim in claims}
    drawn = save_figures(module, snippet_id, results, out_dir) if figures else {}
    data = save_data(module, snippet_id, results, out_dir)

    import matplotlib
    import numpy
    import torch

    record = {
        "snippet": snippet_id,
        "module": module_name,
        "source": module_name.replace(".", "/") + ".py",
        "title": module.__doc__.strip().splitlines()[0].strip(),
        "build_seed": BUILD_SEED,
        "results": results,
        "claims": [
            {
                "id": claim.id,
                "statement": statements[claim.id],
                "check": claim.check,
                "at_least": claim.at_least,
                "at_most": claim.at_most,
                "fmt": claim.fmt,
                "out_of": claim.out_of,
                "values": {str(v.seed): v.value for v in verdicts if v.claim is claim},
                "formatted": {str(v.seed): claim.format_value(v.value) for v in verdicts if v.claim is claim},
                "shows": claim.shows.describe(results_by_seed[BUILD_SEED]) if claim.shows else None,
                "passed": True,
            }
            for claim in claims
        ],
        "figures": drawn,
        # What the notebook's measure cell prints at the build seed (the notebook shows it).
        "printed": [v.describe(snippet_id, setup) for v in verdicts if v.seed == BUILD_SEED],
        "versions": {"torch": torch.__version__, "numpy": numpy.__version__, "matplotlib": matplotlib.__version__},
    }
    if data:  # only snippets that publish data files: the others' records stay as they were
        record["data"] = data
    return record


def stated(snippet_id: str, setup, claim, results_by_seed: dict[int, dict]) -> str:
    """The claim's statement with its fields filled; a field that cannot be filled, or a quoted
    result that differs between the claim seeds (a statement is one sentence for all), is refused."""
    from book.claims import RESULTS_FIELD, result_value, statement_fields

    try:
        for key in statement_fields(claim.statement):
            if key.startswith(RESULTS_FIELD):
                values = {seed: result_value(results, key[len(RESULTS_FIELD):]) for seed, results in results_by_seed.items()}
                if len(set(map(repr, values.values()))) > 1:
                    raise ValueError(
                        f"claim {claim.id!r}: the statement quotes [[{key}]], which differs between the claim seeds "
                        f"({', '.join(f'seed {s}: {v!r}' for s, v in values.items())}): a statement may quote a "
                        "result every seed shares (a theory value); the measured value is shown beside it")
        return claim.stated(setup, results_by_seed[BUILD_SEED])
    except (ValueError, LookupError) as exc:
        raise SnippetError("claim", f"{snippet_id}: {exc}") from None


def write_record(record: dict, out_dir: Path) -> Path:
    path = out_dir / cache.RESULT_FILE
    path.write_text(to_json(record) + "\n", encoding="utf-8")
    return path


USAGE = "usage: python -m book.execute MODULE OUT_DIR [--seeds N,N,… | --assemble [--first-seed-only]] [--no-figures]"


def main(argv: list[str]) -> int:
    """One snippet's job, or part of it: ``--seeds 0,2,4`` measures those seeds only (the
    runner measures the seeds of one snippet in parallel processes); ``--assemble`` then
    checks the claims on all of them (``--first-seed-only``: on the build seed's, a provisional
    record) and draws the figures. Without either, both."""
    positional, seeds, assemble_only, figures, first_seed_only = [], None, False, True, False
    args = iter(argv)
    for arg in args:
        if arg == "--seeds":
            try:
                seeds = [int(s) for s in next(args).split(",")]
            except (StopIteration, ValueError):
                print(USAGE, file=sys.stderr)
                return 2
        elif arg == "--assemble":
            assemble_only = True
        elif arg == "--no-figures":
            figures = False
        elif arg == "--first-seed-only":
            first_seed_only = True
        elif arg.startswith("--"):
            print(USAGE, file=sys.stderr)
            return 2
        else:
            positional.append(arg)
    if len(positional) != 2:
        print(USAGE, file=sys.stderr)
        return 2
    module_name, out_dir = positional[0], Path(positional[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MPLBACKEND", "Agg")
    error_path = out_dir / cache.error_file(seeds)
    try:
        module = load_snippet(module_name)
        if seeds is not None:
            for seed in seeds:
                measure_seed(module, seed, out_dir)
            return 0
        if not assemble_only:
            for seed in CLAIM_SEEDS:
                measure_seed(module, seed, out_dir)
        record = assemble_from_files(module, out_dir, figures, first_seed_only)
    except SnippetError as exc:
        error = {"kind": exc.kind, "message": str(exc)}
    except BaseException:  # noqa: BLE001 - any crash is reported with its traceback
        error = {"kind": "exception", "message": traceback.format_exc()}
    else:
        write_record(record, out_dir)
        return 0
    error_path.write_text(json.dumps(error, indent=1), encoding="utf-8")
    print(error["message"], file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
