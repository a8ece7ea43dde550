"""The CSV formula guard looks at what a spreadsheet looks at: the first character after any
blanks and invisible characters (zero-width spaces, a BOM, word joiners)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.reports.csv_export import csv_safe

TRIGGERS = ["=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20"]
# What a spreadsheet may skip before a formula: format characters (Cf, the BOM among them),
# spaces of any width (Zs), and tabs and line breaks.
INVISIBLE = st.characters(categories=("Cf", "Zs")) | st.sampled_from(["\t", "\r", "\n", "\ufeff"])


@given(st.text(INVISIBLE), st.sampled_from(TRIGGERS), st.text())
def test_a_cell_whose_first_visible_character_starts_a_formula_is_defused(before, start, rest):
    cell = before + start + rest
    assert csv_safe(cell) == "'" + cell


@given(st.text())
def test_the_guard_only_ever_prefixes_a_quote(cell):
    assert csv_safe(cell) in (cell, "'" + cell)


@pytest.mark.parametrize(
    "cell",
    ["\u200b=HYPERLINK(1)", "\ufeff=1+1", "\u2060@SUM(A1)", "\u00a0\u200b+1", "\u3000\uff1d1"],
)
def test_invisible_characters_before_a_formula_do_not_hide_it(cell):
    assert csv_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["\u200bPrinter", "\ufeffHD-1042", "a\u200b=b"])
def test_invisible_characters_before_text_change_nothing(cell):
    assert csv_safe(cell) == cell
