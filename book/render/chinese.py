"""The Chinese edition's prose wrapped over several source lines, joined into one."""

from __future__ import annotations

import re

from book.render.markdown import FENCE, lines
from book.translations import HAN_CHARACTERS

#: What Chinese text is set from, with no space between: the Chinese characters
#: (:data:`book.translations.HAN_CHARACTERS`), CJK symbols and punctuation (、。「」), and the
#: full-width forms (，：！). A line break between two of them would show as a space.
UNSPACED_TEXT = f"\u3000-\u303f{HAN_CHARACTERS}\uff00-\uffef"
ENDS_UNSPACED = re.compile(f"[{UNSPACED_TEXT}]$")
STARTS_UNSPACED = re.compile(f"^[{UNSPACED_TEXT}]")


def join_wrapped_chinese(markdown: str) -> str:
    """Chinese prose wrapped over several source lines, joined: a line break between two
    Chinese characters would show as a space, which Chinese text does not have. Code
    fences and display math are left as they are."""
    out: list[str] = []
    for line in lines(markdown):
        stripped = line.text.strip()
        if (line.prose and out and STARTS_UNSPACED.match(stripped)
                and ENDS_UNSPACED.search(out[-1]) and not FENCE.match(out[-1])):
            out[-1] += stripped
            continue
        out.append(line.text)
    return "\n".join(out)
