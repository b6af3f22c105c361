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

import pandas as pd
from openpyxl import Workbook

from elisa.files.column_notes import column_rows
from elisa.results import TABLE_COLUMNS, Results

#: Workbook creation and modification date, and every zip entry's time: fixed, not the clock.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def cell_value(value: object) -> object:
    """One table value as an Excel cell value: None (an empty cell) for missing or empty text,
    else bool, int, float or str."""
    if value is None or value is pd.NA or value is pd.NaT or value == "":
        return None
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        number = float(value)
        return None if math.isnan(number) else number
    return str(value)


def _sheet(workbook: Workbook, title: str, frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    sheet = workbook.create_sheet(title)
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
    sheet.freeze_panes = "A2"


def results_xlsx(results: Results) -> bytes:
    """The bytes of results.xlsx for ``results``."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, columns in TABLE_COLUMNS.items():
        _sheet(workbook, name, getattr(results, name), columns)
    notes = pd.DataFrame(
        column_rows(results.samples), columns=["sheet", "column", "unit", "description"]
    )
    _sheet(workbook, "columns", notes, ("sheet", "column", "unit", "description"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _without_timestamps(buffer.getvalue())


def _without_timestamps(data: bytes) -> bytes:
    """The same workbook with fixed dates in docProps/core.xml and fixed zip entry times."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(rb"\g<1>1980-01-01T00:00:00Z\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, content)
    return out.getvalue()
