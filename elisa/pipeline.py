"""The one place that sequences plates → elisa → qc: `process` turns exports into Results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from elisa.analytes import Analyte
from elisa.config import Config, Rules, load_config
from elisa.errors import ElisaError
from elisa.files.provenance import provenance_record
from elisa.fit.fitter import CurveFit
from elisa.fit.request import fit_curves
from elisa.reduction.plate import PlateInput, PlateReduction, curve_request, reduce_plate
from elisa.reduction.tables import (
    RunInfo,
    curve_row,
    group_reassay_rows,
    run_row,
    sample_rows,
    standard_rows,
    well_rows,
)
from elisa.reduction.wavelengths import choose_reads
from elisa.results import TABLE_COLUMNS, Results, typed_table
from elisa.run_date import RunDate, choose_run_date
from elisa.units import UnitConversion, conversion_factor
from plates.layout.loader import PlateLayout, carried_layout, layout_for_plate, load_layout
from plates.model import ExportFile, PlateRead, plate_dataset
from plates.readers import read_export

PathLike = str | Path


@dataclass(frozen=True, kw_only=True)
class PlanPlate:
    """One plate with everything decided before any computation."""

    export: ExportFile
    read: PlateRead
    layout: PlateLayout
    plate_id: str
    analyte: Analyte
    run_date: RunDate
    unit_conversion: UnitConversion | None  # the layout's conc values converted, if they were


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
) -> Results:
    """Read, fit, back-calculate and judge every plate of ``exports``.

    ``layout``: one wellmap file for every export, or one per export (paired by position);
    ``layout_from_export`` takes the layout each export carries instead (Gen5, SoftMax Pro).
    ``masks``: plate id → well → reason, masks recorded after the fact (`elisa mask`), added to
    the layout's own. ``sources``: file path (as given) → bytes, to process stored originals.
    ``default_run_date``: the run date when neither layout nor export gives one (else the
    processing time); re-processing a stored plate keeps its run date this way
    (:mod:`elisa.run_date`). Two exports with the same bytes are refused (one plate read twice
    under two names). All inputs are validated before anything is computed; bad input raises an
    AssayError.
    """
    now = now or dt.datetime.now(dt.UTC)
    export_paths = (
        [Path(exports)] if isinstance(exports, (str, Path)) else [Path(e) for e in exports]
    )
    if not export_paths:
        raise ElisaError("no export given")
    cfg = config if isinstance(config, Config) else load_config(config)
    if layout_from_export and layout is not None:
        raise ElisaError("give either a layout file or layout_from_export, not both")
    layouts = (
        [None] * len(export_paths) if layout_from_export else _pair_layouts(export_paths, layout)
    )
    sources = sources or {}
    files = [read_export(p, fmt, data=sources.get(str(p)), limits=cfg.limits) for p in export_paths]
    plan = _plan(
        files,
        layouts,
        cfg,
        analyte,
        (now.isoformat(timespec="seconds"), default_run_date),
        sources,
        masks or {},
    )
    measurement = wavelength
    dataset = plate_dataset(
        [p.read for p in plan],
        [p.plate_id for p in plan],
        default_wavelength=measurement or plan[0].analyte.wavelength,
    )
    inputs = [_plate_input(item, dataset, measurement, reference) for item in plan]
    first_fits = _batched_fits([plate_input for plate_input, _ in inputs], cfg.rules)
    reductions, infos, settings = [], [], []
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
    tables = _tables(reductions, infos)
    record = provenance_record(plan, reductions, settings, cfg, now)
    return Results(**tables, plates=dataset, provenance=record)


def _batched_fits(plates: list[PlateInput], rules: Rules) -> list[CurveFit | None]:
    """With the batched fitter, every plate's standard curve in one call (else fitted per plate)."""
    if rules.fitter != "batched":
        return [None] * len(plates)
    return list(fit_curves([curve_request(p, rules) for p in plates], "batched"))


def _pair_layouts(exports: list[Path], layout: PathLike | Sequence[PathLike] | None) -> list[Path]:
    if layout is None:
        raise ElisaError("a plate layout is needed: give --layout FILE (a wellmap TOML file)")
    paths = [Path(layout)] if isinstance(layout, (str, Path)) else [Path(x) for x in layout]
    if len(paths) == 1:
        return paths * len(exports)
    if len(paths) != len(exports):
        raise ElisaError(
            f"{len(paths)} layouts for {len(exports)} exports: give one layout for "
            "all, or one per export in the same order"
        )
    return paths


