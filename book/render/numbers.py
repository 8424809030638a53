"""A measured number as the prose prints it: a Python format spec, ``sciN`` or ``texN``."""

from __future__ import annotations

import html
import math
import re
from typing import Any

from book.render.errors import PageError
from book.render.labels import LABELS

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
SCIENTIFIC = re.compile(r"(sci|tex)(\d*)")


def format_measured(number: float, fmt: str) -> str:
    """``format(number, fmt)``, accepting an integral float for an integer spec such as ``d``."""
    if fmt.endswith("d") and float(number).is_integer():
        number = int(number)  # counts are measured as floats
    return format(number, fmt)


def format_number(value: Any, fmt: str | None, language: str = "en") -> str:
    """``value`` printed in ``fmt`` (default ``.3g``): a bool as yes or no in ``language``, a
    string as it is (escaped); ``sciN`` writes ``1.2 × 10⁻⁵`` and ``texN`` ``1.2 \\times 10^{-5}``
    (N significant digits, default 2; plain below a thousand and from a hundredth)."""
    if isinstance(value, bool):
        return LABELS[language]["yes"] if value else LABELS[language]["no"]
    if isinstance(value, str):
        return html.escape(value)
    if value is None:
        raise PageError(
            "is None: the snippet marks it not applicable (e.g. 'never happened'), so no sentence may print it. "
            "Print it only where it applies, or write the sentence over the runs (a count or a share)"
        )
    if not isinstance(value, (int, float)):
        raise PageError(f"is a {type(value).__name__}, not a number (point the key at one element)")
    fmt = fmt or ".3g"
    match = SCIENTIFIC.fullmatch(fmt)
    if match:
        return _scientific(value, match.group(1), int(match.group(2) or 2), fmt)
    try:
        return format_measured(value, fmt)  # ASCII minus: the value may sit inside LaTeX
    except (ValueError, TypeError) as exc:
        raise PageError(f"format {fmt!r} does not apply to {value!r}: {exc}") from None


def _scientific(value: float, style: str, digits: int, fmt: str) -> str:
    if digits < 1:
        raise PageError(f"format {fmt!r} needs at least one significant digit (e.g. {style}1)")
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if round(abs(mantissa), digits - 1) >= 10:  # 9.99 rounded up to 10.0
        mantissa, exponent = mantissa / 10, exponent + 1
    if -2 <= exponent <= 3:
        return f"{value:.{digits}g}"
    text = f"{mantissa:.{digits - 1}f}"
    if style == "tex":
        return f"{text} \\times 10^{{{exponent}}}"
    return f"{text} × 10{str(exponent).translate(SUPERSCRIPT)}"
