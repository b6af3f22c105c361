"""SoftMax Pro ``Group:`` blocks: the layout the export carries and the vendor's per-well results.

A group block is ``Group: NAME``, a TAB table whose columns the user chose (one row per well;
the sample name and its descriptor, e.g. the standard's concentration or the dilution, only on
the first row of each replicate set, later rows start with a space), then a ``Group Column``
table giving each column's formula (``!SampleNames``, ``!WellIDs``, ``!WellValues``,
``!SampleDescriptor``, ``!Factor``, ``!WellPlateName``, or a calculation such as
``InterpX(Std@StandardCurve,Value)``) and ``Group Summaries``.

The role of a group comes from its name (``Standards`` → standard, ``Blank`` → blank,
``Control`` → control, anything else, e.g. ``Unknowns``, → sample). ``Masked`` in a well's row
masks the well (reason ``masked in SoftMax Pro``). Calculated per-well columns (``BackCalcConc``,
``Result``, ``Conc``...) become derived grids named ``"GROUP: COLUMN"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from plates.errors import PlateError
from plates.readers.common.cells import parse_cell, parse_number
from plates.readers.softmax.group_sets import check_replicate_sets
from plates.wells import format_well, parse_well

MASK_REASON = "masked in SoftMax Pro"
_AGGREGATE = re.compile(
    r"\b(?:Average|Stdev|StdevP|Cv|Mean|Min|Max|Sum|Count|NthItem|Median"
    r"|RSquared)\s*\(",
    re.IGNORECASE,
)
_UNIT = re.compile(r"([A-Za-zµμ]+/[A-Za-zµμ]+)\s*$")


@dataclass
class Row:
    line: int  # 1-based file line
    cells: list[str]


@dataclass
class Group:
    name: str
    line: int  # 1-based line of "Group: NAME"
    role: str
    headers: list[str]
    formulas: list[str | None]
    rows: list[Row]
    unit: str | None = None
    columns: dict[str, int | None] = field(default_factory=dict)
    #: decimal places of each column (from the Group Column table), None when not stated
    decimals: list[int | None] = field(default_factory=list)
    #: index of the plate section this group follows in the file (None before any)
    after: int | None = None
    #: set when plate names are not unique: the name of the section it follows in the file,
    #: and the positional name (``NAME_p<N>``) of the plate it belongs to
    after_name: str | None = None
    owner: str | None = None


def _role(name: str) -> str:
    low = name.lower()
    if re.search(r"blank|\bblk\b", low):
        return "blank"
    if re.search(r"standard|\bstds?\b|^std|calibrat", low):
        return "standard"
    if re.search(r"control|\bctrl|\bqc\b", low):
        return "control"
    return "sample"


def _cells(text: str) -> list[str]:
    cells = [c.strip() for c in text.split("\t")]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _is_column_table(line: str) -> bool:
    return line.split("\t", 1)[0].strip() == "Group Column"


def parse_group(lines: list[str], start: int, path: Path) -> Group:
    """The group block ``lines`` (without ``~End``), its first line at 0-based index ``start``."""
    name = lines[0].split(":", 1)[1].strip()
    if len(lines) < 2 or not lines[1].strip():
        raise PlateError(
            f"group {name!r}: expected its column header after the Group: line",
            file=path,
            where=f"line {start + min(2, len(lines))}",
        )
    headers = _cells(lines[1])
    rows: list[Row] = []
    k = 2
    # the rows end at a blank line, or at the Group Column table when the blank line is missing
    # (SoftMax writes none after a last sample that has no wells)
    while k < len(lines) and lines[k].strip() and not _is_column_table(lines[k]):
        cells = [c.strip() for c in lines[k].split("\t")]
        rows.append(Row(start + k + 1, cells + [""] * (len(headers) - len(cells))))
        k += 1
    formulas: list[str | None] = [None] * len(headers)
    decimals: list[int | None] = [None] * len(headers)
    while k < len(lines) and not lines[k].strip():
        k += 1
    if k < len(lines) and not _is_column_table(lines[k]) and rows:
        # SoftMax writes the rows, one blank line, then the Group Column table: rows after a
        # blank line inside the table would be lost (their wells left empty)
        raise PlateError(
            f"group {name!r}: a blank line inside its table (expected the 'Group Column'"
            f" table after the rows), found {lines[k].strip()[:40]!r}",
            file=path,
            where=f"line {start + k + 1}",
        )
    if k < len(lines) and lines[k].split("\t", 1)[0].strip() == "Group Column":
        k += 1
        while k < len(lines) and lines[k].strip():
            cells = [c.strip() for c in lines[k].split("\t")]
            k += 1
            index = parse_number(cells[0]) if cells else None
            if index is None or len(cells) < 3 or not index.is_integer():
                continue
            i = int(index) - 1
            if 0 <= i < len(headers) and headers[i].startswith(cells[1]):
                formulas[i] = cells[2].strip('"')
                places = re.match(r"^(\d+) decimal places?$", cells[3]) if len(cells) > 3 else None
                decimals[i] = int(places.group(1)) if places else None
    group = Group(name, start + 1, _role(name), headers, formulas, rows, decimals=decimals)
    group.columns = _columns(group)
    conc = group.columns["conc"]
    if conc is not None:
        unit = _UNIT.search(headers[conc])
        group.unit = unit.group(1) if unit else None
    return group


def _find(group: Group, headers: tuple[str, ...] = (), formula: str | None = None) -> int | None:
    for i, f in enumerate(group.formulas):
        if formula is not None and f is not None and f.lower() == formula.lower():
            return i
    for i, h in enumerate(group.headers):
        if h.lower() in headers:
            return i
    return None


def _descriptor(group: Group, i: int) -> bool:
    f = group.formulas[i]
    return f is None or f.startswith("!")


def _columns(group: Group) -> dict[str, int | None]:
    well = _find(group, ("well", "wells"), "!WellIDs")
    plate = _find(group, ("wellplatename", "plate"), "!WellPlateName")
    names = _find(group, ("sample", "samples", "sample name"), "!SampleNames")
    sample = _find(group, ("sample",)) if names is not None else None
    if names is None and group.headers:
        names = 0
    taken = {well, plate, names, sample}
    dilution = conc = None
    for i, h in enumerate(group.headers):
        low = h.lower()
        if i in taken or not _descriptor(group, i):
            continue
        if group.formulas[i] is None and re.search(r"result|calc|mean|avg|\*|%", low):
            continue
        if dilution is None and re.search(r"dilution|factor|\bdil\b", low) and "name" not in low:
            dilution = i
        elif conc is None and (
            re.search(
                r"conc|standard value|std value|expected|nominal"
                r"|amount",
                low,
            )
            or (group.formulas[i] or "").startswith("!SampleDescriptor")
        ):
            conc = i
    return {
        "well": well,
        "plate": plate,
        "names": names,
        "sample": sample,
        "conc": conc,
        "dilution": dilution,
    }


def _number(path: Path, row: Row, text: str, what: str, positive: bool) -> float:
    value = parse_number(text)
    if value is None or not np.isfinite(value) or value < 0 or (positive and value == 0):
        raise PlateError(f"expected {what}, found {text!r}", file=path, where=f"line {row.line}")
    return value


def _per_well_columns(group: Group) -> list[int]:
    names = group.columns["names"]
    used = {v for v in group.columns.values() if v is not None}
    sets = [r for r in group.rows if names is not None and r.cells[names]]
    single = len(sets) == len(group.rows)
    out = []
    for i, f in enumerate(group.formulas):
        if i in used or (f is not None and f.startswith("!")):
            continue
        values = [r.cells[i] for r in group.rows if i < len(r.cells)]
        if not any(parse_number(v) is not None for v in values):
            continue
        continued = any(
            r.cells[i]
            for r in group.rows
            if names is not None and not r.cells[names] and i < len(r.cells)
        )
        if continued or (single and f is not None and not _AGGREGATE.search(f)):
            out.append(i)
    return out


def group_results(
    groups: list[Group], shapes: dict[str, tuple[int, int]], path: Path
) -> tuple[dict[str, dict[str, dict]], dict[str, dict[str, np.ndarray]], list[str]]:
    """Per plate name: the carried layout (well → fields) and the derived grids; and notes on
    groups that could not be used."""
    layouts: dict[str, dict[str, dict]] = {name: {} for name in shapes}
    derived: dict[str, dict[str, np.ndarray]] = {name: {} for name in shapes}
    owner: dict[tuple[str, str], str] = {}
    notes: list[str] = []
    plates = list(shapes)
    for group in groups:
        cols = group.columns
        if cols["well"] is None:
            notes.append(f"group {group.name!r} has no Wells column")
            continue
        if group.role == "standard" and cols["conc"] is None:
            notes.append(f"group {group.name!r} has no concentration column")
            continue
        if cols["plate"] is None and len(plates) > 1 and group.owner is None:
            notes.append(
                f"group {group.name!r} has no WellPlateName column: applied to every plate"
            )
        check_replicate_sets(group, path)
        per_well = _per_well_columns(group)
        current: dict[str, str] = {}
        without_wells: dict[str, bool] = {}  # sample name -> no well seen yet
        for row in group.rows:
            cells = row.cells
            if cols["names"] is not None and cells[cols["names"]]:
                without_wells.setdefault(cells[cols["names"]], True)
                current = {
                    key: cells[i]
                    for key in ("names", "sample", "conc", "dilution")
                    if (i := cols[key]) is not None and cells[i]
                }
            elif not current:
                raise PlateError(
                    f"group {group.name!r}: the first row has no sample name",
                    file=path,
                    where=f"line {row.line}",
                )
            well_text = cells[cols["well"]]
            if not well_text:
                continue
            without_wells[current.get("names", "")] = False
            if group.owner is not None:
                if cols["plate"] is not None and cells[cols["plate"]] != group.after_name:
                    raise PlateError(
                        f"group {group.name!r}: WellPlateName {cells[cols['plate']]!r} is not"
                        f" the plate section the group follows ({group.after_name!r})",
                        file=path,
                        where=f"line {row.line}",
                    )
                targets = [group.owner]
            elif cols["plate"] is not None:
                target = cells[cols["plate"]]
                if target not in shapes:
                    known = ", ".join(repr(p) for p in plates)
                    raise PlateError(
                        f"group {group.name!r}: WellPlateName {target!r} names no"
                        f" plate section of this file ({known})",
                        file=path,
                        where=f"line {row.line}",
                    )
                targets = [target]
            else:
                targets = plates
            fields = _fields(group, row, current, path)
            for plate in targets:
                n_rows, n_cols = shapes[plate]
                try:
                    r, c = parse_well(well_text, n_rows, n_cols)
                except ValueError as exc:
                    raise PlateError(
                        f"group {group.name!r}: {exc}", file=path, where=f"line {row.line}"
                    ) from None
                well = format_well(r, c)
                if (plate, well) in owner:
                    raise PlateError(
                        f"well {well} of plate {plate!r} is in group"
                        f" {owner[plate, well]!r} and in group {group.name!r}",
                        file=path,
                        where=f"line {row.line}",
                    )
                owner[plate, well] = group.name
                layouts[plate][well] = dict(fields)
                if len(targets) > 1:
                    continue  # the vendor's results cannot be told apart between plates
                for i in per_well:
                    key = f"{group.name}: {group.headers[i]}"
                    grid = derived[plate].setdefault(key, np.full((n_rows, n_cols), np.nan))
                    grid[r, c] = _value(cells[i])
        empty = [name for name, none in without_wells.items() if none]
        if empty:
            listed = ", ".join(repr(n) for n in empty)
            notes.append(f"group {group.name!r}: sample {listed} has no wells (left out)")
    return layouts, derived, notes


def _value(text: str) -> float:
    try:
        return parse_cell(text).value
    except ValueError:
        return np.nan


def _fields(group: Group, row: Row, current: dict[str, str], path: Path) -> dict:
    fields: dict[str, object] = {"role": group.role}
    name = current.get("sample") or current.get("names") or ""
    if group.role == "standard":
        if "conc" not in current:
            raise PlateError(
                f"group {group.name!r}: standard {name!r} has no concentration",
                file=path,
                where=f"line {row.line}",
            )
        fields["conc"] = _number(
            path, row, current["conc"], "the standard's concentration (a number >= 0)", False
        )
    elif group.role in ("sample", "control"):
        if group.role == "control" and name.isdigit():
            name = f"{group.name} {name}"
        fields["sample"] = name
        if "conc" in current and group.role == "control":
            fields["conc"] = _number(
                path,
                row,
                current["conc"],
                "the control's expected concentration (a number >= 0)",
                False,
            )
        if "dilution" in current:
            fields["dilution"] = _number(
                path, row, current["dilution"], "a dilution factor (a number > 0)", True
            )
    if any(c.lower() == "masked" for c in row.cells):
        fields["mask"] = MASK_REASON
    return fields