def _plan(
    files: list[ExportFile],
    layouts: list[Path | None],
    cfg: Config,
    analyte: str | None,
    fallback_dates: tuple[str, str | None],
    sources: Mapping[str, bytes],
    masks: Mapping[str, Mapping[str, str]],
) -> list[PlanPlate]:
    plan: list[PlanPlate] = []
    loaded: dict[tuple[Path, int, int], dict] = {}
    seen: dict[str, str] = {}
    by_bytes: dict[str, tuple[Path, str]] = {}
    for export, layout_path in zip(files, layouts):
        for index, read in _absorbance_plates(export):
            if layout_path is None:
                lay = _carried_layout(export, read)
            else:
                key = (layout_path, read.n_rows, read.n_cols)
                if key not in loaded:
                    loaded[key] = load_layout(
                        layout_path,
                        read.n_rows,
                        read.n_cols,
                        data=sources.get(str(layout_path)),
                        limits=cfg.limits,
                    )
                lay = layout_for_plate(loaded[key], read.name)
            plate_id = _plate_id(export, read, lay, index)
            _refuse_duplicate_export(export, plate_id, by_bytes)
            if plate_id in seen:
                raise ElisaError(
                    f"two plates have the id {plate_id!r} ({seen[plate_id]} and "
                    f"{export.path}); give each layout its own [expt] plate_id",
                    file=export.path,
                )
            seen[plate_id] = str(export.path)
            chosen = _analyte(analyte, lay, cfg)
            lay, conversion = _convert_units(lay, chosen, plate_id)
            lay = _apply_masks(lay, masks.get(plate_id, {}))
            plan.append(
                PlanPlate(
                    export=export,
                    read=read,
                    layout=lay,
                    plate_id=plate_id,
                    analyte=chosen,
                    run_date=choose_run_date(lay.expt, read.metadata, *fallback_dates),
                    unit_conversion=conversion,
                )
            )
    return plan


def _refuse_duplicate_export(
    export: ExportFile, plate_id: str, by_bytes: dict[str, tuple[Path, str]]
) -> None:
    """Byte-identical exports under two names in one call are one plate read twice: an error
    naming both files and plates."""
    first_path, first_id = by_bytes.setdefault(export.sha256, (export.path, plate_id))
    if first_path != export.path:
        raise ElisaError(
            f"has the same bytes (SHA-256 {export.sha256[:12]}) as {first_path} (plate "
            f"{first_id!r}): one export given twice under two names; give each plate once",
            file=export.path,
        )


def _absorbance_plates(export: ExportFile) -> list[tuple[int, PlateRead]]:
    """The export's absorbance plates with their 1-based position; fluorescence or luminescence
    plates beside them are left out (provenance lists every plate of the export)."""
    plates = [
        (i, p)
        for i, p in enumerate(export.plates, start=1)
        if p.metadata.get("read_mode", "absorbance") == "absorbance"
    ]
    if not plates:
        modes = sorted({p.metadata.get("read_mode", "unknown") for p in export.plates})
        raise ElisaError(
            f"the export holds only {' and '.join(modes)} reads: an ELISA needs "
            "absorbance (optical density) reads",
            file=export.path,
        )
    return plates


def _carried_layout(export: ExportFile, read: PlateRead) -> PlateLayout:
    if not read.layout:
        raise ElisaError(
            f"this {export.format} export carries no layout for plate "
            f"{read.name or '(unnamed)'}: give --layout FILE",
            file=export.path,
        )
    unit = read.metadata.get("conc_unit")
    return carried_layout(
        read.layout, export.path, read.n_rows, read.n_cols, {"unit": unit} if unit else None
    )


def _plate_id(export: ExportFile, read: PlateRead, lay: PlateLayout, index: int) -> str:
    if lay.expt.get("plate_id"):
        return str(lay.expt["plate_id"])
    if read.name:
        return read.name
    suffix = f"_p{index}" if len(export.plates) > 1 else ""
    return export.path.stem + suffix


