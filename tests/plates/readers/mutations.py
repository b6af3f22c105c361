"""Helpers shared by the reader tests: files of ../shared/formats (skipped when absent), the
common checks of an EXPECTED row, and mutations of real files (bytes, or the rows of a
workbook sheet) after which a reader may raise nothing but an AssayError."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import strategies as st

from plates.errors import AssayError, PlateError
from plates.readers import read_export
from plates.readers.common.workbook import Workbook

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared" / "formats"
PLATES = REPO / "fixtures" / "plates"

#: byte mutations of a whole file
KINDS = ("truncate", "delete_line", "flip", "insert")
#: a mutation and the seed of its random choices
MUTATIONS = st.tuples(st.sampled_from(KINDS), st.integers(0, 2**32 - 1))


def shared(relative: str) -> Path:
    """A file of ../shared/formats; the test is skipped when the folder or the file is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared/formats is absent")
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"{relative} is not in ../shared/formats")
    return path


def other_files(folder: str, suffixes: Sequence[str]) -> list[Path]:
    """The files of ../shared/formats outside ``folder`` (and LICENSES) with one of the
    suffixes, and the project's plain plate grids: what a reader's sniffer must not claim."""
    if not SHARED.is_dir():
        pytest.skip("../shared/formats is absent")
    others = [
        p
        for p in sorted(SHARED.rglob("*"))
        if p.is_file()
        and p.parent.name not in (folder, "LICENSES")
        and p.suffix.lower() in suffixes
    ]
    return others + sorted(PLATES.glob("*.csv"))


def read_row(row: tuple):
    """Read the file of an EXPECTED row ``(relative, format, plates, wells per plate,
    wavelengths, refused because)``. A refused file must raise a PlateError matching the
    reason (None is returned); otherwise the export is returned once its format, number of
    plates and wells per plate are checked."""
    relative, fmt, n_plates, n_wells, _, refused = row
    path = shared(relative)
    if refused is not None:
        with pytest.raises(PlateError, match=refused):
            read_export(path)
        return None
    export = read_export(path)
    assert export.format == fmt
    assert len(export.plates) == n_plates
    for plate in export.plates:
        assert plate.n_rows * plate.n_cols == n_wells
    return export


def mutate(data: bytes, kind: str, rng: random.Random, junk: Sequence[bytes] = ()) -> bytes:
    """``data`` truncated, without one line, with one line twice, with 1-8 bytes changed, or
    with junk inserted (random bytes, or one of ``junk`` half of the time)."""
    if not data:
        return data
    if kind == "truncate":
        return data[: rng.randrange(len(data) + 1)]
    if kind in ("delete_line", "duplicate_line"):
        lines = data.split(b"\n")
        k = rng.randrange(len(lines))
        lines[k : k + 1] = [] if kind == "delete_line" else [lines[k], lines[k]]
        return b"\n".join(lines)
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    inserted = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
    if junk and rng.random() < 0.5:
        inserted = rng.choice(list(junk))
    k = rng.randrange(len(data) + 1)
    return data[:k] + inserted + data[k:]


def read_all_ways(path: Path, fmt: str) -> None:
    """Read ``path`` as ``fmt`` and as sniffed: only an AssayError may escape the reader."""
    for each in (fmt, None):
        try:
            read_export(path, fmt=each)
        except AssayError:
            pass


def read_bytes_all_ways(data: bytes, suffix: str, fmt: str) -> None:
    """:func:`read_all_ways` on ``data`` written to a file ending in ``suffix``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"mutant{suffix}"
        path.write_bytes(data)
        read_all_ways(path, fmt)


def mutate_rows(
    rows: Sequence[Sequence],
    kind: str,
    rng: random.Random,
    values: Sequence = (None,),
    width: int | None = None,
) -> list[list]:
    """A copy of a sheet's rows with one change: ``delete_row``, ``cut`` (the rows from one
    on), ``insert_row`` (an empty one), ``duplicate_row``, ``cut_row`` (the cells from one on)
    or ``set_cell`` (one of ``values`` in a cell of the row or up to two cells after it; within
    the first ``width`` columns when given)."""
    out = [list(r) for r in rows]
    if not out:
        return out
    k = rng.randrange(len(out))
    if kind == "delete_row":
        del out[k]
    elif kind == "cut":
        del out[k:]
    elif kind == "insert_row":
        out.insert(k, [])
    elif kind == "duplicate_row":
        out.insert(k, list(out[k]))
    elif kind == "cut_row":
        out[k] = out[k][: rng.randrange(len(out[k]) + 1)]
    else:
        c = rng.randrange(width if width else max(len(out[k]), 1) + 2)
        out[k] += [None] * (c + 1 - len(out[k]))
        out[k][c] = rng.choice(list(values))
    return out


def with_rows(book: Workbook, sheet: str, rows: Sequence[Sequence]) -> Workbook:
    """``book`` with the rows of ``sheet`` replaced."""
    return Workbook({**book.sheets, sheet: tuple(tuple(r) for r in rows)})


def read_workbook_only(reader, book: Workbook, path: Path, allowed=AssayError) -> None:
    """A reader module's ``read_workbook`` on ``book`` when its ``sniff_workbook`` claims it:
    only ``allowed`` errors may escape."""
    try:
        if reader.sniff_workbook(book):
            reader.read_workbook(book, path)
    except allowed:
        pass
