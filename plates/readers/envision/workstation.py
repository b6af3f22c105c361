"""EnVision / EnSpire Workstation csv exports (``Plate information`` blocks).

The file is a run of plate blocks (``Plate information``, the ``Plate,Repeat,Barcode,...``
header and its value row, optional ``Background information``, then one or more grids), then a
footer from ``Basic assay information`` on (``Key,,,,Value`` lines, ``Labels:``, ``Filters:``,
``Exported with EnVision Workstation version ...``). A block whose header has ``Formula``
instead of ``Label`` holds a calculated (vendor-derived) grid. Grids either carry a ``,01,02,...``
header and row letters (export format ``Plate2``/``Plate4``) or are bare (format ``Plate``).
The field separator follows the Windows locale: ``,``, ``;`` or tab.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from plates.model import PlateRead
from plates.readers.envision.common import err, footer_value, kinetic, nm_in, split
from plates.readers.envision.dates import date_order, iso_datetime
from plates.readers.envision.workstation_blocks import PlateBlock, find_blocks


def delimiter(text: str) -> str | None:
    """The field separator: the character after ``Plate`` in the block header line."""
    m = re.search(r"^Plate information\s*\n\s*Plate([,;\t])\s*Repeat", text, re.MULTILINE)
    return m.group(1) if m else None


def sniff(text: str) -> bool:
    return delimiter(text) is not None


def _footer(
    rows: list[list[str]], start: int
) -> tuple[dict[str, str], dict[str, dict[str, str]], str]:
    """``Key,,,,Value`` pairs (first occurrence), the Labels/Filters groups, and the last line
    (``Exported with ...``)."""
    values: dict[str, str] = {}
    groups: dict[str, dict[str, str]] = {}
    section, group = "", None
    last = ""
    for cells in rows[start:]:
        cells = [c.strip() for c in cells]
        if not any(cells):
            group = None
            continue
        key = cells[0].rstrip(":").strip()
        value = footer_value(cells)
        last = " ".join(c for c in cells if c)
        if cells[0].endswith(":") and section_name(cells[0]) and not value:
            section, group = cells[0][:-1].strip().lower(), None
            continue
        if cells[0].lower().startswith("measurements:"):
            section, group = "labels", None
            values.setdefault("Technology", value)
            continue
        values.setdefault(key, value)
        if section in ("labels", "filters"):
            if group is None:
                name = f"{key} {value}" if key == "Meas" else key
                group = groups.setdefault(name, {})
            else:
                group.setdefault(key, value)
    return values, groups, last


def section_name(cell: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z .#]*:$", cell))


def _mode(block: PlateBlock, title: str, footer: dict[str, str]) -> str:
    label = block.label
    unit = (re.findall(r"\(([^()]*)\)\s*$", title) or [""])[-1].strip().lower()
    measinfo = block.info.get("Measinfo", "") or block.info.get("MeasInfo", "")
    if re.search(
        r"absorb|photometr|\bA\d{3}\b|\bOD\s?\d{3}|\babs\b", label, re.IGNORECASE
    ) or unit in ("a", "od", "abs", "absorbance"):
        return "absorbance"
    if unit == "rfu" or re.search(
        r"fluor|fluores", label + footer.get("Technology", ""), re.IGNORECASE
    ):
        return "fluorescence"
    if unit == "rlu" or re.search(r"lumin|alpha|screen", label, re.IGNORECASE):
        return "luminescence"
    ex = re.search(r"Ex=(\S+)", measinfo)
    em = re.search(r"Em=(\S+)", measinfo)
    if ex and em:
        if em.group(1) == "N/A" and ex.group(1) != "N/A":
            return "absorbance"
        if ex.group(1) == "N/A":
            return "luminescence"
        return "fluorescence"
    return "unknown"


def _wavelength(
    block: PlateBlock, title: str, mode: str, groups: dict[str, dict[str, str]]
) -> int | None:
    base = re.sub(r"\(\d+\)\s*$", "", block.label).strip()
    props = groups.get(base, {})
    channel = re.search(r"channel\s*(\d)", title)
    second = channel is not None and channel.group(1) == "2"

    def via_filter(name: str) -> int | None:
        if not name or "cutoff" in name.lower():
            return None
        return nm_in(groups.get(name, {}).get("Description", "")) or nm_in(name)

    if mode == "absorbance":
        return (
            nm_in(base)
            or nm_in(props.get("Excitation wavelength", ""))
            or via_filter(props.get("Exc. filter", ""))
        )
    if mode == "fluorescence":
        if second:
            return via_filter(props.get("2nd ems. filter", ""))
        return nm_in(props.get("Emission wavelength", "")) or via_filter(
            props.get("Ems. filter", "")
        )
    return None


def read(text: str, path: Path) -> tuple[PlateRead, ...]:
    delim = delimiter(text) or ","
    rows = [split(line, delim) for line in text.split("\n")]
    n_rows = re.search(r"^Number of rows\W+(\d+)", text, re.MULTILINE)
    n_cols = re.search(r"^Number of columns\W+(\d+)", text, re.MULTILINE)
    shape = None
    if n_rows and n_cols and (int(n_rows.group(1)), int(n_cols.group(1))) in ((8, 12), (16, 24)):
        shape = (int(n_rows.group(1)), int(n_cols.group(1)))
    blocks, footer_start = find_blocks(rows, path, shape)
    head = rows[: blocks[0].line - 1]
    footer, groups, last = _footer(head + [[]] + rows[footer_start:], 0)
    order = date_order(text)

    common: dict[str, str] = {}
    exported = re.search(r"Exported with (.*?)\s+version\s+(\S+)", last)
    if exported:
        common["software"] = exported.group(1).strip()
        common["software_version"] = exported.group(2)
        common["instrument"] = exported.group(1).replace("Workstation", "").strip()
    serial = footer.get("Serial#") or footer.get("Serial number")
    if serial:
        common["instrument_serial"] = serial
    if footer.get("Protocol Name") or footer.get("Protocol name"):
        common["protocol"] = footer.get("Protocol Name") or footer.get("Protocol name", "")
    for key, name in (
        ("Assay ID", "assay_id"),
        ("Export format", "export_format"),
        ("Name of the plate type", "plate_type"),
        ("Nickname", "instrument_name"),
    ):
        if footer.get(key):
            common[name] = footer[key]

    plates: dict[str, dict] = {}
    for block in blocks:
        number = block.info.get("Plate", "?")
        plate = plates.setdefault(number, {"reads": [], "derived": {}, "blocks": [], "repeats": {}})
        plate["blocks"].append(block)
        if block.calculated:
            name = re.split(r"\s=\s", block.info.get("Formula", "") or "calculated", maxsplit=1)[0]
            for grid in block.grids:
                values = grid.floats()
                if values is not None:
                    plate["derived"][name.strip() or grid.title] = values
            continue
        results = [
            g for g in block.grids if not g.title or g.title.lower().startswith("results for")
        ]
        if not results:
            raise err(path, f"no result grid for plate {number}, label {block.label!r}", block.line)
        saturated = next((g for g in block.grids if g.title.lower().startswith("saturated")), None)
        for grid in block.grids:
            if (
                grid in results
                or grid is saturated
                or grid.title.lower().startswith("measurement time")
            ):
                continue
            values = grid.floats()
            if values is not None:
                plate["derived"][grid.title.split(" - ")[0].strip()] = values
        for grid in results:
            od, sat = grid.parse(path)
            if saturated is not None and saturated.shape == grid.shape:
                flags = np.array(
                    [[c.strip().upper() == "SAT" for c in row] for row in saturated.cells]
                )
                sat = sat | flags
            mode = _mode(block, grid.title, footer)
            channel = (re.findall(r"channel\s*(\d+)", grid.title) or ["1"])[0]
            label_channel = (block.label, channel)
            stamp = (block.info.get("Repeat", "1"), block.info.get("Kinetics", "0"))
            plate["repeats"].setdefault(label_channel, set()).add(stamp)
            plate["reads"].append(
                (_wavelength(block, grid.title, mode, groups), od, sat, mode, block, grid)
            )

    out = []
    for number, plate in plates.items():
        for (label, _channel), stamps in plate["repeats"].items():
            if len(stamps) > 1:
                raise kinetic(path, len(stamps), "repeats", f"plate {number}, label {label}")
        if not plate["reads"]:
            raise err(
                path,
                f"plate {number} has only calculated results, no measured grid",
                plate["blocks"][0].line,
            )
        shapes = {r[1].shape for r in plate["reads"]}
        if len(shapes) > 1:
            raise err(path, f"the grids of plate {number} differ in size", plate["blocks"][0].line)
        first = next(b for b in plate["blocks"] if not b.calculated)
        modes = sorted({r[3] for r in plate["reads"]})
        meta = dict(common)
        meta["read_mode"] = "+".join(modes)
        meta["plate_number"] = number
        meta["labels"] = "; ".join(dict.fromkeys(r[4].label for r in plate["reads"]))
        barcode = first.info.get("Barcode", "")
        if barcode:
            meta["barcode"] = barcode
        when = first.info.get("Measurement date", "")
        if when:
            meta["measurement_date"] = when
            iso = iso_datetime(when, order)
            if iso:
                meta["read_time"] = iso
        for key, name in (("Chamber temperature at start", "temperature"),):
            if first.info.get(key) and first.info[key] != "N/A":
                meta[name] = first.info[key]
        derived = {
            k: v for k, v in plate["derived"].items() if v.shape == plate["reads"][0][1].shape
        }
        out.append(
            PlateRead(
                barcode or None,
                tuple(r[0] for r in plate["reads"]),
                np.stack([r[1] for r in plate["reads"]]),
                np.stack([r[2] for r in plate["reads"]]),
                meta,
                {},
                derived,
            )
        )
    return tuple(out)
