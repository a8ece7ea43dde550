"""The report's CSVs as Excel workbooks (openpyxl): the same rows, hours and percentages as
numbers, moments as dates, every text cell defused as in the CSV (csv_safe). Written in
openpyxl's write-only mode into a temporary file, so a long ticket list never sits in memory.

openpyxl is imported only here, when a workbook is asked for."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from typing import IO

from .csv_export import csv_safe

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters a workbook cannot hold (XML 1.0 forbids them): openpyxl refuses a cell with one.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(value: object) -> object:
    if value == "":
        return None
    if isinstance(value, str):
        return csv_safe(ILLEGAL.sub("", value))
    return value


def workbook_file(rows: Iterable[list], *, sheet: str) -> IO[bytes]:
    """The rows (the first one the header) as a one-sheet workbook in a temporary file,
    positioned at its start; the file vanishes when closed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet[:31])  # Excel's limit on a sheet's name
    worksheet.freeze_panes = "A2"
    rows = iter(rows)
    header = []
    for name in next(rows, []):
        cell = WriteOnlyCell(worksheet, value=_cell(name))
        cell.font = Font(bold=True)
        header.append(cell)
    worksheet.append(header)
    for row in rows:
        worksheet.append([_cell(value) for value in row])
    # Handed on open: the response (FileResponse) closes it once sent.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        book.save(output)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return output
