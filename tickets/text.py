"""What a reader sees of a text: the one rule for "invisible" characters, used where a text
must say something (a required reason) and where a spreadsheet must not run it (CSV cells);
and the one rule for one-line texts (subjects, display names), which go into mail headers,
page titles and lists."""

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


# Characters that have no place in a one-line text: controls (C0, DEL, C1; NUL included, which
# PostgreSQL refuses), lone surrogates (from undecodable command-line bytes) and the
# bidirectional embeddings, overrides and isolates, which reorder what a reader sees around them.
UNWANTED_IN_LINE_CATEGORIES = frozenset({"Cc", "Cs"})
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def one_line(text: str) -> str:
    """`text` as one clean line: every run of white space (line breaks and tabs included) one
    space, none at either end, and no control characters."""
    kept = "".join(
        char
        for char in text
        if char.isspace()  # split below: CR, LF, tab, U+2028 and the like become one space
        or (
            unicodedata.category(char) not in UNWANTED_IN_LINE_CATEGORIES
            and char not in BIDI_CONTROLS
        )
    )
    return " ".join(kept.split())
