"""The reader interface every vendor module implements (checked by mypy at the registry).

A reader is a module. For text exports it defines ``sniff(text) -> bool`` (does this content
look like my format?) and ``read(text, path) -> tuple[PlateRead, ...]``; for spreadsheet exports
(.xlsx) ``sniff_workbook(book) -> bool`` and ``read_workbook(book, path)``, where ``book`` is a
:class:`plates.readers.common.workbook.Workbook`. A module may do both. Every reader names its
``FORMAT`` and its ``SNIFF_ORDER``: sniffers run in ascending order (then by name), so generic
formats such as ``grid`` (90) come after the vendor formats whose files also contain grids (50).

Contract: ``read`` raises :class:`plates.errors.PlateError` naming the file (and line, cell or
well) for content it cannot accept; any other exception is a bug, reported as an internal error.
``sniff`` only looks and never raises for foreign content; ``path`` only names the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from plates.model import PlateRead
from plates.readers.common.workbook import Workbook

#: the order of a vendor format that no other format's file could be mistaken for
DEFAULT_SNIFF_ORDER = 50


class Reader(Protocol):
    """What every reader module names: its format and its place in the sniffing order."""

    FORMAT: str
    SNIFF_ORDER: int


class TextReader(Reader, Protocol):
    """A reader of text exports (any delimiter, decoded by :mod:`plates.textio`)."""

    def sniff(self, text: str) -> bool: ...

    def read(self, text: str, path: Path) -> tuple[PlateRead, ...]: ...


class WorkbookReader(Reader, Protocol):
    """A reader of .xlsx exports."""

    def sniff_workbook(self, book: Workbook) -> bool: ...

    def read_workbook(self, book: Workbook, path: Path) -> tuple[PlateRead, ...]: ...
