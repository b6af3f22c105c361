"""Everything decided about a plate before any computation: its layout, id, analyte, run date,
unit conversion and masks (the plan `elisa.pipeline.process` then fits and judges).

Exports are planned one file at a time (`Planner.plan_file`), so that a run can leave out a bad
file and go on with the rest (`elisa run --keep-going`): what spans files (layouts already
loaded, plate ids and export bytes already taken) changes only when a whole file is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from elisa.analytes import Analyte
from elisa.config import Config
from elisa.errors import ElisaError
from elisa.run_date import RunDate, choose_run_date
from elisa.units import UnitConversion, conversion_factor
from plates.errors import AssayError
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


@dataclass(frozen=True)
class FileAttempt:
    """One export planned on its own, without the checks that span files: its plates when it
    planned, else the error that stopped it. ``plate_ids``: the ids settled before the error
    (all of them when none), the ones the checks across files (`Claims`) then look at."""

    plates: tuple[PlanPlate, ...]
    plate_ids: tuple[str, ...]
    error: AssayError | None


class Claims:
    """What spans files: the plate ids and export bytes taken by the files accepted so far.

    Kept apart from the planning of one file so that a run split in chunks (`elisa.cluster`)
    can plan each file on its own on a worker and check the claims of all files, in order, in
    one place: `conflict` finds the error a planner holding every earlier file would raise.
    """

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}  # plate id → the export it came from
        self._bytes: dict[str, tuple[Path, str]] = {}  # SHA-256 → (export, its first plate id)

    def conflict(self, export: Path, sha256: str, plate_ids: Sequence[str]) -> ElisaError | None:
        """The first refusal for an export with these bytes and plate ids (in plate order):
        the same bytes as an accepted export (checked at its first plate), or a plate id one
        has taken; None when there is none."""
        for index, plate_id in enumerate(plate_ids):
            if index == 0:
                first_path, first_id = self._bytes.get(sha256, (export, plate_id))
                if first_path != export:
                    return ElisaError(
                        f"has the same bytes (SHA-256 {sha256[:12]}) as {first_path} (plate "
                        f"{first_id!r}): one export given twice under two names; give each "
                        "plate once",
                        file=export,
                    )
            taken = self._ids.get(plate_id)
            if taken is not None:
                return _two_plates_error(plate_id, taken, export)
        return None

    def take(self, export: Path, sha256: str, plate_ids: Sequence[str]) -> None:
        """The accepted export's ids and bytes are taken from now on."""
        self._ids.update(dict.fromkeys(plate_ids, str(export)))
        if plate_ids:
            self._bytes.setdefault(sha256, (export, plate_ids[0]))


def _two_plates_error(plate_id: str, taken: str, export: Path) -> ElisaError:
    return ElisaError(
        f"two plates have the id {plate_id!r} ({taken} and "
        f"{export}); give each layout its own [expt] plate_id",
        file=export,
    )


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
        self.claims = Claims()
        self._layouts: dict[tuple[Path, int, int], dict] = {}

    def plan_file(self, export: ExportFile, layout_path: Path | None) -> list[PlanPlate]:
        """The export's absorbance plates, planned; ``layout_path`` None takes the layout the
        export carries. Raises an AssayError naming the file; the planner is then unchanged."""
        attempt = self.plan_alone(export, layout_path)
        # a refusal across files comes first: it is met at a plate id settled before the error
        error = self.claims.conflict(export.path, export.sha256, attempt.plate_ids)
        error = error or attempt.error
        if error is not None:
            raise error
        # the whole file is accepted: its ids and bytes are taken from now on
        self.claims.take(export.path, export.sha256, attempt.plate_ids)
        return list(attempt.plates)

    def plan_alone(self, export: ExportFile, layout_path: Path | None) -> FileAttempt:
        """The export planned as if it were the only one (`plan_file` without the checks
        across files); an AssayError is returned in the attempt, not raised."""
        planned: list[PlanPlate] = []
        ids_here: dict[str, str] = {}
        try:
            for index, read in _absorbance_plates(export):
                lay = self._layout(export, read, layout_path)
                plate_id = _plate_id(export, read, lay, index)
                if plate_id in ids_here:
                    ids = (*ids_here, plate_id)
                    error = _two_plates_error(plate_id, ids_here[plate_id], export.path)
                    return FileAttempt(tuple(planned), ids, error)
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
        except AssayError as exc:
            return FileAttempt(tuple(planned), tuple(ids_here), exc)
        return FileAttempt(tuple(planned), tuple(ids_here), None)

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
