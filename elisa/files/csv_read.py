"""Small CSV tables that people write by hand (clinical table, manifest, analyser results)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from elisa.errors import ElisaError
from plates.textio import NotTextError, decode_text

Row = tuple[int, dict[str, str]]  # (line number, cells by header name)


def read_table(
    data: bytes, path: Path, what: str, *, lower_header: bool = False
) -> tuple[list[str], list[Row]]:
    """Header and non-empty rows with their line numbers; a one-line error for a binary file,
    an empty file or a row with more cells than the header has columns."""
    try:
        text = decode_text(data).text
    except NotTextError as exc:
        raise ElisaError(f"{what}: {exc}", file=path) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() if lower_header else h.strip() for h in next(reader, [])]
    if not any(header):
        raise ElisaError(f"{what} is empty: expected a header row", file=path)
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise ElisaError(
                f"line {number}: {len(cells)} cells for {len(header)} columns", file=path
            )
        rows.append(
            (
                number,
                {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)},
            )
        )
    return header, rows
