"""Everything decided about a plate before any computation: its layout, id, analyte, run date,
unit conversion and masks (the plan `elisa.pipeline.process` then fits and judges).

Exports are planned one file at a time (`Planner.plan_file`), so that a run can leave out a bad
file and go on with the rest (`elisa run --keep-going`): what spans files (layouts already
loaded, plate ids and export bytes already taken) changes only when a whole file is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from elisa.analytes import Analyte
from elisa.config import Config
from elisa.errors import ElisaError
from elisa.run_date import RunDate, choose_run_date
from elisa.units import UnitConversion, conversion_factor
from plates.layout.loader import PlateLayout, carried_layout, layout_for_plate, load_layout
from plates.model import ExportFile, PlateRead


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


class Planner:
    """Plans the plates of one export after another, refusing what spans files: two plates
    with one id, one export given twice under two names.

    ``fallback_dates``: (processing time, default run date) for `choose_run_date`; ``sources``:
    file path → bytes of stored originals; ``masks``: plate id → well → reason.
    """

    def __init__(
        self,
        cfg: Config,
        analyte: str | None,
        fallback_dates: tuple[str, str | None],
        sources: Mapping[str, bytes],
        masks: Mapping[str, Mapping[str, str]],
    ) -> None:
        self.cfg = cfg
        self.analyte = analyte
        self.fallback_dates = fallback_dates
        self.sources = sources
        self.masks = masks
        self._layouts: dict[tuple[Path, int, int], dict] = {}
        self._ids: dict[str, str] = {}  # plate id → the export it came from
        self._bytes: dict[str, tuple[Path, str]] = {}  # SHA-256 → (export, its first plate id)

    def plan_file(self, export: ExportFile, layout_path: Path | None) -> list[PlanPlate]:
        """The export's absorbance plates, planned; ``layout_path`` None takes the layout the
        export carries. Raises an AssayError naming the file; the planner is then unchanged."""
        planned: list[PlanPlate] = []
        ids_here: dict[str, str] = {}
        for index, read in _absorbance_plates(export):
            lay = self._layout(export, read, layout_path)
            plate_id = _plate_id(export, read, lay, index)
            if not planned:
                _refuse_duplicate_export(export, plate_id, self._bytes)
            taken = self._ids.get(plate_id) or ids_here.get(plate_id)
            if taken is not None:
                raise ElisaError(
                    f"two plates have the id {plate_id!r} ({taken} and "
                    f"{export.path}); give each layout its own [expt] plate_id",
                    file=export.path,
                )
            ids_here[plate_id] = str(export.path)
            chosen = _analyte(self.analyte, lay, self.cfg)
            lay, conversion = _convert_units(lay, chosen, plate_id)
            lay = _apply_masks(lay, self.masks.get(plate_id, {}))
            planned.append(
                PlanPlate(
                    export=export,
                    read=read,
                    layout=lay,
                    plate_id=plate_id,
                    analyte=chosen,
                    run_date=choose_run_date(lay.expt, read.metadata, *self.fallback_dates),
                    unit_conversion=conversion,
                )
            )
        # the whole file is accepted: its ids and bytes are taken from now on
        self._ids.update(ids_here)
        self._bytes.setdefault(export.sha256, (export.path, planned[0].plate_id))
        return planned

    def _layout(self, export: ExportFile, read: PlateRead, layout_path: Path | None) -> PlateLayout:
        if layout_path is None:
            return _carried_layout(export, read)
        key = (layout_path, read.n_rows, read.n_cols)
        if key not in self._layouts:  # one layout for many exports is read once per plate size
            self._layouts[key] = load_layout(
                layout_path,
                read.n_rows,
                read.n_cols,
                data=self.sources.get(str(layout_path)),
                limits=self.cfg.limits,
            )
        return layout_for_plate(self._layouts[key], read.name)


def _refuse_duplicate_export(
    export: ExportFile, plate_id: str, by_bytes: Mapping[str, tuple[Path, str]]
) -> None:
    """Byte-identical exports under two names in one call are one plate read twice: an error
    naming both files and plates."""
    first_path, first_id = by_bytes.get(export.sha256, (export.path, plate_id))
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
