"""The grids and tables of a Gen5 export plate (see :mod:`plates.readers.gen5.blocks`): the
Layout and Results grids (one line per data set per plate row, labelled in the column after the
last well column), the "Well" tables (wells as columns, one row per data set) and the headers
that start them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from plates.readers.gen5.rows import Rows, whole_number
from plates.wells import ROW_LETTERS, parse_well

__all__ = [
    "Grid",
    "WellTable",
    "grid_header",
    "parse_grid",
    "parse_well_table",
    "time_header",
    "well_header",
]

_WIDTHS = {12: 8, 24: 16}  # plate columns -> rows


@dataclass
class Grid:
    """A plate grid with a data-set label per line: label -> rows of cell texts (n_rows x n_cols)
    and the index (in Rows) of the line each plate row came from."""

    title: str
    header: int  # index in Rows of the 1..N header line
    n_rows: int
    n_cols: int
    labels: list[str]
    values: dict[str, list[list[str]]]
    lines: dict[str, list[int]]
    col0: int  # column of the first well


@dataclass
class WellTable:
    """A table with wells as columns: label -> {well: text}."""

    header: int
    wells: list[tuple[int, int]]
    labels: list[str]
    values: dict[str, list[str]]
    lines: dict[str, int]
    col0: int


def grid_header(cells: list[str]) -> tuple[int, int] | None:
    """(column of ``1``, width) when the cells are a plate grid header 1..12 or 1..24."""
    for start in range(min(len(cells) - 1, 3)):
        if (
            whole_number(cells[start]) == 1
            and whole_number(cells[start + 1]) == 2
            and not any(cells[:start])
        ):
            width = 0
            while start + width < len(cells) and whole_number(cells[start + width]) == width + 1:
                width += 1
            return start, width  # any width: parse_grid says which ones a plate has
    return None


def _table_header(cells: list[str], word: str, first_column: Callable[[str], bool]) -> int | None:
    """Column of ``word`` when it is the row's first text (within 3 cells) and the next cell
    passes ``first_column``."""
    for j, text in enumerate(cells[:3]):
        if text:
            if text.lower() == word and j + 1 < len(cells) and first_column(cells[j + 1]):
                return j
            return None
    return None


def well_header(cells: list[str]) -> int | None:
    """Column of ``Well`` when the row is a "Well | A1 | A2 ..." header."""
    return _table_header(cells, "well", lambda text: text.upper() == "A1")


def time_header(cells: list[str]) -> int | None:
    """Column of ``Time`` when the row heads a kinetic table ("Time | A1 ..." or "Time | T...")."""
    return _table_header(cells, "time", lambda text: text.upper() == "A1" or text.startswith("T"))


def parse_grid(rows: Rows, h: int, col: int, width: int, title: str) -> tuple[Grid, int]:
    """The labelled grid whose 1..N header is row ``h``; returns it and the row after it."""
    if width not in _WIDTHS:
        raise rows.err(
            h,
            f"a grid header with columns 1..{width}: expected 1..12 (96 wells) "
            "or 1..24 (384 wells)",
        )
    n_rows, n_cols = _WIDTHS[width], width
    letter_col = col - 1
    label_col = col + n_cols
    labels: list[str] = []
    values: dict[str, list[list[str]]] = {}
    lines: dict[str, list[int]] = {}
    row = -1
    row_labels: list[list[str]] = []
    i = h + 1
    while i < len(rows.cells) and not rows.blank(i):
        cells = rows.cells[i]
        if grid_header(cells) is not None or well_header(cells) is not None:
            break
        if any(cells[: max(letter_col, 0)]):
            break  # a line of another block (a key in the first column)
        letter = cells[letter_col] if 0 <= letter_col < len(cells) else ""
        if letter:
            expected = ROW_LETTERS[row + 1] if row + 1 < n_rows else None
            if letter.upper() != expected:
                if expected is None:
                    raise rows.err(
                        i,
                        f"row {letter} is beyond the plate's rows A-"
                        f"{ROW_LETTERS[n_rows - 1]} ({title} grid at "
                        f"{rows.where(rows.index[h], None)})",
                    )
                if len(letter) == 1 and letter.upper() in ROW_LETTERS:
                    raise rows.err(
                        i,
                        f"row {expected} is missing: found row {letter.upper()} "
                        f"(the {title} grid must list rows A-{ROW_LETTERS[n_rows - 1]}"
                        " in order)",
                    )
                raise rows.err(
                    i,
                    f"expected the row label {expected} or an empty first cell "
                    f"(another data set of row {ROW_LETTERS[row] if row >= 0 else 'A'}"
                    f") in the {title} grid, found {letter!r}",
                )
            row += 1
            row_labels.append([])
        elif row < 0:
            raise rows.err(
                i, f"expected row A after the {title} grid header, found a line without a row label"
            )
        extra = [j for j in range(label_col + 1, len(cells)) if cells[j]]
        if extra:
            j = extra[0]
            raise rows.err(
                i,
                f"a value beyond the plate's {n_cols} columns, found "
                f"{cells[j]!r} (expected {n_cols} values, then the data-set label)",
                col=j,
            )
        label = cells[label_col] if label_col < len(cells) else ""
        if not label:
            found = sum(1 for c in cells[col:label_col] if c)
            raise rows.err(
                i,
                f"expected {n_cols} values and a data-set label (such as "
                f"'450' or 'Read 1:450') after them; the line has {found} values and "
                "no label",
                col=label_col,
            )
        cell_values = list(cells[col:label_col]) + [""] * max(0, label_col - len(cells))
        r_labels = row_labels[-1]
        if label in r_labels:
            raise rows.err(i, f"the data set {label!r} appears twice in row {ROW_LETTERS[row]}")
        r_labels.append(label)
        if row == 0:
            labels.append(label)
            values[label] = [[""] * n_cols for _ in range(n_rows)]
            lines[label] = [-1] * n_rows
        elif label not in values:
            raise rows.err(
                i,
                f"data set {label!r} in row {ROW_LETTERS[row]} is not one of row "
                f"A's ({', '.join(labels)})",
                col=label_col,
            )
        values[label][row] = cell_values
        lines[label][row] = i
        i += 1
    last = ROW_LETTERS[n_rows - 1]
    if row < n_rows - 1:
        got = f"after row {ROW_LETTERS[row]}" if row >= 0 else "before row A"
        ends = "the file ends" if i >= len(rows.cells) else "the grid ends"
        raise rows.err(
            min(i, len(rows.cells) - 1),
            f"row {ROW_LETTERS[row + 1]} is missing: {ends} {got} (the {title} grid "
            f"at {rows.where(rows.index[h], None)} needs rows A-{last})",
        )
    for r, in_row in enumerate(row_labels):
        missing = [lab for lab in labels if lab not in in_row]
        if missing:
            line = max(lines[lab][r] for lab in in_row)
            raise rows.err(
                line,
                f"row {ROW_LETTERS[r]} lacks the data set {missing[0]!r} that "
                "row A has (the file may be cut or edited)",
            )
    return Grid(title, h, n_rows, n_cols, labels, values, lines, col), i


def parse_well_table(rows: Rows, h: int, col: int) -> tuple[WellTable, int]:
    header = rows.cells[h]
    wells: list[tuple[int, int]] = []
    j = col + 1
    while j < len(header) and header[j]:
        try:
            wells.append(parse_well(header[j], 16, 24))
        except ValueError as exc:
            raise rows.err(h, f"in the Well table header: {exc}", col=j) from None
        j += 1
    end = j
    labels: list[str] = []
    values: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    i = h + 1
    while i < len(rows.cells) and not rows.blank(i):
        cells = rows.cells[i]
        label = cells[col] if col < len(cells) else ""
        if any(cells[:col]) or not label:
            break
        extra = [k for k in range(end, len(cells)) if cells[k]]
        if extra:
            raise rows.err(
                i,
                f"a value beyond the last well column ({header[end - 1]}), found "
                f"{cells[extra[0]]!r}",
                col=extra[0],
            )
        if label in values:
            raise rows.err(i, f"the data set {label!r} appears twice in the Well table")
        labels.append(label)
        values[label] = list(cells[col + 1 : end]) + [""] * max(0, end - len(cells))
        lines[label] = i
        i += 1
    return WellTable(h, wells, labels, values, lines, col + 1), i
