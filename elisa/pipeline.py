"""The one place that sequences plates → elisa → qc: `process` turns exports into Results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from elisa.batch.pairing import BadFile, pair_inputs
from elisa.batch.progress import NO_PROGRESS, Progress
from elisa.config import Config, Rules, load_config
from elisa.errors import ElisaError
from elisa.files.provenance import provenance_record
from elisa.fit.fitter import CurveFit
from elisa.fit.request import fit_curves
from elisa.planning import Planner, PlanPlate
from elisa.reduction.plate import PlateInput, PlateReduction, curve_request, reduce_plate
from elisa.reduction.tables import (
    RunInfo,
    curve_row,
    group_reassay_rows,
    run_row,
    sample_columns,
    standard_columns,
    well_columns,
)
from elisa.reduction.wavelengths import choose_reads
from elisa.results import TABLE_COLUMNS, Results, typed_columns
from plates.errors import AssayError
from plates.model import plate_dataset
from plates.readers import read_export

PathLike = str | Path


def process(
    exports: PathLike | Sequence[PathLike],
    layout: PathLike | Sequence[PathLike] | None = None,
    *,
    analyte: str | None = None,
    config: Config | PathLike | None = None,
    fmt: str | None = None,
    wavelength: int | None = None,
    reference: int | None = None,
    layout_from_export: bool = False,
    masks: Mapping[str, Mapping[str, str]] | None = None,
    sources: Mapping[str, bytes] | None = None,
    now: dt.datetime | None = None,
    default_run_date: str | None = None,
    on_bad_file: Callable[[BadFile], None] | None = None,
    progress: Progress = NO_PROGRESS,
) -> Results:
    """Read, fit, back-calculate and judge every plate of ``exports``.

    ``exports``: files, folders (their exports) or patterns (`elisa.batch.pairing`).
    ``layout``: one wellmap file for every export, or one per export (paired by position); None
    pairs each export with the layout of the same stem beside it (``plate7.csv`` with
    ``plate7.toml``); ``layout_from_export`` takes the layout each export carries instead (Gen5,
    SoftMax Pro). ``masks``: plate id → well → reason, masks recorded after the fact
    (`elisa mask`), added to the layout's own. ``sources``: file path (as given) → bytes, to
    process stored originals. ``default_run_date``: the run date when neither layout nor export
    gives one (else the processing time); re-processing a stored plate keeps its run date this
    way (:mod:`elisa.run_date`). Two exports with the same bytes are refused (one plate read
    twice under two names). All inputs are validated before anything is computed; bad input
    raises an AssayError, unless ``on_bad_file`` is given: an export that cannot be processed
    (unreadable, without a usable layout, a plate id already taken, ...) is then handed to it as
    a `BadFile` and left out with all its plates, and the others are processed (an error still
    when none is left). ``progress`` counts the exports read and the plates fitted.
    """
    now = now or dt.datetime.now(dt.UTC)
    cfg = config if isinstance(config, Config) else load_config(config)
    sources = sources or {}
    paired = pair_inputs(exports, layout, layout_from_export=layout_from_export, given=sources)
    report = _bad_file_handler(on_bad_file)
    for bad in paired.bad:
        report(bad)
    planner = Planner(
        cfg,
        analyte,
        (now.isoformat(timespec="seconds"), default_run_date),
        sources,
        masks or {},
    )
    plan: list[PlanPlate] = []
    with progress.stage("reading exports", len(paired.exports), "file") as advance:
        for path, layout_path in zip(paired.exports, paired.layouts, strict=True):
            try:
                export = read_export(path, fmt, data=sources.get(str(path)), limits=cfg.limits)
                plan += planner.plan_file(export, layout_path)
            except AssayError as exc:
                report(BadFile(path, exc))
            advance()
    return results_of_plan(plan, cfg, wavelength, reference, now, report, progress)


def results_of_plan(
    plan: list[PlanPlate],
    cfg: Config,
    wavelength: int | None,
    reference: int | None,
    now: dt.datetime,
    report: Callable[[BadFile], None],
    progress: Progress = NO_PROGRESS,
) -> Results:
    """Fit, back-calculate and judge the planned plates (the second half of `process`); an
    export whose plates' reads do not fit is handed to ``report`` (which may raise)."""
    plan, dataset, inputs = _plate_inputs(plan, wavelength, reference, report)
    first_fits = _batched_fits([plate_input for plate_input, _ in inputs], cfg.rules, progress)
    reductions, infos, settings = [], [], []
    with progress.stage("fitting plates", len(plan), "plate") as advance:
        for item, (plate_input, reads), first_fit in zip(plan, inputs, first_fits, strict=True):
            reductions.append(reduce_plate(plate_input, cfg.rules, first_fit))
            infos.append(
                RunInfo(
                    item.run_date.value,
                    item.layout.expt.get("lot"),
                    str(item.export.path),
                    item.export.sha256,
                )
            )
            settings.append(reads)
            advance()
    tables = _tables(reductions, infos)
    record = provenance_record(plan, reductions, settings, cfg, now)
    return Results(**tables, plates=dataset, provenance=record)


