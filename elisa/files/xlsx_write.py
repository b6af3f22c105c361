"""results.xlsx: the six result tables as sheets, for people who open results in Excel.

Sheets ``samples``, ``standards``, ``curves``, ``wells``, ``runs`` and ``reassay`` hold exactly
the CSV columns (numbers as numbers, booleans as booleans, missing values as empty cells; text is
always stored as text, so a sample id such as ``=1+1`` is never a formula), and ``columns``
describes each column with its unit. The file holds no timestamp: the same results give the
same bytes (the workbook's dates are fixed and its zip entries carry a fixed time).

The workbook's XML is written here directly, row by row into the zip, rather than through a
spreadsheet library: a run of 1,000 plates holds about a million cells, which an in-memory
workbook object turns into several hundred megabytes and tens of seconds. Floats are written
as their shortest round-trip text (``repr``), the same text as the CSV files, so no digit is
lost; strings are inline, so the file needs no shared-string table.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from html import escape
from numbers import Integral, Real

import numpy as np
import pandas as pd

from elisa._version import __version__
from elisa.column_text import cells_by_distinct_value, float_texts
from elisa.files.column_notes import column_rows
from elisa.missing import is_missing
from elisa.results import TABLE_COLUMNS, Results

__all__ = ["FIXED_TIME", "cell_value", "results_xlsx"]

#: Every zip entry's time, and the workbook's creation and modification date: fixed, not the clock.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_DATE = "1980-01-01T00:00:00Z"
#: zlib's level for the sheets: a 1,000-plate workbook deflates in a third of the CPU time of
#: the default level 6 (0.34 s against 1.05 s), for a file about 17 % larger (14.2 MB, 12.2 MB).
COMPRESS_LEVEL = 2
#: Characters XML 1.0 cannot hold (C0 controls but tab, newline, carriage return).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ROWS_PER_WRITE = 2000

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

#: cellXfs 0 is the default style; 1 makes the header row bold.
_STYLES = (
    f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def cell_value(value: object) -> object:
    """One table value as an Excel cell value: None (an empty cell) for missing or empty text,
    else bool, int, float or str. Characters XML cannot hold are shown as ``\\xNN`` escapes."""
    kind = type(value)
    if kind is float:  # the common cells first; the general rules below give the same value
        return None if value != value else value  # NaN is the one float unequal to itself
    if kind is int or kind is bool:
        return value
    if isinstance(value, str):
        return _ILLEGAL_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value) or None
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


def _column_letters(n: int) -> list[str]:
    """Excel's column names A, B, …, Z, AA, … for the first ``n`` columns."""
    letters = []
    for index in range(1, n + 1):
        name = ""
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(ord("A") + rest) + name
        letters.append(name)
    return letters


def _text_cell(ref: str, text: str, style: str = "") -> str:
    return f'<c r="{ref}"{style}{_text_tail(text)}'


def _text_tail(text: str) -> str:
    """A text cell's XML after its reference (``<c r="A2"`` + this)."""
    return f' t="inlineStr"><is><t xml:space="preserve">{escape(text, quote=False)}</t></is></c>'


def _cell_tail(value: object) -> str:
    """One table value's cell XML after its reference (``<c r="A2"`` + this), "" for an empty
    cell. The reference is left out so that equal values share one text (see `_column_cells`).
    An infinite number (Excel has none) is written as text."""
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f"><v>{value}</v></c>"
    if isinstance(value, float):
        return f"><v>{value!r}</v></c>" if math.isfinite(value) else _text_tail(repr(value))
    return _text_tail(str(value))


def _cell(ref: str, value: object) -> str:
    """The XML of one table value's cell at ``ref``, "" for an empty cell: the general rule,
    one value at a time, that the column writers below must match."""
    tail = _cell_tail(value)
    return f'<c r="{ref}"{tail}' if tail else ""


def _float_column_cells(letter: str, values: np.ndarray, numbers: list[str]) -> list[str]:
    """`_column_cells` for a float64 column: every cell written as a number, then the few
    non-finite ones put right (NaN: no cell; ±inf: text)."""
    texts = float_texts(values)  # repr of each: the numbers' shortest round-trip text
    cells = [f'<c r="{letter}{n}"><v>{text}</v></c>' for n, text in zip(numbers, texts)]
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        cells[i] = _cell(f"{letter}{numbers[i]}", float(values[i]))
    return cells


