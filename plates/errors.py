"""The project's error hierarchy: one root, subclassed per package.

Every error says where the problem is (file, and line or well) and what was expected, in words a
technician understands. The CLI prints ``str(error)`` as one line and exits with code 2.
"""

from __future__ import annotations

from os import PathLike


class AssayError(ValueError):
    """Root of every input error the toolkit raises.

    ``file`` is the offending file (if any), ``where`` a line, cell or well within it.
    """

    def __init__(
        self, message: str, *, file: str | PathLike[str] | None = None, where: str | None = None
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.where = where
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.where) if p]
        prefix = ": ".join(parts)
        text = f"{prefix}: {self.message}" if prefix else self.message
        return " ".join(text.split())  # always one line


class PlateError(AssayError):
    """A plate export cannot be read."""


class LayoutError(AssayError):
    """A plate layout is invalid or does not fit the plate."""
