"""Well names and plate shapes (96 and 384 wells).

Indices are zero-based (row 0 is ``A``, column 0 is ``1``); names are ``A1`` style.
"""

from __future__ import annotations

import re

ROW_LETTERS = "ABCDEFGHIJKLMNOP"

#: plate size -> (number of rows, number of columns)
PLATE_SHAPES: dict[int, tuple[int, int]] = {96: (8, 12), 384: (16, 24)}

#: plate size -> its row labels, e.g. ``ROW_LABELS[96] == ("A", ..., "H")``
ROW_LABELS: dict[int, tuple[str, ...]] = {
    n: tuple(ROW_LETTERS[:rows]) for n, (rows, _cols) in PLATE_SHAPES.items()
}

_WELL_RE = re.compile(r"^\s*([A-Za-z])\s*0*(\d+)\s*$")


def plate_shape(n_wells: int) -> tuple[int, int]:
    """(rows, cols) of a plate with ``n_wells`` wells; ValueError for other sizes."""
    try:
        return PLATE_SHAPES[int(n_wells)]
    except (KeyError, TypeError, ValueError):
        sizes = ", ".join(str(n) for n in PLATE_SHAPES)
        raise ValueError(
            f"unsupported plate size {n_wells!r}: expected one of {sizes} wells"
        ) from None


def shape_for_cols(n_cols: int) -> tuple[int, int]:
    """(rows, cols) of the plate that has ``n_cols`` columns (12 -> 8x12, 24 -> 16x24)."""
    for rows, cols in PLATE_SHAPES.values():
        if cols == n_cols:
            return rows, cols
    raise ValueError(f"unsupported plate width {n_cols}: expected 12 or 24 columns")


def row_labels(n_rows: int) -> tuple[str, ...]:
    """Row labels ``A``... for a plate with ``n_rows`` rows."""
    if not 1 <= n_rows <= len(ROW_LETTERS):
        raise ValueError(f"unsupported number of rows {n_rows}: expected 1..{len(ROW_LETTERS)}")
    return tuple(ROW_LETTERS[:n_rows])


def format_well(row: int, col: int) -> str:
    """``format_well(0, 0) == "A1"``; ``format_well(7, 11) == "H12"``."""
    if not (0 <= row < len(ROW_LETTERS)) or col < 0:
        raise ValueError(f"no well at row index {row}, column index {col}")
    return f"{ROW_LETTERS[row]}{col + 1}"


def parse_well(text: str, n_rows: int | None = None, n_cols: int | None = None) -> tuple[int, int]:
    """``"A1"``, ``"a01"``, ``" B12 "`` -> zero-based (row, col).

    With ``n_rows``/``n_cols`` the well must also lie on that plate. Raises ValueError with a
    message saying what was expected (callers add the file and turn it into their own error).
    """
    match = _WELL_RE.match(str(text))
    if not match:
        raise ValueError(f"expected a well name like A1 or H12, found {text!r}")
    letter, number = match.groups()
    row = ROW_LETTERS.find(letter.upper())
    col = int(number) - 1
    if row < 0 or col < 0:
        raise ValueError(f"expected a well name like A1 or H12, found {text!r}")
    if (n_rows is not None and row >= n_rows) or (n_cols is not None and col >= n_cols):
        last_row = ROW_LETTERS[(n_rows or len(ROW_LETTERS)) - 1]
        raise ValueError(
            f"well {letter.upper()}{col + 1} is off the plate: expected rows A-{last_row}"
            f" and columns 1-{n_cols if n_cols is not None else '?'}"
        )
    return row, col


def well_names(n_rows: int, n_cols: int) -> list[str]:
    """All wells in row-major order: A1, A2, ..., A12, B1, ..."""
    return [format_well(r, c) for r in range(n_rows) for c in range(n_cols)]
