"""One parser module per export format, with a registry that sniffs content.

A reader module exposes ``FORMAT`` (its name), ``sniff(text) -> bool`` and
``read(text, path) -> tuple[PlateRead, ...]``, and optionally ``SNIFF_ORDER`` (lower is tried
first, default 50; generic formats such as ``grid`` use a high number so that vendor formats,
whose files also contain grids, win). To add a format, import its module below: that is all.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import ModuleType

from plates.errors import AssayError, PlateError
from plates.model import ExportFile
from plates.textio import NotTextError, decode_text

from . import grid  # noqa: F401  (registered by import)

__all__ = ["read_export", "sniff_format", "SUPPORTED_FORMATS", "READERS"]


def _collect() -> dict[str, ModuleType]:
    modules = [m for m in globals().values()
               if isinstance(m, ModuleType) and m.__name__.startswith(__name__ + ".")
               and isinstance(getattr(m, "FORMAT", None), str)]
    modules.sort(key=lambda m: (getattr(m, "SNIFF_ORDER", 50), m.FORMAT))
    return {m.FORMAT: m for m in modules}


#: format name -> reader module, in sniffing order
READERS: dict[str, ModuleType] = _collect()
SUPPORTED_FORMATS: tuple[str, ...] = tuple(READERS)


def sniff_format(data: bytes, path: Path) -> str | None:
    """The first registered format whose ``sniff`` accepts the content, else None.

    Binary data (not decodable as text) gives None. ``path`` is for readers that need it
    (e.g. to tell a spreadsheet); the name never decides the format on its own.
    """
    try:
        text = decode_text(data).text
    except NotTextError:
        return None
    for name, module in READERS.items():
        try:
            if module.sniff(text):
                return name
        except Exception:  # a sniffer must never break detection of the other formats
            continue
    return None


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise PlateError("file not found", file=path)
    if path.is_dir():
        raise PlateError("is a directory, expected a plate export file", file=path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlateError(f"cannot be read ({exc.strerror or exc})", file=path) from None
    if not data.strip():
        raise PlateError("the file is empty", file=path)
    return data


def read_export(path: str | Path, fmt: str | None = None) -> ExportFile:
    """Read one export file; the format is sniffed from content unless ``fmt`` forces one."""
    path = Path(path)
    formats = ", ".join(SUPPORTED_FORMATS)
    if fmt is not None and fmt not in READERS:
        raise PlateError(f"unknown format {fmt!r}: supported formats are {formats}", file=path)
    data = _read_bytes(path)
    if data.startswith(b"PK\x03\x04"):
        raise PlateError("a spreadsheet or zip file (e.g. .xlsx), not a text export; no"
                         f" registered reader reads it (supported: {formats})", file=path)
    try:
        decoded = decode_text(data)
    except NotTextError as exc:
        raise PlateError(str(exc), file=path) from None
    if not decoded.text.strip():
        raise PlateError("the file is empty", file=path)
    if fmt is None:
        fmt = sniff_format(data, path)
        if fmt is None:
            raise PlateError(f"not a plate export in a known format (supported: {formats});"
                             " use --format to force one", file=path)
    try:
        plates = READERS[fmt].read(decoded.text, path)
    except AssayError:
        raise
    except (ValueError, IndexError, KeyError) as exc:  # a reader bug must still be one line
        raise PlateError(f"cannot be read as {fmt}: {exc}", file=path) from None
    if not plates:
        raise PlateError(f"no plate found in this {fmt} file", file=path)
    metadata = {"encoding": decoded.encoding}
    return ExportFile(path=path, sha256=hashlib.sha256(data).hexdigest(), format=fmt,
                      plates=tuple(plates), metadata=metadata)
