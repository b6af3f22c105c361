"""The client's side of a chunked run: which exports are bad once every file is known
(`judge_files`), and the chunks' plates put together into the Results one process gives
(`select_files`, `combine_parts`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from elisa.batch.pairing import BadFile
from elisa.cluster.chunks import ChunkPart, FileRecord
from elisa.planning import Claims
from elisa.results import TABLE_COLUMNS, TABLE_DTYPES, Results


@dataclass(frozen=True)
class FileVerdicts:
    """The run's exports judged in order (indices into the records): those whose plates are
    kept, the bad ones (read and planning errors first, then those whose reads did not fit, as
    one process reports them), and those to process again (`judge_files`)."""

    kept: tuple[int, ...]
    bad: tuple[BadFile, ...]
    again: tuple[int, ...]


def judge_files(records: Sequence[FileRecord]) -> FileVerdicts:
    """Replay, over every export of the run in order, the checks that span files: an export
    is refused for the first plate id or bytes an earlier accepted export took, met before its
    own error (`Claims`, as `Planner.plan_file` does in one process).

    An export a chunk did not fit although it is accepted here (its chunk refused it for an id
    taken by an export refused here) is listed in ``again``: it must be processed anew."""
    claims = Claims()
    kept: list[int] = []
    again: list[int] = []
    planning_bad: list[BadFile] = []
    reads_bad: list[BadFile] = []
    for index, record in enumerate(records):
        error = None
        if record.sha256 is not None:
            error = claims.conflict(record.export, record.sha256, record.plate_ids)
        error = error or record.error
        if error is not None:
            planning_bad.append(BadFile(record.export, error))
            continue
        claims.take(record.export, record.sha256 or "", record.plate_ids)
        if not record.processed:
            again.append(index)
        elif record.late_error is not None:
            reads_bad.append(BadFile(record.export, record.late_error))
        else:
            kept.append(index)
    return FileVerdicts(tuple(kept), tuple(planning_bad + reads_bad), tuple(again))


def select_files(part: ChunkPart, files: Collection[str]) -> ChunkPart:
    """The part with only the plates of the exports ``files`` (paths as given)."""
    plates = part.results.provenance["plates"]
    chosen = [i for i, p in enumerate(plates) if p["source_file"] in files]
    if len(chosen) == len(plates):
        return part
    ids = {plates[i]["plate_id"] for i in chosen}  # unique within a chunk
    tables = {
        name: _rows_of(getattr(part.results, name), ids).reset_index(drop=True)
        for name in TABLE_COLUMNS
    }
    provenance = {**part.results.provenance, "plates": [plates[i] for i in chosen]}
    results = replace(part.results, **tables, provenance=provenance)
    return ChunkPart(results, tuple(part.reads[i] for i in chosen))


def _rows_of(table: pd.DataFrame, plate_ids: set[str]) -> pd.DataFrame:
    return table[table["plate_id"].isin(plate_ids).to_numpy(dtype=bool)]


def combine_parts(
    parts: Sequence[ChunkPart], header: dict[str, Any], wavelength: int | None
) -> Results:
    """One Results from parts holding distinct plates, given in the run's plate order:
    exactly what `process` gives for all their plates in one call.

    Tables: each part's rows, ordered by plate id as `process` orders them (Python's string
    order, a plate's rows kept in their order). Provenance: ``header`` (this process's
    provenance without plates: software, time, config, settings) with the parts' plates, their
    exports and layouts in plate order, and their analytes' settings. The plate Dataset is
    stacked from the reads with unnamed reads taken at ``wavelength`` or else the first plate's
    analyte wavelength, as `process` does."""
    from plates.model import PlateRead, plate_dataset

    if not parts:
        raise ValueError("no part to combine")
    tables = {
        name: _table(name, [getattr(p.results, name) for p in parts]) for name in TABLE_COLUMNS
    }
    plates = [plate for p in parts for plate in p.results.provenance["plates"]]
    exports: dict[str, Any] = {}
    analytes: dict[str, Any] = {}
    for part in parts:
        exports.update(part.results.provenance["inputs"]["exports"])
        analytes.update(part.results.provenance["settings"]["analytes"])
    provenance = dict(header)  # its keys in their order: the JSON file's order
    provenance["inputs"] = {
        "exports": {p["source_file"]: exports[p["source_file"]] for p in plates},
        "layouts": {p["layout"]: {"sha256": p["layout_sha256"]} for p in plates},
    }
    provenance["settings"] = {
        **header["settings"],
        "analytes": {p["analyte"]: analytes[p["analyte"]] for p in plates},
    }
    provenance["plates"] = plates
    reads = [r for p in parts for r in p.reads]
    dataset = plate_dataset(
        [PlateRead(r.name, r.wavelengths, r.od, r.saturated) for r in reads],
        [r.plate_id for r in reads],
        default_wavelength=wavelength or reads[0].analyte_nm,
    )
    return Results(**tables, plates=dataset, provenance=provenance)


def _table(name: str, tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The tables one after another, then ordered by plate id (a stable sort: each plate's
    rows keep their order), with the table's dtypes."""
    filled = [t for t in tables if len(t)] or tables[:1]
    table = pd.concat(filled, ignore_index=True)
    ids = table["plate_id"].tolist()
    order = sorted(range(len(ids)), key=ids.__getitem__)
    return table.iloc[order].reset_index(drop=True).astype(TABLE_DTYPES[name])