def _bad_file_handler(on_bad_file: Callable[[BadFile], None] | None) -> Callable[[BadFile], None]:
    """Raise a bad file's error (the default), or hand it to ``on_bad_file``."""

    def raise_it(bad: BadFile) -> None:
        raise bad.error

    return raise_it if on_bad_file is None else on_bad_file


def _plate_inputs(
    plan: list[PlanPlate],
    measurement: int | None,
    reference: int | None,
    report: Callable[[BadFile], None],
) -> tuple[list[PlanPlate], Any, list[tuple[PlateInput, dict]]]:
    """The plates stacked on the plate dimension and each plate's reads chosen. A plate whose
    reads do not fit (no read at the wavelength wanted) makes its export bad: the export's
    plates are left out and the rest stacked again (`report` raises when no bad file is
    allowed)."""
    while True:
        if not plan:
            raise ElisaError("no export could be processed: every one was a bad file")
        dataset = plate_dataset(
            [p.read for p in plan],
            [p.plate_id for p in plan],
            default_wavelength=measurement or plan[0].analyte.wavelength,
        )
        reads = _StackedReads(dataset)
        inputs, bad_exports = [], set()
        for item in plan:
            if item.export.path in bad_exports:
                continue
            try:
                inputs.append(_plate_input(item, reads, measurement, reference))
            except AssayError as exc:
                report(BadFile(item.export.path, exc))
                bad_exports.add(item.export.path)
        if not bad_exports:
            return plan, dataset, inputs
        plan = [p for p in plan if p.export.path not in bad_exports]


def _batched_fits(
    plates: list[PlateInput], rules: Rules, progress: Progress
) -> list[CurveFit | None]:
    """With the batched fitter, every plate's standard curve in one call (else fitted per plate)."""
    if rules.fitter != "batched":
        return [None] * len(plates)
    with progress.stage("fitting curves (batched)", len(plates), "curve") as advance:
        fits = list(fit_curves([curve_request(p, rules) for p in plates], "batched"))
        for _ in fits:  # one call: the bar fills when it returns
            advance()
    return fits


class _StackedReads:
    """The stacked plates' reads as numpy arrays, taken out of the Dataset once: a plate's
    reads are then array slices (an xarray selection per plate and wavelength costs about as
    much as the rest of reducing the plate)."""

    def __init__(self, dataset: Any) -> None:
        self.od_raw = dataset["od_raw"].transpose("plate", "wavelength", "row", "col").values
        self.saturated = dataset["saturated"].transpose("plate", "wavelength", "row", "col").values
        self.wavelengths = [int(w) for w in dataset["wavelength"].values]
        self.plate_index = {str(p): i for i, p in enumerate(dataset["plate"].values)}


def _plate_input(
    item: PlanPlate, reads: _StackedReads, measurement: int | None, reference: int | None
) -> tuple[PlateInput, dict]:
    index = reads.plate_index[item.plate_id]
    n_rows, n_cols = item.read.n_rows, item.read.n_cols
    od_raw = reads.od_raw[index, :, :n_rows, :n_cols]  # wavelength, row, col
    saturated_at = reads.saturated[index, :, :n_rows, :n_cols]
    available = [
        w
        for k, w in enumerate(reads.wavelengths)
        if np.isfinite(od_raw[k]).any() or saturated_at[k].any()
    ]
    wanted = measurement or item.analyte.wavelength
    m_nm, r_nm = choose_reads(
        available, wanted, reference, source=str(item.export.path), plate_id=item.plate_id
    )
    m = reads.wavelengths.index(m_nm)
    od = od_raw[m].ravel()
    saturated = saturated_at[m].ravel()
    od_ref = None
    if r_nm is not None:
        r = reads.wavelengths.index(r_nm)
        od_ref = od_raw[r].ravel()
        saturated = saturated | saturated_at[r].ravel()
    return (
        PlateInput(
            plate_id=item.plate_id,
            analyte=item.analyte,
            wells=item.layout.wells,
            od_raw=od,
            od_reference=od_ref,
            saturated=saturated,
        ),
        {"wavelength_nm": m_nm, "reference_nm": r_nm},
    )


def _tables(reductions: list[PlateReduction], infos: list[RunInfo]) -> dict[str, pd.DataFrame]:
    """The six result tables, plate after plate in plate id order."""
    by_plate = sorted(zip(reductions, infos), key=lambda pair: pair[0].plate.plate_id)
    ordered = [r for r, _ in by_plate]
    reassay = [row for r in ordered for row in group_reassay_rows(r)]
    columns: dict[str, Mapping[str, Sequence[Any] | np.ndarray]] = {
        "samples": sample_columns(ordered),
        "standards": standard_columns(ordered),
        "curves": _columns_of("curves", [curve_row(r) for r in ordered]),
        "wells": well_columns(ordered),
        "runs": _columns_of("runs", [run_row(r, info) for r, info in by_plate]),
        "reassay": _columns_of("reassay", reassay),
    }
    return {name: typed_columns(name, columns[name]) for name in TABLE_COLUMNS}


def _columns_of(name: str, rows: list[dict]) -> dict[str, list]:
    """The rows of table ``name`` (dicts by column) by column."""
    return {column: [row[column] for row in rows] for column in TABLE_COLUMNS[name]}
