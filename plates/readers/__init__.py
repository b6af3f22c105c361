"""Plate export readers: one folder per vendor, a registry that sniffs content.

Every reader module implements the interface of :mod:`plates.readers.base` (``FORMAT``,
``SNIFF_ORDER``, and ``sniff``/``read`` for text exports, ``sniff_workbook``/``read_workbook`` for
.xlsx). To add a format, write its module and list it in ``_TEXT`` and/or ``_WORKBOOK`` below;
mypy checks each listed module against the interface.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from plates.errors import PlateError, reading_input
from plates.limits import DEFAULT_LIMITS, InputLimits, check_file_size
from plates.model import ExportFile
from plates.readers.base import Reader, TextReader, WorkbookReader
from plates.readers.bmg import reader as bmg
from plates.readers.common.od_range import check_od_range
from plates.readers.common.workbook import Workbook, is_workbook, load_workbook
from plates.readers.envision import reader as envision
from plates.readers.gen5 import reader as gen5
from plates.readers.grid import reader as grid
from plates.readers.skanit import reader as skanit
from plates.readers.softmax import reader as softmax
from plates.readers.tecan import reader as tecan
from plates.textio import NotTextError, decode_text

__all__ = [
    "READERS",
    "SUPPORTED_FORMATS",
    "TEXT_READERS",
    "WORKBOOK_READERS",
    "read_export",
    "sniff_format",
]

T = TypeVar("T")
R = TypeVar("R", bound=Reader)


# Listed explicitly (not discovered), each checked against its interface by mypy.
_TEXT: tuple[TextReader, ...] = (bmg, envision, gen5, grid, skanit, softmax, tecan)
_WORKBOOK: tuple[WorkbookReader, ...] = (bmg, gen5, grid, skanit, tecan)


def _in_sniff_order(readers: Sequence[R]) -> dict[str, R]:
    """Format name -> reader, ascending ``SNIFF_ORDER`` then name (the order sniffers run)."""
    return {r.FORMAT: r for r in sorted(readers, key=lambda r: (r.SNIFF_ORDER, r.FORMAT))}


TEXT_READERS: dict[str, TextReader] = _in_sniff_order(_TEXT)
WORKBOOK_READERS: dict[str, WorkbookReader] = _in_sniff_order(_WORKBOOK)
#: format name -> reader module, in sniffing order
READERS: dict[str, Reader] = _in_sniff_order([*_TEXT, *_WORKBOOK])
SUPPORTED_FORMATS: tuple[str, ...] = tuple(READERS)


def _first_accepting(sniffers: Mapping[str, Callable[[T], bool]], content: T) -> str | None:
    """The first format whose sniffer accepts ``content``, else None."""
    for name, sniff in sniffers.items():
        try:
            if sniff(content):
                return name
        except (ValueError, IndexError, KeyError):
            # A sniffer tripping over another format's content (a number that does not parse,
            # a short line) means "not mine"; any other exception is a bug and propagates.
            continue
    return None


def _text_sniffers() -> dict[str, Callable[[str], bool]]:
    return {name: r.sniff for name, r in TEXT_READERS.items()}


def _workbook_sniffers() -> dict[str, Callable[[Workbook], bool]]:
    return {name: r.sniff_workbook for name, r in WORKBOOK_READERS.items()}


def sniff_format(data: bytes, path: Path) -> str | None:
    """The first registered format whose sniffer accepts the content, else None.

    ``path`` is only for error messages: the name never decides the format.
    """
    if is_workbook(data):
        try:
            book = load_workbook(data, path)
        except PlateError:
            return None
        return _first_accepting(_workbook_sniffers(), book)
    try:
        text = decode_text(data).text
    except NotTextError:
        return None
    return _first_accepting(_text_sniffers(), text)


def _read_bytes(path: Path, limits: InputLimits) -> bytes:
    if not path.exists():
        raise PlateError("file not found", file=path)
    if path.is_dir():
        raise PlateError("is a directory, expected a plate export file", file=path)
    try:
        check_file_size(path.stat().st_size, limits, PlateError, path)
        data = path.read_bytes()
    except OSError as exc:
        raise PlateError(f"cannot be read ({exc.strerror or exc})", file=path) from None
    if not data.strip():
        raise PlateError("the file is empty", file=path)
    return data


def _unknown(path: Path, kind: str) -> PlateError:
    formats = ", ".join(SUPPORTED_FORMATS)
    return PlateError(
        f"not a plate export in a known format ({kind}; supported formats: "
        f"{formats}); use --format to force one",
        file=path,
    )


def _chosen_format(
    fmt: str | None, sniffers: Mapping[str, Callable[[T], bool]], content: T, path: Path, kind: str
) -> str:
    """The forced format if its reader reads this kind of file, else the sniffed one."""
    if fmt is None:
        found = _first_accepting(sniffers, content)
        if found is None:
            raise _unknown(path, kind)
        return found
    if fmt not in sniffers:
        raise PlateError(f"the {fmt} reader does not read {kind}", file=path)
    return fmt


def read_export(
    path: str | Path,
    fmt: str | None = None,
    *,
    data: bytes | None = None,
    limits: InputLimits = DEFAULT_LIMITS,
) -> ExportFile:
    """Read one export file; the format is sniffed from content unless ``fmt`` forces one.

    ``data``: the file's bytes when they come from elsewhere (the store keeps every export's
    original bytes); ``path`` then only names it. ``limits``: file size and plates per file,
    checked before and right after reading, and the plausible OD range of absorbance reads.
    """
    path = Path(path)
    formats = ", ".join(SUPPORTED_FORMATS)
    if fmt is not None and fmt not in READERS:
        raise PlateError(f"unknown format {fmt!r}: supported formats are {formats}", file=path)
    if data is None:
        data = _read_bytes(path, limits)
    else:
        check_file_size(len(data), limits, PlateError, path)
    if not data.strip():
        raise PlateError("the file is empty", file=path)
    metadata: dict[str, str] = {}
    # Readers raise PlateError for bad input; anything else is a bug and propagates as such,
    # noted with the file (the command line reports it as an internal error, never bad input).
    if is_workbook(data):
        book = load_workbook(data, path)
        metadata["container"] = "xlsx"
        fmt = _chosen_format(fmt, _workbook_sniffers(), book, path, "a spreadsheet")
        with reading_input(path):
            plates = WORKBOOK_READERS[fmt].read_workbook(book, path)
    else:
        try:
            decoded = decode_text(data)
        except NotTextError as exc:
            raise PlateError(str(exc), file=path) from None
        if not decoded.text.strip():
            raise PlateError("the file is empty", file=path)
        metadata["encoding"] = decoded.encoding
        fmt = _chosen_format(fmt, _text_sniffers(), decoded.text, path, "a text file")
        try:
            with reading_input(path):
                plates = TEXT_READERS[fmt].read(decoded.text, path)
        except RecursionError:
            raise PlateError(f"cannot be read as {fmt}: nested too deeply", file=path) from None
    if not plates:
        raise PlateError(f"no plate found in this {fmt} file", file=path)
    if len(plates) > limits.max_plates_per_file:
        raise PlateError(
            f"{len(plates)} plates in one file, above the limit of"
            f" {limits.max_plates_per_file} ([limits] max_plates_per_file in elisa.toml):"
            " split the export",
            file=path,
        )
    export = ExportFile(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        format=fmt,
        plates=tuple(plates),
        metadata=metadata,
    )
    check_od_range(export, limits)
    return export
