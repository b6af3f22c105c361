"""What a worker does with one chunk of a run: read, plan, fit, back-calculate and judge its
exports (`process_chunk`), and say about each export what the client needs to check what spans
files (`FileRecord`).

Each export is planned on its own (`Planner.plan_alone`); the checks across files are made
within the chunk only (two of its exports with one plate id cannot both be fitted) and again by
the client over every export of the run, in order (`elisa.cluster.combine.judge_files`). Every
value sent back pickles (plain data, tables, AssayErrors): the parsed exports do not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from elisa.batch.pairing import BadFile
from elisa.config import Config
from elisa.errors import ElisaError
from elisa.pipeline import results_of_plan
from elisa.planning import Claims, Planner, PlanPlate
from elisa.results import Results
from plates.errors import AssayError
from plates.readers import read_export

#: One pair of a run as sent to a worker: the export and its layout (None: the export's own),
#: both as the user gave them (relative to `ChunkOptions.folder`).
Pair = tuple[str, str | None]


@dataclass(frozen=True, kw_only=True)
class ChunkOptions:
    """The settings every chunk of one run is processed with (those of `process`).

    ``now``: the run's processing time, the same for every chunk; ``folder``: the client's
    working folder, against which relative paths are read when a worker's differs.
    """

    analyte: str | None
    config: Config
    fmt: str | None
    wavelength: int | None
    reference: int | None
    masks: Mapping[str, Mapping[str, str]]
    now: dt.datetime
    folder: str


@dataclass(frozen=True)
class FileRecord:
    """One export of a chunk: its bytes' SHA-256 (None when it could not be read), the plate
    ids its planning settled (`FileAttempt.plate_ids`), the error of reading or planning it on
    its own, whether its plates were fitted in this chunk (False also when another export of
    the chunk had taken one of its ids), and the error of choosing its plates' reads."""

    export: Path
    sha256: str | None
    plate_ids: tuple[str, ...]
    error: AssayError | None
    processed: bool
    late_error: AssayError | None = None


@dataclass(frozen=True)
class PlateData:
    """A fitted plate's reads, for the client to stack the run's plate Dataset as one process
    does (`plates.model.plate_dataset`); ``analyte_nm``: its analyte's wavelength."""

    plate_id: str
    name: str | None
    wavelengths: tuple[int | None, ...]
    od: np.ndarray
    saturated: np.ndarray
    analyte_nm: int


@dataclass(frozen=True)
class ChunkPart:
    """Results of some plates without their Dataset (``results.plates`` empty), and their
    reads in the order of ``results.provenance["plates"]``."""

    results: Results
    reads: tuple[PlateData, ...]


@dataclass(frozen=True)
class ChunkResult:
    """A chunk's exports in order and the part its fitted plates make (None when none was);
    of the plates it planned (fitted or not): their analytes' wavelengths (nm) and whether any
    has a read without a wavelength (`elisa.cluster.session.needs_one_process`)."""

    files: tuple[FileRecord, ...]
    part: ChunkPart | None
    analyte_nms: frozenset[int] = frozenset()
    unnamed_reads: bool = False


def process_chunk(pairs: Sequence[Pair], options: ChunkOptions) -> ChunkResult:
    """Process ``pairs`` as `elisa.pipeline.process` would, except that a bad export (its
    AssayError) is recorded instead of raised and the checks across files span the chunk only.
    Any other exception (also an AssayError raised outside reading and planning, as one process
    raises it) propagates and aborts the run."""
    cfg = options.config
    sources = _sources(pairs, options.folder)
    fallback_dates = (options.now.isoformat(timespec="seconds"), None)
    planner = Planner(cfg, options.analyte, fallback_dates, sources, options.masks)
    within = Claims()
    records: list[FileRecord] = []
    plan: list[PlanPlate] = []
    for export_name, layout_name in pairs:
        path = Path(export_name)
        try:
            export = read_export(path, options.fmt, data=sources.get(str(path)), limits=cfg.limits)
        except AssayError as exc:
            records.append(FileRecord(path, None, (), exc, False))
            continue
        attempt = planner.plan_alone(export, None if layout_name is None else Path(layout_name))
        fits = attempt.error is None and (
            within.conflict(path, export.sha256, attempt.plate_ids) is None
        )
        if fits:
            within.take(path, export.sha256, attempt.plate_ids)
            plan += attempt.plates
        records.append(FileRecord(path, export.sha256, attempt.plate_ids, attempt.error, fits))
    if not plan:
        return ChunkResult(tuple(records), None)
    planned = {
        "analyte_nms": frozenset(p.analyte.wavelength for p in plan),
        "unnamed_reads": any(None in p.read.wavelengths for p in plan),
    }
    late: dict[Path, AssayError] = {}

    def left_out(bad: BadFile) -> None:
        late.setdefault(bad.file, bad.error)

    try:
        results = results_of_plan(
            plan, cfg, options.wavelength, options.reference, options.now, left_out
        )
    except ElisaError:
        if not {p.export.path for p in plan} <= set(late):  # not "every one was a bad file"
            raise
        results = None
    records = [dataclasses.replace(r, late_error=late.get(r.export)) for r in records]
    if results is None:
        return ChunkResult(tuple(records), None, **planned)
    reads = tuple(
        PlateData(
            p.plate_id,
            p.read.name,
            tuple(p.read.wavelengths),
            np.asarray(p.read.od),
            np.asarray(p.read.saturated),
            p.analyte.wavelength,
        )
        for p in plan
        if p.export.path not in late
    )
    import xarray as xr  # loaded by the pipeline already

    without_dataset = dataclasses.replace(results, plates=xr.Dataset())
    return ChunkResult(tuple(records), ChunkPart(without_dataset, reads), **planned)


def _sources(pairs: Sequence[Pair], folder: str) -> dict[str, bytes]:
    """The bytes of the chunk's files named relative to the client's folder, when this worker
    works in another one (a worker on another machine); empty on the client's own folder, where
    the files are read as one process reads them. A file missing there is left to the reader
    (which names it as missing)."""
    if Path(os.getcwd()).resolve() == Path(folder).resolve():
        return {}
    sources = {}
    for export, layout in pairs:
        for name in (export, layout):
            if name is not None and not Path(name).is_absolute():
                path = Path(folder) / name
                if path.is_file():
                    sources[str(Path(name))] = path.read_bytes()
    return sources
