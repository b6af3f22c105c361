"""Where the plate map of report.html (`elisa.report.figures.plate_map_svg`) draws things: the
grid of each plate size and the fixed SVG pieces of each well position.

None of it depends on the plate, so each piece is built once per plate size and position and
reused for every plate of a run (1,000 plates draw the same 96 positions 1,000 times).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: A well name as layouts and exports write it: row letter, column number (leading zeros and
#: surrounding spaces allowed).
WELL_NAME = re.compile(r"\s*([A-Pa-p])0*(\d{1,2})\s*")


@functools.lru_cache(maxsize=1024)
def parse_well(well: str) -> tuple[int, int] | None:
    """(row, column) from 0 of a well name, None when it is not one; cached because every
    plate of a run names the same wells."""
    m = WELL_NAME.fullmatch(well)
    if not m:
        return None
    return ord(m.group(1).upper()) - ord("A"), int(m.group(2)) - 1


@dataclass(frozen=True)
class MapGrid:
    """The drawing of one plate size that does not depend on the plate: well size ``cw`` ×
    ``ch`` px, font sizes ``f1`` (OD) and ``f2`` (marks, labels), the figure's size, and
    ``background``, the row and column labels and the empty-well rectangles as SVG lines."""

    n_rows: int
    n_cols: int
    cw: int
    ch: int
    f1: float
    f2: float
    width: int
    height: int
    background: str


#: Pixels left of the first column and above the first row (the labels' room).
MAP_LEFT, MAP_TOP = 22, 18


@functools.cache
def map_grid(big: bool) -> MapGrid:
    """The 8×12 plate's grid, or the 16×24 one when ``big``; built once per size."""
    n_rows, n_cols = (16, 24) if big else (8, 12)
    cw, ch, f1, f2 = (40, 30, 8.5, 6.5) if big else (60, 42, 11.5, 8.5)
    left, top = MAP_LEFT, MAP_TOP
    lines = [f'<g font-family="sans-serif" font-size="{f2 + 1}" fill="#444" text-anchor="middle">']
    for j in range(n_cols):
        lines.append(f'<text x="{left + j * cw + cw / 2}" y="{top - 5}">{j + 1}</text>')
    for i in range(n_rows):
        lines.append(f'<text x="{left / 2}" y="{top + i * ch + ch / 2 + 3}">{chr(65 + i)}</text>')
    lines.append("</g>")
    for i in range(n_rows):
        for j in range(n_cols):
            lines.append(
                f'<rect x="{left + j * cw + 1}" y="{top + i * ch + 1}" width="{cw - 2}" '
                f'height="{ch - 2}" rx="3" fill="#ffffff" stroke="#dddddd"/>'
            )
    width, height = left + n_cols * cw + 4, top + n_rows * ch + 4
    return MapGrid(n_rows, n_cols, cw, ch, f1, f2, width, height, "\n".join(lines))


@dataclass(frozen=True)
class WellBox:
    """The fixed SVG pieces of the well at one position of one plate size: the openings of its
    rectangle, OD text and marks text (attributes up to where the well's own ones follow), and
    the whole cross of a masked well and corners of a failed or high-CV one."""

    rect: str
    value_text: str
    marks_text: str
    cross: str
    failed_corner: str
    high_cv_corner: str


@functools.lru_cache(maxsize=1024)
def well_box(row: int, column: int, big: bool) -> WellBox:
    """The well at (``row``, ``column``) from 0; cached because every plate of a run puts its
    wells at the same positions."""
    grid = map_grid(big)
    cw, ch = grid.cw, grid.ch
    x, y = MAP_LEFT + column * cw, MAP_TOP + row * ch
    return WellBox(
        rect=f'<rect x="{x + 1}" y="{y + 1}" width="{cw - 2}" height="{ch - 2}" rx="3" ',
        value_text=f'<text x="{x + cw / 2}" y="{y + ch * 0.45}" font-family="sans-serif" '
        f'font-size="{grid.f1}" text-anchor="middle" fill="#111">',
        marks_text=f'<text x="{x + cw / 2}" y="{y + ch * 0.82}" font-family="sans-serif" '
        f'font-size="{grid.f2}" text-anchor="middle" font-weight="bold" fill="#b03000">',
        cross=f'<path d="M{x + 3},{y + 3} L{x + cw - 3},{y + ch - 3} M{x + cw - 3},{y + 3} '
        f'L{x + 3},{y + ch - 3}" stroke="#555" stroke-width="1.2"/>',
        failed_corner=f'<path d="M{x + 1},{y + ch - 12} L{x + 1},{y + ch - 1} '
        f'L{x + 12},{y + ch - 1} Z" fill="#d62728" class="mark-failed"/>',
        high_cv_corner=f'<path d="M{x + cw - 12},{y + 1} L{x + cw - 1},{y + 1} '
        f'L{x + cw - 1},{y + 12} Z" fill="#ff7f0e" class="mark-high-cv"/>',
    )
