"""The project's error hierarchy: one root, subclassed per package.

Every error says where the problem is (file, and line or well) and what was expected, in words a
technician understands. The CLI prints ``str(error)`` as one line and exits with code 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


#: prefix of the note that names the input file an unexpected exception came from
INPUT_NOTE = "while reading input file: "


@contextmanager
def reading_input(path: str | PathLike[str]) -> Iterator[None]:
    """Name ``path`` on any unexpected exception raised inside (a note, PEP 678).

    Input errors already name their file and pass untouched; anything else is a bug, which
    propagates as it is, carrying the file it happened on so that the command line can say so.
    Only the innermost file is noted."""
    try:
        yield
    except AssayError:
        raise
    except Exception as exc:
        if input_file_of(exc) is None:
            exc.add_note(f"{INPUT_NOTE}{path}")
        raise


def input_file_of(exc: BaseException) -> str | None:
    """The input file noted by `reading_input` on ``exc``, if any."""
    for note in getattr(exc, "__notes__", ()):
        if isinstance(note, str) and note.startswith(INPUT_NOTE):
            return note.removeprefix(INPUT_NOTE)
    return None
