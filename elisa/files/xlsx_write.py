"""results.xlsx: the six result tables as sheets, for people who open results in Excel.

Sheets ``samples``, ``standards``, ``curves``, ``wells``, ``runs`` and ``reassay`` hold exactly
the CSV columns (numbers as numbers, booleans as booleans, missing values as empty cells; text is
always stored as text, so a sample id such as ``=1+1`` is never a formula), and ``columns``
describes each column with its unit. The file holds no timestamp: the same results give the
same bytes (the workbook's dates are fixed and its zip entries carry a fixed time).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from numbers import Integral, Real

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from elisa.files.column_notes import column_rows
from elisa.missing import is_missing
from elisa.results import TABLE_COLUMNS, Results

#: Workbook creation and modification date, and every zip entry's time: fixed, not the clock.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def cell_value(value: object) -> object:
    """One table value as an Excel cell value: None (an empty cell) for missing or empty text,
    else bool, int, float or str."""
    if isinstance(value, str):  # XML cannot hold most C0 controls: shown as \xNN escapes
        return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", value) or None
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        number = float(value)
        return None if math.isnan(number) else number
    return str(value)


def _sheet(
    workbook: Workbook, title: str, frame: pd.DataFrame, columns: tuple[str, ...]
) -> dict[str, str]:
    """Add a sheet; returns cell → exact text of the floats openpyxl would write short."""
    sheet = workbook.create_sheet(title)
    exact: dict[str, str] = {}
    sheet.append(list(columns))
    for row_number, row in enumerate(frame[list(columns)].itertuples(index=False), start=2):
        for col_number, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=col_number)
            converted = cell_value(value)
            if converted is None:
                continue
            cell.value = converted
            if isinstance(converted, str):
                cell.data_type = "s"  # text stays text (openpyxl would run "=..." as a formula)
            elif isinstance(converted, float) and float(f"{converted:.16g}") != converted:
                exact[cell.coordinate] = repr(converted)
    sheet.freeze_panes = "A2"
    return exact


def results_xlsx(results: Results) -> bytes:
    """The bytes of results.xlsx for ``results``."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    exact = {}
    for number, (name, columns) in enumerate(TABLE_COLUMNS.items(), start=1):
        exact[f"xl/worksheets/sheet{number}.xml"] = _sheet(
            workbook, name, getattr(results, name), columns
        )
    notes = pd.DataFrame(
        column_rows(results.samples), columns=["sheet", "column", "unit", "description"]
    )
    _sheet(workbook, "columns", notes, ("sheet", "column", "unit", "description"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _finished(buffer.getvalue(), exact)


def _finished(data: bytes, exact: dict[str, dict[str, str]]) -> bytes:
    """The same workbook with fixed dates in docProps/core.xml, fixed zip entry times, and
    every float written in full: openpyxl writes 16 significant digits, which can lose the
    last bit; the CSV's shortest round-trip text (``repr``) is put back in those cells."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(rb"\g<1>1980-01-01T00:00:00Z\g<2>", content)
            elif exact.get(info.filename):
                content = _exact_numbers(content, exact[info.filename])
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, content)
    return out.getvalue()


_NUMBER_CELL = re.compile(rb'(<c r="([A-Z]+[0-9]+)"[^>]*><v>)([^<]*)(</v>)')


def _exact_numbers(xml: bytes, exact: dict[str, str]) -> bytes:
    def put(match: re.Match[bytes]) -> bytes:
        text = exact.get(match.group(2).decode())
        if text is None:
            return match.group(0)
        return match.group(1) + text.encode() + match.group(4)

    return _NUMBER_CELL.sub(put, xml)
