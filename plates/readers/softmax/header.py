"""The header line of a SoftMax Pro ``Plate:`` block (see :mod:`plates.readers.softmax.plate_sections`).

The header fields (TAB-separated, 1-based): 2 plate name, 3 export version, 4 PlateFormat or
TimeFormat, 5 read type (Endpoint, Kinetic, Spectrum, Well Scan), 6 read mode (Absorbance,
Fluorescence, Luminescence; fluorescence inserts one field after it), 7 Raw or Reduced, 9 number
of reads, 15 number of wavelengths, 16 the wavelengths ("450 620 "), 17 first column, 18 number
of columns, 19 plate size, 20-21 first row and number of rows (absorbance; 29-30 luminescence,
30-31 fluorescence). Fields after the mode move one place right for fluorescence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from plates.readers.common.cells import parse_whole
from plates.readers.softmax.block import Block, error
from plates.wells import plate_shape

__all__ = ["SOFTWARE", "PlateHeader", "parse_header"]

_MODES = {
    "absorbance": "absorbance",
    "fluorescence": "fluorescence",
    "luminescence": "luminescence",
}
SOFTWARE = "SoftMax Pro"


@dataclass
class PlateHeader:
    name: str
    layout: str  # PlateFormat | TimeFormat
    read_type: str
    mode: str
    wavelengths: tuple[int | None, ...]
    first_col: int
    n_cols: int  # columns read
    first_row: int
    n_rows: int  # rows read
    plate_rows: int
    plate_cols: int
    metadata: dict[str, str]


def parse_header(block: Block, path: Path) -> PlateHeader:
    line = block.line_no(0)
    f = [c.strip() for c in block.lines[0].split("\t")]
    f += [""] * (31 - len(f))
    name = f[1]
    if f[3] not in ("PlateFormat", "TimeFormat"):
        raise error(
            path,
            line,
            f"plate {name!r}: expected the export layout PlateFormat or"
            f" TimeFormat in the 4th field of the Plate: line, found {f[3]!r}",
        )
    mode = _MODES.get(f[5].lower())
    if mode is None:
        raise error(
            path,
            line,
            f"plate {name!r}: expected the read mode Absorbance,"
            f" Fluorescence or Luminescence in the 6th field, found {f[5]!r}",
        )
    shift = next((k - 6 for k in (6, 7) if f[k] in ("Raw", "Reduced")), None)
    if shift is None:
        raise error(
            path,
            line,
            f"plate {name!r}: expected the data type Raw or Reduced in the"
            f" 7th field of the Plate: line, found {f[6]!r}",
        )
    data_type = f[6 + shift]
    read_type = f[4]
    reads = parse_whole(f[8 + shift])
    kind = read_type.lower()
    if kind == "kinetic" and (reads is None or reads > 1):
        count = f"{reads} reads" if reads is not None else "several reads"
        raise error(
            path,
            line,
            f"SoftMax Pro plate {name!r} is a kinetic read with {count} per"
            " well: an endpoint ELISA needs one read per wavelength",
        )
    if kind in ("spectrum", "well scan"):
        raise error(
            path,
            line,
            f"SoftMax Pro plate {name!r} is a {kind} read: an endpoint"
            " ELISA needs one read per wavelength of each well",
        )
    if kind not in ("endpoint", "kinetic"):
        raise error(
            path,
            line,
            f"plate {name!r}: expected the read type Endpoint, Kinetic,"
            f" Spectrum or Well Scan in the 5th field, found {read_type!r}",
        )
    if data_type == "Reduced":
        raise error(
            path,
            line,
            f"SoftMax Pro plate {name!r} was exported as reduced data only"
            " (no raw reads): export it again with the raw data",
        )
    n_waves = parse_whole(f[14 + shift])
    tokens = f[15 + shift].split()
    waves: list[int | None] = []
    for token in tokens:
        nm = parse_whole(token)
        if nm is None or not 200 <= nm <= 1100:
            if mode == "absorbance":
                raise error(
                    path,
                    line,
                    f"plate {name!r}: expected wavelengths in nm in the"
                    f" 16th field, found {f[15 + shift]!r}",
                )
            nm = None
        waves.append(nm)
    if (
        n_waves is None
        or n_waves < 1
        or (tokens and len(tokens) != n_waves)
        or (not tokens and mode == "absorbance")
    ):
        raise error(
            path,
            line,
            f"plate {name!r}: the header announces {f[14 + shift] or 'no'}"
            f" wavelengths but lists {len(tokens)} ({f[15 + shift]!r})",
        )
    if not waves:
        waves = [None] * n_waves
    first_col, n_cols, n_wells = (
        parse_whole(f[16 + shift]),
        parse_whole(f[17 + shift]),
        parse_whole(f[18 + shift]),
    )
    try:
        plate_rows, plate_cols = plate_shape(n_wells if n_wells is not None else -1)
    except ValueError:
        raise error(
            path,
            line,
            f"plate {name!r}: expected the plate size 96 or 384 in the"
            f" 19th field, found {f[18 + shift]!r}",
        ) from None
    # first row and number of rows: fields 20-21 (absorbance), 29-30 (luminescence), 30-31
    # (fluorescence, which also has the excitation wavelengths in field 21)
    at = {"absorbance": 19, "luminescence": 28, "fluorescence": 29}[mode]
    first_row, n_rows = parse_whole(f[at]) or 1, parse_whole(f[at + 1]) or plate_rows
    if (
        first_col is None
        or n_cols is None
        or first_col < 1
        or n_cols < 1
        or first_col + n_cols - 1 > plate_cols
        or first_row < 1
        or first_row + n_rows - 1 > plate_rows
    ):
        raise error(
            path,
            line,
            f"plate {name!r}: the columns/rows read ({f[16 + shift]!r},"
            f" {f[17 + shift]!r}) do not fit a {n_wells}-well plate",
        )
    metadata = {
        "software": SOFTWARE,
        "plate_name": name,
        "read_mode": mode,
        **({"excitation_nm": f[20]} if mode == "fluorescence" and f[20] else {}),
        "export_format": f[3],
        "export_version": f[2],
        "read_type": kind,
        "data_type": data_type.lower(),
    }
    return PlateHeader(
        name,
        f[3],
        kind,
        mode,
        tuple(waves),
        first_col,
        n_cols,
        first_row,
        n_rows,
        plate_rows,
        plate_cols,
        metadata,
    )
