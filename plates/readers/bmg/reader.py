"""The ``bmg`` format: BMG Labtech MARS / Omega / PHERAstar / CLARIOstar / SMART Control exports.

Text (CSV) exports start with a header of ``key: value`` cells (``User: …,Path: …,Test run no.:
…``, ``Test name: …,Date: …,Time: …``, ``ID1: …``), then the measurement type (``Absorbance``,
``Fluorescence (FI)``, ``Luminescence``), then labelled plate grids: ``Raw Data (450)`` (labels
vary: ``Raw Data  (450)``, ``Raw Data (450 1)``, ``Raw Data (480-14/520-30)``), a header
``,1,2,…,12`` (or 24), rows ``A,…``. Rows may end early (MARS 3.40 drops empty trailing cells) or
be padded with commas. A file may hold several such sections, each starting with ``User:``.

Excel exports hold the same header on every sheet (``Test ID:`` instead of ``Test run no.:``):
``Microplate …`` sheets with numbered grids (``1. Layout``, ``2. Standard Concentrations in
ng/mL``, ``3. Dilutions``, ``4. Raw Data (…)``, ``5. Blank corrected …``) and ``Table …`` sheets
with wells as columns (``Well``, ``Content``, ``Group`` and one row per data set and cycle).
Sheets with the same header are one plate; plate grids are preferred over tables.

``Raw Data`` grids are the reads; every other data grid (blank corrected, ratios, averages,
concentrations) is vendor-derived and goes into ``derived``. ``Layout``/``Content`` codes
(``S1`` standard, ``X1`` sample, ``B`` blank, ``C1``/``N``/``P`` controls), standard
concentrations and dilutions become the carried layout. Kinetic exports (a raw data set repeated
per cycle, or a time column) are refused.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np

from plates.errors import PlateError
from plates.model import PlateRead
from plates.readers.bmg.blocks import FORMAT_NAME, Block, Section, find_blocks
from plates.readers.bmg.header import HEADER_ROWS, USER, header_of, metadata
from plates.readers.bmg.layout import carried_wells
from plates.readers.common.cells import text_row

FORMAT = "bmg"
SNIFF_ORDER = 50

_TEST = re.compile(
    r"(^|[,;\t])\s*\"?\s*(test\s*run\s*no\.?|test\s*name|test\s*id)\s*:",
    re.IGNORECASE | re.MULTILINE,
)


# ------------------------------------------------------------------ sniffing


def sniff(text: str) -> bool:
    """The first non-blank line starts with ``User:`` and a ``Test name:``/``Test run no.:``/
    ``Test ID:`` cell follows within the first lines."""
    lines = [line for line in text.split("\n", 40)[:40] if line.strip(' ,;\t"')]
    return bool(lines) and bool(USER.match(lines[0])) and bool(_TEST.search("\n".join(lines[:8])))


def _sheet_is_bmg(rows) -> bool:
    firsts = [str(r[0]).strip() if r and r[0] is not None else "" for r in rows[:HEADER_ROWS]]
    return any(USER.match(t) for t in firsts) and any(
        re.match(r"^test\s*(id|name|run\s*no\.?)\s*:", t, re.IGNORECASE) for t in firsts
    )


def sniff_workbook(book) -> bool:
    return any(_sheet_is_bmg(rows) for rows in book.sheets.values())


# ------------------------------------------------------------------ one plate from its blocks


def _wavelength(block: Block, read_mode: str) -> tuple[int | None, dict[str, str]]:
    match = re.match(r"^raw\s*data\s*(?:\(([^()]*)\))?", block.label, re.IGNORECASE)
    inner = (match.group(1) or "") if match else ""
    parts = [p.strip() for p in inner.split("/")] if inner.strip() else []
    numbers = [re.match(r"^(\d{3,4})(?:\s*-\s*\d+)?(?:\s+\S+)?$", p) for p in parts]
    extra: dict[str, str] = {}
    if read_mode == "absorbance":
        if not parts:
            return None, extra
        if len(parts) != 1 or numbers[0] is None or not 200 <= int(numbers[0].group(1)) <= 1100:
            raise block.error(
                f"cannot tell the wavelength of the absorbance read {block.label!r}"
                " (expected e.g. 'Raw Data (450)')"
            )
        return int(numbers[0].group(1)), extra
    if len(parts) == 2:
        extra = {"excitation": parts[0], "emission": parts[1]}
    if parts and numbers[-1] is not None:
        return int(numbers[-1].group(1)), extra
    return None, extra


def _read_key(label: str) -> str:
    """``Raw Data (450)`` for ``Raw Data (450) 3`` / ``Raw Data (450), cycle 3``: one read."""
    return re.sub(r"\)[^()]*$", ")", label.lower())


def _kinetic(blocks: list[Block]) -> None:
    """Refuse a raw data set repeated per cycle (MARS "All Cycles" tables, repeated grids)."""
    raws = [b for b in blocks if b.kind == "raw"]
    counts = Counter(_read_key(b.label) for b in raws)
    label, cycles = counts.most_common(1)[0] if counts else ("", 0)
    if cycles > 1:
        first = next(b for b in raws if _read_key(b.label) == label)
        raise PlateError(
            f"{FORMAT_NAME}: kinetic read with {cycles} cycles of {first.label!r}:"
            " an endpoint ELISA needs one read per wavelength",
            file=first.section.path,
            where=first.where(),
        )


def _plate(
    blocks: list[Block], header: dict[str, str], mode: str | None, notes: list[str]
) -> PlateRead:
    meta = metadata(header, mode)
    raws = [b for b in blocks if b.kind == "raw"]
    first = raws[0]
    for b in raws[1:]:
        if b.shape != first.shape:
            raise b.error(
                f"{b.label!r} is a {b.shape[0] * b.shape[1]}-well grid but"
                f" {first.label!r} has {first.shape[0] * first.shape[1]} wells"
            )
    waves, ods, sats = [], [], []
    seen: dict[int | None, Block] = {}
    for b in raws:
        nm, extra = _wavelength(b, meta["read_mode"])
        if nm in seen:
            raise b.error(
                f"a second raw read at {nm} nm ({b.label!r} and"
                f" {seen[nm].label!r}): expected one read per wavelength"
            )
        seen[nm] = b
        meta.update(extra)
        od, sat = b.values()
        waves.append(nm)
        ods.append(od)
        sats.append(sat)
    derived: dict[str, np.ndarray] = {}
    for b in blocks:
        if b.kind == "derived" and b.shape == first.shape:
            name, k = b.label, 2
            while name in derived:
                name, k = f"{b.label} ({k})", k + 1
            derived[name] = b.numbers()
    for note in notes:
        match = re.match(r"^(?:plate|microplate name)\s*:\s*(.+)$", note, re.IGNORECASE)
        if match:
            meta.setdefault("microplate", match.group(1).strip())
    meta["first_line" if first.section.sheet is None else "sheet"] = (
        str(first.start + 1) if first.section.sheet is None else first.section.sheet
    )
    layout = carried_wells(blocks, meta)
    plate_name = meta.get("barcode") or meta.get("plate_name")
    return PlateRead(plate_name, tuple(waves), np.stack(ods), np.stack(sats), meta, layout, derived)


def _unique_names(plates: list[PlateRead]) -> tuple[PlateRead, ...]:
    counts = Counter(p.name for p in plates if p.name)
    out = []
    for k, p in enumerate(plates, start=1):
        if p.name and counts[p.name] > 1:
            p = PlateRead(
                f"{p.name} #{k}", p.wavelengths, p.od, p.saturated, p.metadata, p.layout, p.derived
            )
        out.append(p)
    return tuple(out)


def _no_data(path: Path, where: str) -> PlateError:
    return PlateError(
        f"{FORMAT_NAME}: no 'Raw Data (…)' plate grid or table found (expected a"
        " label such as 'Raw Data (450)' followed by a grid ',1,2,…,12' and rows"
        " A…H)",
        file=path,
        where=where,
    )


# ------------------------------------------------------------------ text exports


def _split_rows(text: str, path: Path) -> list[list[str]]:
    lines = text.split("\n")
    head = next((line for line in lines if line.strip()), "")
    delimiter = ","
    for d in (",", ";", "\t"):
        if d in head and any(
            re.match(r"^\s*\"?\s*(path|test)", c, re.IGNORECASE) for c in head.split(d)[1:]
        ):
            delimiter = d
            break
    rows: list[list[str]] = []
    for number, line in enumerate(lines, start=1):
        try:
            cells = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error as exc:
            raise PlateError(
                f"{FORMAT_NAME}: cannot split the line into cells ({exc})",
                file=path,
                where=f"line {number}",
            ) from None
        rows.append(text_row(cells))
    return rows


def read(text: str, path: Path) -> tuple[PlateRead, ...]:
    path = Path(path)
    rows = _split_rows(text, path)
    starts = [i for i, r in enumerate(rows) if r and USER.match(r[0])] or [0]
    starts[0] = 0
    plates = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(rows)
        sec = Section(rows, path, None, start, end)
        header, mode = header_of(sec)
        blocks = find_blocks(sec)
        _kinetic(blocks)
        if not any(b.kind == "raw" for b in blocks):
            raise _no_data(path, f"lines {start + 1}-{end}")
        notes = [n for b in blocks for n in b.notes]
        plates.append(_plate(blocks, header, mode, notes))
    return _unique_names(plates)


# ------------------------------------------------------------------ Excel exports


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value).strip()


def read_workbook(book, path: Path) -> tuple[PlateRead, ...]:
    path = Path(path)
    groups: dict[tuple, list[tuple[Section, dict[str, str], str | None, list[Block]]]] = {}
    for name, raw_rows in book.sheets.items():
        if not _sheet_is_bmg(raw_rows):
            continue
        rows = [[_cell_text(v) for v in row] for row in raw_rows]
        for row in rows:
            while row and not row[-1]:
                row.pop()
        sec = Section(rows, path, name)
        header, mode = header_of(sec)
        key = tuple(
            header.get(k, "")
            for k in ("testid", "testrunno", "testname", "date", "time", "id1", "id2", "id3")
        )
        groups.setdefault(key, []).append((sec, header, mode, find_blocks(sec)))
    if not groups:
        raise PlateError(
            f"{FORMAT_NAME}: no sheet starts with the 'User:' / 'Test ID:' header", file=path
        )
    plates = []
    for sheets in groups.values():
        every = [b for _, _, _, blocks in sheets for b in blocks]
        for _, _, _, blocks in sheets:
            _kinetic(blocks)
        grids = [b for b in every if b.origin == "grid"]
        chosen = (
            grids
            if any(b.kind == "raw" for b in grids)
            else [b for b in every if b.origin == "table"]
        )
        if not any(b.kind == "raw" for b in chosen):
            continue
        notes = [n for b in every for n in b.notes]
        for sec, _, _, _ in sheets:
            for r in range(len(sec.rows)):
                if sec.cell(r, 0).lower().startswith("microplate name") and sec.cell(r, 1):
                    notes.append(f"microplate name: {sec.cell(r, 1)}")
        _, header, mode, _ = next(s for s in sheets if s[0] is chosen[0].section)
        mode = mode or next((m for _, _, m, _ in sheets if m), None)
        plates.append(_plate(chosen, header, mode, notes))
    if not plates:
        raise _no_data(path, "every sheet")
    return _unique_names(plates)
