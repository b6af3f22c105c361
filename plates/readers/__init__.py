"""One parser module per export format, with a registry that sniffs content.

A reader module exposes ``FORMAT`` (its name) and, for text exports, ``sniff(text) -> bool`` and
``read(text, path) -> tuple[PlateRead, ...]``; for spreadsheet exports (.xlsx),
``sniff_workbook(book) -> bool`` and ``read_workbook(book, path) -> tuple[PlateRead, ...]``
(``book`` a ``plates.readers.common.workbook.Workbook``). A module may do both. Optionally ``SNIFF_ORDER``
(lower is tried first, default 50; generic formats such as ``grid`` use a high number so that
vendor formats, whose files also contain grids, win). To add a format, import its module below:
that is all.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import ModuleType

from plates.errors import AssayError, PlateError
from plates.limits import DEFAULT_LIMITS, InputLimits, check_file_size
from plates.model import ExportFile
from plates.readers.bmg import reader as bmg  # noqa: F401  (registered by import)
from plates.readers.common.od_range import check_od_range
from plates.readers.common.workbook import is_workbook, load_workbook
from plates.readers.envision import reader as envision  # noqa: F401  (registered by import)
from plates.readers.gen5 import reader as gen5  # noqa: F401  (registered by import)
from plates.readers.grid import reader as grid  # noqa: F401  (registered by import)
from plates.readers.skanit import reader as skanit  # noqa: F401  (registered by import)
from plates.readers.softmax import reader as softmax  # noqa: F401  (registered by import)
from plates.readers.tecan import reader as tecan  # noqa: F401  (registered by import)
from plates.textio import NotTextError, decode_text

__all__ = ["READERS", "SUPPORTED_FORMATS", "read_export", "sniff_format"]


def _collect() -> dict[str, ModuleType]:
    modules = [
        m
        for m in globals().values()
        if isinstance(m, ModuleType)
        and m.__name__.startswith(__name__ + ".")
        and isinstance(getattr(m, "FORMAT", None), str)
        and (hasattr(m, "sniff") or hasattr(m, "sniff_workbook"))
    ]
    modules.sort(key=lambda m: (getattr(m, "SNIFF_ORDER", 50), m.FORMAT))
    return {m.FORMAT: m for m in modules}


#: format name -> reader module, in sniffing order
READERS: dict[str, ModuleType] = _collect()
SUPPORTED_FORMATS: tuple[str, ...] = tuple(READERS)


def _text_readers() -> dict[str, ModuleType]:
    return {n: m for n, m in READERS.items() if hasattr(m, "sniff")}


def _workbook_readers() -> dict[str, ModuleType]:
    return {n: m for n, m in READERS.items() if hasattr(m, "sniff_workbook")}


def _first_accepting(readers: dict[str, ModuleType], method: str, content: object) -> str | None:
    for name, module in readers.items():
        try:
            if getattr(module, method)(content):
                return name
        except Exception:  # a sniffer must never break detection of the other formats
            continue
    return None


def sniff_format(data: bytes, path: Path) -> str | None:
    """The first registered format whose sniffer accepts the content, else None.

    ``path`` is only for error messages: the name never decides the format.
    """
    if is_workbook(data):
        try:
            book = load_workbook(data, path)
        except PlateError:
            return None
        return _first_accepting(_workbook_readers(), "sniff_workbook", book)
    try:
        text = decode_text(data).text
    except NotTextError:
        return None
    return _first_accepting(_text_readers(), "sniff", text)


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
    if is_workbook(data):
        content: object = load_workbook(data, path)
        readers, method, reader = _workbook_readers(), "sniff_workbook", "read_workbook"
        kind = "a spreadsheet"
        metadata["container"] = "xlsx"
    else:
        try:
            decoded = decode_text(data)
        except NotTextError as exc:
            raise PlateError(str(exc), file=path) from None
        if not decoded.text.strip():
            raise PlateError("the file is empty", file=path)
        content = decoded.text
        readers, method, reader = _text_readers(), "sniff", "read"
        kind = "a text file"
        metadata["encoding"] = decoded.encoding
    if fmt is None:
        fmt = _first_accepting(readers, method, content)
        if fmt is None:
            raise _unknown(path, kind)
    elif fmt not in readers:
        raise PlateError(f"the {fmt} reader does not read {kind}", file=path)
    try:
        plates = getattr(READERS[fmt], reader)(content, path)
    except AssayError:
        raise
    except (ValueError, IndexError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        # a reader bug must still be one line naming the file
        raise PlateError(f"cannot be read as {fmt}: {exc}", file=path) from None
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
