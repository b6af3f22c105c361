"""The plate blocks of an EnVision / EnSpire Workstation csv export (see
:mod:`plates.readers.envision.workstation`): each ``Plate information`` block's header values and
its grids, up to the ``Basic assay information`` footer. Not a reader module itself (no
``FORMAT``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from plates.readers.envision.common import (
    RawGrid,
    err,
    header_width,
    is_data_row,
    read_bare,
    read_headed,
    stripped,
    unformula,
)

__all__ = ["PlateBlock", "find_blocks"]

_TITLES = (
    "results for",
    "calculated results",
    "signal for",
    "saturated for",
    "measurement time",
    "crosstalk",
    "normalized",
    "ratio",
)
_FOOTER = ("basic assay information", "protocol information")


@dataclass
class PlateBlock:
    """One ``Plate information`` block: its header values, 1-based line and grids."""

    info: dict[str, str]
    line: int
    grids: list[RawGrid] = field(default_factory=list)

    @property
    def calculated(self) -> bool:
        return "Formula" in self.info and not (self.info.get("Label") or self.info.get("Meas"))

    @property
    def label(self) -> str:
        return self.info.get("Label") or self.info.get("Meas") or ""


def find_blocks(
    rows: list[list[str]], path: Path, shape: tuple[int, int] | None
) -> tuple[list[PlateBlock], int]:
    """The plate blocks in file order, and the index of the footer's first row (``len(rows)``
    when the assay information comes before the plates)."""
    blocks: list[PlateBlock] = []
    current: PlateBlock | None = None
    title = ""
    i, n = 0, len(rows)
    while i < n:
        cells = rows[i]
        first = cells[0].strip() if cells else ""
        low = first.lower()
        if low.startswith("plate information"):
            if i + 2 >= n:
                raise err(
                    path,
                    "the file ends inside a 'Plate information' block (expected the"
                    " Plate,Repeat,... header and its value line)",
                    n,
                )
            header = stripped(rows[i + 1])
            values = [unformula(v) for v in stripped(rows[i + 2])]
            if not header or header[0] != "Plate" or not values:
                raise err(
                    path,
                    "expected the Plate,Repeat,Barcode,... header and a value line"
                    " after 'Plate information'",
                    i + 2,
                )
            current = PlateBlock(dict(zip(header, values + [""] * len(header))), i + 1)
            blocks.append(current)
            title, i = "", i + 3
            continue
        if low.startswith(_FOOTER) and blocks:
            return blocks, i
        if current is None or not any(c.strip() for c in cells):
            i += 1
            continue
        if low.startswith("background information"):
            i += 1
            while i < n and any(c.strip() for c in rows[i]):
                i += 1
            continue
        if any(low.startswith(t) for t in _TITLES) or (
            len(stripped(cells)) == 1 and not is_data_row(cells)
        ):
            title = " ".join(",".join(cells).split()).rstrip(",")
            i += 1
            continue
        if header_width(stripped(cells)) is not None:
            grid, i = read_headed(
                rows,
                i,
                path,
                title,
                shape[0] if shape and header_width(stripped(cells)) == shape[1] else None,
            )
        elif is_data_row(cells):
            grid, i = read_bare(rows, i, path, title, shape)
        else:
            raise err(
                path,
                f"expected a plate grid, a grid title or a blank line, found"
                f" {' '.join(c.strip() for c in cells if c.strip())[:60]!r}",
                i + 1,
            )
        current.grids.append(grid)
        title = ""
    if not blocks:
        raise err(path, "no 'Plate information' block found", 1)
    if not blocks[-1].grids:
        raise err(
            path,
            f"the file ends before the grid of the plate block at line"
            f" {blocks[-1].line}: the export is truncated",
            n,
        )
    if not any(c and c[0].strip().lower().startswith(_FOOTER) for c in rows[: blocks[0].line]):
        # the assay information goes to the end of the file unless the protocol places it at
        # the beginning: without it anywhere, plates after the last one read may be lost
        raise err(
            path,
            "the file ends after the last plate grid without the 'Basic assay"
            " information' footer: the export is truncated (or was written without basic"
            " assay information)",
            n,
        )
    return blocks, n  # assay information placed at the beginning of the file
