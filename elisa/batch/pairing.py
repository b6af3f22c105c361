"""Which files a run takes, and which layout goes with each export.

`elisa run DIR` takes the folder's exports; a quoted pattern (`'plates/*.csv'`) takes the files it
matches. Without ``--layout`` (and without ``--layout-from-export``) each export goes with the
layout of the same stem beside it (``plate7.csv`` with ``plate7.toml``); an export without one is
a bad file (`BadFile`): an error, or left out with ``--keep-going``.
"""

from __future__ import annotations

import glob
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from elisa.errors import ElisaError
from plates.errors import AssayError

PathLike = str | Path

#: Files of a folder taken as exports (case ignored): the suffixes readers' exports come with.
#: A folder's other files (layouts, notes, a store, outputs) are not exports.
EXPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
LAYOUT_SUFFIX = ".toml"
_GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class BadFile:
    """An export left out of a run (``--keep-going``) and the input error that made it bad."""

    file: Path
    error: AssayError

    @property
    def line(self) -> str:
        """One line naming the export (and the layout or line when the error names them)."""
        text = str(self.error)
        return text if str(self.file) in text else f"{self.file}: {text}"


@dataclass(frozen=True)
class PairedInputs:
    """The exports of a run in order, each with its layout (None: the layout it carries), and
    the exports found without a layout."""

    exports: list[Path]
    layouts: list[Path | None]
    bad: list[BadFile]


def find_exports(
    arguments: PathLike | Sequence[PathLike], given: Collection[str] = ()
) -> list[Path]:
    """The export files named by ``arguments``, in order: a folder gives its files ending in
    one of `EXPORT_SUFFIXES` (sorted by name, not its subfolders); a pattern with ``*``, ``?``
    or ``[`` that names no file gives its matches (sorted, layouts and folders left out); any
    other argument is taken as it is (a missing file is reported when it is read). Names in
    ``given`` are files whose bytes come from elsewhere (the store): taken as they are.
    """
    items = [arguments] if isinstance(arguments, (str, Path)) else list(arguments)
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if str(item) in given or path.is_file():
            found.append(path)
        elif path.is_dir():
            found += _folder_exports(path)
        elif _GLOB_CHARACTERS & set(str(item)):
            found += _pattern_matches(str(item))
        else:
            found.append(path)
    return found


def _folder_exports(folder: Path) -> list[Path]:
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in EXPORT_SUFFIXES
    )
    if not files:
        suffixes = ", ".join(EXPORT_SUFFIXES)
        raise ElisaError(
            f"the directory holds no plate exports (files ending {suffixes})", file=folder
        )
    return files


def _pattern_matches(pattern: str) -> list[Path]:
    matches = sorted(
        Path(m)
        for m in glob.glob(pattern, recursive=True)
        if Path(m).is_file() and Path(m).suffix.lower() != LAYOUT_SUFFIX
    )
    if not matches:
        raise ElisaError("no export file matches this pattern", file=pattern)
    return matches


def pair_inputs(
    arguments: PathLike | Sequence[PathLike],
    layout: PathLike | Sequence[PathLike] | None = None,
    *,
    layout_from_export: bool = False,
    given: Collection[str] = (),
) -> PairedInputs:
    """The exports of ``arguments`` (`find_exports`) with their layouts.

    ``layout``: one file for every export, or one per export in order; None pairs each export
    with the layout of the same stem beside it (an export without one is listed in ``bad``);
    ``layout_from_export``: every export carries its own (layout None). Usage errors (a layout
    count that fits neither rule, a pattern matching nothing) raise an ElisaError.
    """
    exports = find_exports(arguments, given)
    if not exports:
        raise ElisaError("no export given")
    if layout_from_export:
        if layout:
            raise ElisaError("give either a layout file or layout_from_export, not both")
        return PairedInputs(exports, [None] * len(exports), [])
    if layout is not None:
        return PairedInputs(exports, _given_layouts(exports, layout), [])
    paired: list[tuple[Path, Path | None]] = []
    bad = []
    for export in exports:
        beside = export.with_suffix(LAYOUT_SUFFIX)
        if beside.is_file() or str(beside) in given:
            paired.append((export, beside))
        else:
            bad.append(BadFile(export, _no_layout(export, beside)))
    return PairedInputs([e for e, _ in paired], [la for _, la in paired], bad)


def _no_layout(export: Path, beside: Path) -> ElisaError:
    return ElisaError(
        f"no layout: expected {beside.name} beside it (the same stem), or give "
        "--layout FILE, or --layout-from-export for a format that carries its layout",
        file=export,
    )


def _given_layouts(exports: list[Path], layout: PathLike | Sequence[PathLike]) -> list[Path | None]:
    paths = [Path(layout)] if isinstance(layout, (str, Path)) else [Path(x) for x in layout]
    if len(paths) == 1:
        return [paths[0]] * len(exports)
    if len(paths) != len(exports):
        raise ElisaError(
            f"{len(paths)} layouts for {len(exports)} exports: give one layout for "
            "all, or one per export in the same order"
        )
    return list(paths)
