"""What a reader sees of a text: the one rule for "invisible" characters, used where a text
must say something (a required reason) and where a spreadsheet must not run it (CSV cells)."""

from __future__ import annotations

import unicodedata

# Controls, format characters (zero-width space, word joiner, BOM, soft hyphen, tags),
# separators (spaces of every width, line and paragraph breaks), unassigned code points and
# combining marks with nothing to combine with.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols that are drawn as blank space.
BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_invisible(char: str) -> bool:
    return char in BLANK_GLYPHS or unicodedata.category(char) in INVISIBLE_CATEGORIES


def has_visible_text(text: str) -> bool:
    """Whether `text` shows at least one character: "\\u200b" or "\\u3000" says nothing."""
    return any(not is_invisible(char) for char in text)


def strip_invisible_start(text: str) -> str:
    """`text` from its first visible character on."""
    for index, char in enumerate(text):
        if not is_invisible(char):
            return text[index:]
    return ""
