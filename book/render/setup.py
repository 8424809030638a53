"""A snippet's setup, read from the code that ran: the literal defaults of ``measure()``'s
parameters and the module's ``UPPER_CASE = literal`` constants (``[[ID:setup.NAME]]`` on a
page, ``[[setup.NAME]]`` in a claim's statement)."""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from typing import Any, Mapping

from book.claims import BUILD_SEED, CLAIM_SEEDS
from book.render.errors import PageError

#: The arguments the build passes to ``measure()`` itself: their defaults are not what ran.
PASSED_BY_THE_BUILD = {"seed": f"the build passes it (seed {BUILD_SEED} for the page's numbers, "
                                f"{CLAIM_SEEDS[0]}–{CLAIM_SEEDS[-1]} for the claims)"}
CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Computed:
    """A configuration value written as an expression, not a literal: the page cannot read it."""

    expression: str


def _literal(node: ast.AST, code: str, constants: Mapping[str, Any]) -> Any:
    """``node`` as a Python value when it is a literal (containers element by element, a name
    of an earlier literal constant resolved), else :class:`Computed`."""
    if isinstance(node, (ast.Tuple, ast.List)):
        return [_literal(item, code, constants) for item in node.elts]
    if isinstance(node, ast.Dict) and None not in node.keys:
        keys = [_literal(k, code, constants) for k in node.keys]
        if all(isinstance(k, (str, int, float, bool)) for k in keys):
            return {str(k): _literal(v, code, constants) for k, v in zip(keys, node.values)}
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return Computed(ast.get_source_segment(code, node) or ast.dump(node))
    return [*value] if isinstance(value, (tuple, set, frozenset)) else value


@functools.lru_cache(maxsize=256)
def snippet_setup(code: str, snippet_id: str, source: str = "") -> dict:
    """``{name: value}``: the literal defaults of ``measure()``'s parameters (but those the
    build passes, :data:`PASSED_BY_THE_BUILD`) and the module's ``UPPER_CASE = literal``
    constants, parsed from the snippet's source, so a page states the setup that ran. An
    expression is kept as :class:`Computed`, which a page directive refuses."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise PageError(f"snippet '{snippet_id}' ({source}) cannot be parsed for its setup: {exc}") from None
    constants: dict[str, Any] = {}
    measure = None
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            if isinstance(node, ast.FunctionDef) and node.name == "measure":
                measure = node
            continue
        for target in targets:
            if isinstance(target, ast.Name) and CONSTANT_NAME.match(target.id):
                constants[target.id] = _literal(value, code, constants)
    setup = dict(constants)
    if measure is not None:
        arguments = measure.args
        positional = arguments.posonlyargs + arguments.args
        pairs = list(zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults))
        pairs += [(a, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None]
        for argument, default in pairs:
            if argument.arg not in PASSED_BY_THE_BUILD:
                setup[argument.arg] = _literal(default, code, constants)
    return setup


def setup_value(setup: Mapping[str, Any], key: str, snippet_id: str, source: str) -> Any:
    """The value of ``NAME…`` in a snippet's setup (:func:`snippet_setup`), or a PageError that
    names the snippet and lists what it has (a page's and a claim statement's setup fields)."""
    name, _, rest = key.partition(".")
    if name in PASSED_BY_THE_BUILD:
        raise PageError(f"'{name}' is not a setup value of snippet '{snippet_id}': {PASSED_BY_THE_BUILD[name]}")
    if name not in setup:
        parameters = ", ".join(sorted(n for n in setup if not CONSTANT_NAME.match(n))) or "none"
        constants = ", ".join(sorted(n for n in setup if CONSTANT_NAME.match(n))) or "none"
        raise PageError(
            f"snippet '{snippet_id}' ({source}) has no setup value {name!r}: a setup value is a literal "
            f"default of measure()'s parameters (there: {parameters}) or a module constant "
            f"UPPER_CASE = literal (there: {constants})"
        )
    value = lookup(setup[name], rest) if rest else setup[name]
    if isinstance(value, Computed):
        raise PageError(
            f"snippet '{snippet_id}' ({source}): setup value {key!r} is computed ({value.expression}), not a "
            "literal; return it in measure()'s results and print it from there"
        )
    return value


def lookup(node: Any, key: str) -> Any:
    """The value at dotted ``key`` in ``node`` (results or a setup), where a number indexes a
    list (``profile.0``, ``profile.-1``); a PageError says what is there instead."""
    for part in key.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and re.fullmatch(r"-?\d+", part) and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        else:
            if isinstance(node, dict):
                options = ", ".join(sorted(node)[:12])
                raise PageError(f"has no key {part!r} (there: {options})")
            raise PageError(f"has no element {part!r}")
    return node