def _analyte(requested: str | None, lay: PlateLayout, cfg: Config) -> Analyte:
    in_layout = lay.expt.get("analyte")
    registry = cfg.registry
    if requested is None and in_layout is None:
        raise ElisaError(
            "no analyte: give --analyte NAME or set analyte in the layout's [expt]", file=lay.source
        )
    chosen = registry.resolve(
        requested if requested is not None else in_layout,
        source=None if requested is not None else str(lay.source),
    )
    if (
        requested is not None
        and in_layout is not None
        and registry.resolve(in_layout, source=str(lay.source)).name != chosen.name
    ):
        raise ElisaError(
            f"--analyte {requested} contradicts the layout's analyte {in_layout!r}",
            file=lay.source,
        )
    if not chosen.fitted:
        raise ElisaError(
            f"{chosen.name} comes from an analyser, not a plate: import it with "
            "'elisa cohort import-analyser'",
            file=lay.source,
        )
    return chosen


def _apply_masks(lay: PlateLayout, masks: Mapping[str, str]) -> PlateLayout:
    """The layout with recorded masks added (a layout's own mask reason is kept)."""
    if not masks:
        return lay
    wells = lay.wells.copy()
    unknown = sorted(set(masks) - set(wells["well"]))
    if unknown:
        raise ElisaError(
            f"masked well(s) {', '.join(unknown)} are not on the plate", file=lay.source
        )
    for well, reason in masks.items():
        row = wells.index[wells["well"] == well][0]
        if wells.at[row, "mask"] is None or wells.at[row, "mask"] != wells.at[row, "mask"]:
            wells.at[row, "mask"] = reason
    return PlateLayout(lay.source, lay.sha256, lay.plate, lay.expt, wells)


def _convert_units(
    lay: PlateLayout, analyte: Analyte, plate_id: str
) -> tuple[PlateLayout, UnitConversion | None]:
    """The layout with its concentrations in the analyte's unit, and the conversion done (None
    when the layout states no unit or the analyte's own)."""
    unit = lay.expt.get("unit")
    if not unit:
        return lay, None
    factor = conversion_factor(str(unit), analyte.unit)
    if factor is None:
        raise ElisaError(
            f"cannot convert the layout's unit {unit!r} to {analyte.name}'s unit {analyte.unit!r}",
            file=lay.source,
        )
    if factor == 1.0:
        return lay, None
    wells = lay.wells.copy()
    for column in ("conc", "conc_low", "conc_high"):
        wells[column] = wells[column] * factor
    conversion = UnitConversion(
        plate_id, analyte.name, str(unit), analyte.unit, factor, str(lay.source)
    )
    return PlateLayout(lay.source, lay.sha256, lay.plate, lay.expt, wells), conversion


def _plate_input(
    item: PlanPlate, dataset, measurement: int | None, reference: int | None
) -> tuple[PlateInput, dict]:
    plate = dataset.sel(plate=item.plate_id)
    n_rows, n_cols = item.read.n_rows, item.read.n_cols
    plate = plate.isel(row=slice(0, n_rows), col=slice(0, n_cols))
    available = [
        int(w)
        for w in plate["wavelength"].values
        if np.isfinite(plate["od_raw"].sel(wavelength=w).values).any()
        or plate["saturated"].sel(wavelength=w).values.any()
    ]
    wanted = measurement or item.analyte.wavelength
    m_nm, r_nm = choose_reads(
        available, wanted, reference, source=str(item.export.path), plate_id=item.plate_id
    )
    od = plate["od_raw"].sel(wavelength=m_nm).values.ravel()
    saturated = plate["saturated"].sel(wavelength=m_nm).values.ravel()
    od_ref = None
    if r_nm is not None:
        od_ref = plate["od_raw"].sel(wavelength=r_nm).values.ravel()
        saturated = saturated | plate["saturated"].sel(wavelength=r_nm).values.ravel()
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
    rows: dict[str, list[dict]] = {name: [] for name in TABLE_COLUMNS}
    by_plate = sorted(zip(reductions, infos), key=lambda pair: pair[0].plate.plate_id)
    for r, info in by_plate:
        rows["samples"] += sample_rows(r)
        rows["standards"] += standard_rows(r)
        rows["curves"].append(curve_row(r))
        rows["wells"] += well_rows(r)
        rows["runs"].append(run_row(r, info))
        rows["reassay"] += group_reassay_rows(r)
    return {name: typed_table(name, rows[name]) for name in TABLE_COLUMNS}