def _column_cells(letter: str, column: pd.Series, numbers: list[str]) -> list[str]:
    """The XML of each cell of one column from row 2 on ("" for an empty cell), equal to
    `_cell` of each value. ``numbers`` are the row numbers as text ("2", "3", …).

    A 1,000-plate run writes about a million cells, so the writer is chosen once per column:
    float64 columns format their numbers directly; columns of one kind of value (nullable
    text, integers, booleans) hold few distinct values (plate ids, codes, levels), so each
    distinct value's XML is made once and looked up per row. Any other column (object dtype,
    where 1 and True would count as equal) goes value by value."""
    if column.dtype == np.float64:
        return _float_column_cells(letter, column.to_numpy(), numbers)
    tails = cells_by_distinct_value(column, _cell_tail)
    if tails is None:
        tails = [_cell_tail(value) for value in column.tolist()]
    return [f'<c r="{letter}{n}"{tail}' if tail else "" for n, tail in zip(numbers, tails)]


def _sheet_rows(frame: pd.DataFrame, columns: tuple[str, ...]) -> Iterator[str]:
    """The worksheet XML of ``frame``'s ``columns``, in pieces of a few thousand rows."""
    letters = _column_letters(len(columns))
    last = f"{letters[-1]}{len(frame) + 1}"
    yield (
        f'{_XML_HEAD}<worksheet xmlns="{_MAIN}"><dimension ref="A1:{last}"/>'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
        "</sheetViews><sheetData>"
    )
    header = "".join(_text_cell(f"{c}1", name, ' s="1"') for c, name in zip(letters, columns))
    numbers = [str(number) for number in range(2, len(frame) + 2)]
    cells = [_column_cells(letter, frame[name], numbers) for letter, name in zip(letters, columns)]
    rows = [f'<row r="1">{header}</row>']
    rows += [f'<row r="{n}">{"".join(row)}</row>' for n, row in zip(numbers, zip(*cells))]
    for start in range(0, len(rows), _ROWS_PER_WRITE):
        yield "".join(rows[start : start + _ROWS_PER_WRITE])
    yield "</sheetData></worksheet>"


def _package_parts(titles: list[str]) -> dict[str, str]:
    """Every part of the workbook except the worksheets: content types, relations, the
    workbook with its sheet names, styles and the (fixed-date) document properties."""
    sheets = range(1, len(titles) + 1)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        f'ContentType="{_SHEET_TYPE}.worksheet+xml"/>'
        for n in sheets
    )
    content_types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_SHEET_TYPE}.sheet.main+xml"/>'
        f'{overrides}<Override PartName="/xl/styles.xml" ContentType="{_SHEET_TYPE}.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/></Types>'
    )
    root_rels = (
        f'<Relationships xmlns="{_PKG_RELS}">'
        f'<Relationship Id="rId1" Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{_PKG_RELS}/metadata/core-properties" '
        'Target="docProps/core.xml"/></Relationships>'
    )
    workbook = (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>'
        + "".join(
            f'<sheet name="{escape(title)}" sheetId="{n}" r:id="rId{n}"/>'
            for n, title in zip(sheets, titles)
        )
        + "</sheets></workbook>"
    )
    workbook_rels = (
        f'<Relationships xmlns="{_PKG_RELS}">'
        + "".join(
            f'<Relationship Id="rId{n}" Type="{_DOC_RELS}/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in sheets
        )
        + f'<Relationship Id="rId{len(titles) + 1}" Type="{_DOC_RELS}/styles" '
        'Target="styles.xml"/></Relationships>'
    )
    core = (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:creator>elisa {escape(__version__, quote=False)}</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{_FIXED_DATE}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{_FIXED_DATE}</dcterms:modified>'
        "</cp:coreProperties>"
    )
    parts = {
        "[Content_Types].xml": content_types,
        "_rels/.rels": root_rels,
        "docProps/core.xml": core,
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": workbook_rels,
        "xl/styles.xml": _STYLES,
    }
    return {name: _XML_HEAD + text for name, text in parts.items()}


def _write_part(archive: zipfile.ZipFile, name: str, pieces: Iterable[str]) -> None:
    # opened by name: the entry takes the archive's method and level (a ZipInfo's level can be
    # set only through a private attribute before Python 3.13) and ZipInfo's documented default
    # time, which is FIXED_TIME
    with archive.open(name, "w") as handle:
        for piece in pieces:
            handle.write(piece.encode("utf-8"))


def results_xlsx(results: Results) -> bytes:
    """The bytes of results.xlsx for ``results``."""
    notes = pd.DataFrame(
        column_rows(results.samples), columns=["sheet", "column", "unit", "description"]
    )
    sheets = [(name, getattr(results, name), columns) for name, columns in TABLE_COLUMNS.items()]
    sheets.append(("columns", notes, ("sheet", "column", "unit", "description")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as archive:
        for name, text in _package_parts([title for title, _, _ in sheets]).items():
            _write_part(archive, name, [text])
        for number, (_, frame, columns) in enumerate(sheets, start=1):
            _write_part(archive, f"xl/worksheets/sheet{number}.xml", _sheet_rows(frame, columns))
    return out.getvalue()
