"""The ``softmax`` format: Molecular Devices SoftMax Pro text export ("Export ... as .txt").

A file is ``##BLOCKS= N`` then N blocks, each ending with a line ``~End``: ``Note:`` blocks (free
text), ``Plate:`` blocks (one plate section: a TAB header line with 20+ fields, then the data)
and ``Group:`` blocks (the template groups: standards, unknowns, controls, with the user's
columns). The last line names the original file and when it was saved.

Plate data come in two layouts:

- ``PlateFormat``: a header ``\\tTemperature(°C)\\t1..12`` (again ``\\t\\t1..12`` per further
  wavelength: the wavelength grids sit side by side, one empty column apart), then one line per
  plate row, without row letters; the temperature is on the first line.
- ``TimeFormat``: a header ``\\tTemperature(°C)\\tA1\\tA2...\\tH12`` and one line of all wells
  per wavelength (and per kinetic read), lines separated by blank lines.

SoftMax Pro 7 appends a reduced-data section (a header with an empty temperature cell, then the
reduced values, e.g. OD450 - OD620): kept as the derived grid ``reduced``, never as raw data.
Kinetic, spectrum and well-scan sections are refused (an endpoint ELISA needs one read per
wavelength); plate sections exported as reduced data only are refused too (no raw reads).
The group blocks give the layout the export carries and the vendor's per-well results
(see :mod:`plates.readers.softmax.groups`).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from plates.errors import PlateError
from plates.model import PlateRead
from plates.readers.softmax.groups import Group, group_results, parse_group
from plates.readers.softmax.plate_sections import Block, Section, error, read_section

FORMAT = "softmax"
SNIFF_ORDER = 20

_BLOCKS = re.compile(r"^##BLOCKS=\s*(\d+)\s*$")
_PLATE_HEADER = re.compile(r"^Plate:\t[^\t]*\t[^\t]*\t(?:PlateFormat|TimeFormat)\t")
_SAVED = re.compile(r"^Original Filename:\s*(.*?);\s*Date Last Saved:\s*(.*?)\s*$")


def sniff(text: str) -> bool:
    """``##BLOCKS= N`` on the first non-empty line, or a ``Plate:`` header naming PlateFormat or
    TimeFormat among the first 200 lines (a file whose first line was lost)."""
    lines = text.split("\n", 200)[:200]
    first = next((line.strip() for line in lines if line.strip()), "")
    if _BLOCKS.match(first):
        return True
    return any(_PLATE_HEADER.match(line) for line in lines)


# ---------------------------------------------------------------- blocks


def _blocks(lines: list[str], path: Path) -> tuple[list[Block], dict[str, str]]:
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    match = _BLOCKS.match(lines[first].strip()) if first is not None else None
    if match is None or first is None:  # (no first line means no match)
        found = lines[first].strip()[:40] if first is not None else "nothing"
        raise error(
            path,
            None if first is None else first + 1,
            f"not a SoftMax Pro export: expected '##BLOCKS= N' on the first line, found {found!r}",
        )
    declared = int(match.group(1))
    blocks: list[Block] = []
    i = first + 1
    while len(blocks) < declared:
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or _SAVED.match(lines[i].strip()):
            raise error(
                path,
                min(i + 1, len(lines)),
                f"the file ends after {len(blocks)} of the {declared} blocks that"
                f" '##BLOCKS= {declared}' announces: the file is truncated",
            )
        start = i
        kind = lines[i].split(":", 1)[0].strip() if ":" in lines[i] else ""
        if kind not in ("Plate", "Group", "Note"):
            raise error(
                path,
                i + 1,
                f"expected block {len(blocks) + 1} of {declared} to start"
                f" with 'Plate:', 'Group:' or 'Note:', found {lines[i].strip()[:40]!r}",
            )
        i += 1
        while i < len(lines) and lines[i].strip() != "~End":
            if kind != "Note" and lines[i].startswith(("Plate:\t", "Group:")):
                raise error(
                    path,
                    i + 1,
                    f"a new block starts inside block {len(blocks) + 1}"
                    f" ({kind}, from line {start + 1}): expected a line '~End' before it",
                )
            i += 1
        if i >= len(lines):
            raise error(
                path,
                len(lines),
                f"the file ends inside block {len(blocks) + 1} of"
                f" {declared} ({kind}, from line {start + 1}): expected a line '~End';"
                " the file is truncated",
            )
        blocks.append(Block(kind, start, lines[start:i], len(blocks) + 1))
        i += 1
    info: dict[str, str] = {}
    for k in range(i, len(lines)):
        text = lines[k].strip()
        if not text:
            continue
        saved = _SAVED.match(text)
        if saved:
            info["original_filename"] = saved.group(1)
            info.update(_saved_date(saved.group(2)))
            continue
        if text.startswith(("Plate:", "Group:", "Note:")) or text == "~End":
            raise error(
                path,
                k + 1,
                f"a block after the {declared} blocks that '##BLOCKS= {declared}' announces",
            )
        raise error(
            path,
            k + 1,
            "expected 'Original Filename: ...; Date Last Saved: ...' after"
            f" the last block, found {text[:40]!r}",
        )
    return blocks, info


def _saved_date(text: str) -> dict[str, str]:
    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return {"date_last_saved": dt.datetime.strptime(text, fmt).isoformat()}
        except ValueError:
            continue
    return {"date_last_saved_text": text} if text else {}


# ---------------------------------------------------------------- the file


def _positional_names(sections: list[Section]) -> dict[str, str]:
    """Names for plate sections that share a name: two exports concatenated into one file
    (each ``Plate1``) are told apart by position, ``NAME_p<N>`` with N the section's 1-based
    position among the file's plate sections. Returns duplicated name -> the warning text."""
    counts: dict[str, int] = {}
    for s in sections:
        counts[s.name] = counts.get(s.name, 0) + 1
    warnings = {}
    for name, n in counts.items():
        if n > 1:
            lines = ", ".join(str(s.block.line_no(0)) for s in sections if s.name == name)
            warnings[name] = (
                f"{n} plate sections are named {name!r} (lines {lines}): read as"
                f" {name}_p1, {name}_p2... by their position in the file"
            )
    return warnings


