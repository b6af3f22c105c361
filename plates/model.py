"""The plate data model: what a reader returns, and the stacked xarray Dataset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from plates.errors import PlateError
from plates.wells import PLATE_SHAPES, ROW_LABELS, row_labels

if TYPE_CHECKING:  # imported where the Dataset is built: readers need no xarray
    import xarray as xr

__all__ = ["ROW_LABELS", "ExportFile", "PlateRead", "plate_dataset"]

_SHAPES = set(PLATE_SHAPES.values())


@dataclass(frozen=True, eq=False)
class PlateRead:
    """One plate of an export: one OD grid per wavelength read."""

    name: str | None  # plate name/barcode found in the export, None if unnamed
    wavelengths: tuple[int | None, ...]  # nm per read; None when the file does not say
    od: np.ndarray  # float64 (n_wavelengths, n_rows, n_cols); NaN missing/saturated
    saturated: np.ndarray  # bool, same shape
    metadata: Mapping[str, str] = field(default_factory=dict)
    #: the layout the export carries: well ("A1") → DESIGN 3.2 fields (role, sample, conc, ...)
    layout: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    #: vendor-derived per-well grids (blank-subtracted, concentrations, ...): name → (rows, cols)
    #: float array; kept as metadata, never used as raw data (DESIGN 3.1)
    derived: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        od = np.array(self.od, dtype=np.float64)
        sat = np.array(self.saturated, dtype=bool)
        waves = tuple(None if w is None else int(w) for w in self.wavelengths)
        if od.ndim != 3 or od.shape[1:] not in _SHAPES:
            raise ValueError(
                f"od must have shape (n_wavelengths, 8, 12) or (n_wavelengths, 16, 24),"
                f" got {od.shape}"
            )
        if sat.shape != od.shape:
            raise ValueError(f"saturated has shape {sat.shape}, od has {od.shape}")
        if len(waves) != od.shape[0]:
            raise ValueError(f"{len(waves)} wavelengths for {od.shape[0]} reads")
        od[sat] = np.nan
        od.flags.writeable = False
        sat.flags.writeable = False
        object.__setattr__(self, "od", od)
        object.__setattr__(self, "saturated", sat)
        object.__setattr__(self, "wavelengths", waves)
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
        object.__setattr__(
            self,
            "layout",
            MappingProxyType({well: MappingProxyType(dict(f)) for well, f in self.layout.items()}),
        )
        derived = {}
        for name, grid in self.derived.items():
            grid = np.array(grid, dtype=np.float64)
            if grid.shape != od.shape[1:]:
                raise ValueError(
                    f"derived grid {name!r} has shape {grid.shape}, plate has {od.shape[1:]}"
                )
            grid.flags.writeable = False
            derived[name] = grid
        object.__setattr__(self, "derived", MappingProxyType(derived))

    @property
    def n_rows(self) -> int:
        return self.od.shape[1]

    @property
    def n_cols(self) -> int:
        return self.od.shape[2]


@dataclass(frozen=True, eq=False)
class ExportFile:
    """One export file as read: its identity and the plates in it."""

    path: Path
    sha256: str
    format: str
    plates: tuple[PlateRead, ...]
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        object.__setattr__(self, "plates", tuple(self.plates))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))


def _wavelengths(plate: PlateRead, plate_id: str, default: int) -> list[int]:
    waves = [default if w is None else w for w in plate.wavelengths]
    if len(set(waves)) != len(waves):
        raise PlateError(
            f"plate {plate_id!r} has two reads at the same wavelength"
            f" ({', '.join(str(w) for w in plate.wavelengths)}; unnamed reads count"
            f" as {default} nm)"
        )
    return waves


def plate_dataset(
    plates: Sequence[PlateRead], plate_ids: Sequence[str], default_wavelength: int = 450
) -> xr.Dataset:
    """Stack plates into a Dataset with ``od_raw`` and ``saturated`` over
    (plate, wavelength, row, col), on the union of wavelengths and plate sizes."""
    import xarray as xr

    plates = list(plates)
    ids = [str(p) for p in plate_ids]
    if len(ids) != len(plates):
        raise PlateError(f"{len(plates)} plates but {len(ids)} plate ids")
    seen: set[str] = set()
    for pid in ids:
        if pid in seen:
            raise PlateError(
                f"two plates have the same plate id {pid!r}; give each plate its own"
                " id ([expt] plate_id in the layout)"
            )
        seen.add(pid)

    waves_per_plate = [_wavelengths(p, pid, default_wavelength) for p, pid in zip(plates, ids)]
    all_waves = sorted({w for ws in waves_per_plate for w in ws})
    n_rows = max((p.n_rows for p in plates), default=8)
    n_cols = max((p.n_cols for p in plates), default=12)

    od = np.full((len(plates), len(all_waves), n_rows, n_cols), np.nan)
    sat = np.zeros(od.shape, dtype=bool)
    index = {w: i for i, w in enumerate(all_waves)}
    for k, (plate, waves) in enumerate(zip(plates, waves_per_plate)):
        for j, w in enumerate(waves):
            od[k, index[w], : plate.n_rows, : plate.n_cols] = plate.od[j]
            sat[k, index[w], : plate.n_rows, : plate.n_cols] = plate.saturated[j]

    dims = ("plate", "wavelength", "row", "col")
    coords = {
        "plate": np.array(ids, dtype=str),
        "wavelength": np.array(all_waves, dtype=np.int64),
        "row": np.array(row_labels(n_rows), dtype=str),
        "col": np.arange(1, n_cols + 1, dtype=np.int64),
    }
    return xr.Dataset({"od_raw": (dims, od), "saturated": (dims, sat)}, coords=coords)