def read(text: str, path: Path) -> tuple[PlateRead, ...]:
    lines = text.split("\n")
    blocks, info = _blocks(lines, path)
    sections: list[Section] = []
    groups: list[Group] = []
    notes: list[str] = []
    for block in blocks:
        if block.kind == "Plate":
            sections.append(read_section(block, path))
        elif block.kind == "Group":
            group = parse_group(block.lines, block.start, path)
            group.after = len(sections) - 1 if sections else None
            groups.append(group)
        else:
            first = block.lines[0].split(":", 1)[1] if block.lines else ""
            body = " ".join(t.strip() for t in [first, *block.lines[1:]] if t.strip())
            if body:
                notes.append(body)
    if not sections:
        raise PlateError(
            "this SoftMax Pro export has no Plate: section (only groups or"
            " notes): export the plate data too",
            file=path,
        )
    duplicated = _positional_names(sections)
    names = [
        f"{s.name}_p{k}" if s.name in duplicated else s.name for k, s in enumerate(sections, 1)
    ]
    if duplicated:
        # each group belongs to the plate section it follows (its WellPlateName, if any, must
        # still name that section)
        for group in groups:
            if group.after is None:
                raise error(
                    path, group.line, f"group {group.name!r} comes before any plate section"
                )
            group.after_name = sections[group.after].name
            group.owner = names[group.after]
    shapes = {name: (s.n_rows, s.n_cols) for name, s in zip(names, sections)}
    layouts, derived, notes_layout = group_results(groups, shapes, path)
    plates = []
    for name, s in zip(names, sections):
        metadata = dict(s.metadata)
        metadata.update(info)
        if notes:
            metadata["note"] = " | ".join(notes)
        unit = next((g.unit for g in groups if g.role == "standard" and g.unit), None)
        if unit:
            metadata["conc_unit"] = unit
        if notes_layout:
            metadata["layout_note"] = "; ".join(notes_layout)
        if s.name in duplicated:
            metadata["plate_name"] = name
            metadata["plate_name_in_file"] = s.name
            metadata["warning"] = duplicated[s.name]
        metadata["first_line"] = str(s.block.line_no(0))
        plates.append(
            PlateRead(
                name or None,
                s.wavelengths,
                s.od,
                s.saturated,
                metadata,
                layouts.get(name, {}),
                {**s.derived, **derived.get(name, {})},
            )
        )
    return tuple(plates)
