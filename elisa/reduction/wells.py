"""Per-well optical densities: reference correction, usability and blank subtraction (DESIGN 4.1),
and each well's flags.

The wells are held as numpy arrays (`PlateWells`) while a plate is reduced: every replicate
group indexes them, and indexing an array costs about a hundredth of a pandas column look-up.
The wells table (a DataFrame) is built once, when the reduction is done (`wells_table`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qc.codes import BELOW_BLANK, EXTRAPOLATED, MASKED_WELL, NO_SOLUTION, SATURATED


@dataclass(frozen=True, eq=False)
class PlateWells:
    """One plate's wells as arrays, row-major, aligned with the layout's wells table.

    Layout fields (``well`` .. ``dilution``) come from the layout; the rest from the reads.
    ODs are absorbance units; concentrations in the analyte's unit.
    """

    layout: pd.DataFrame  # the layout's wells table, unchanged
    well: np.ndarray  # well names (object)
    role: np.ndarray  # object: standard, blank, control, sample, empty
    conc: np.ndarray  # nominal concentration (float, NaN when not given)
    conc_low: np.ndarray  # control acceptance range (float, NaN when not given)
    conc_high: np.ndarray
    sample: np.ndarray  # sample or control id (object, None when not given)
    dilution: np.ndarray  # float
    anchor: np.ndarray  # bool
    mask: np.ndarray  # object: the reason a well is masked (None when it is not)
    od_raw: np.ndarray  # read at the measurement wavelength (float)
    saturated: np.ndarray  # bool: either read saturated
    masked: np.ndarray  # bool: the layout gives a mask reason
    usable: np.ndarray  # bool: not saturated, not masked, read, not empty
    is_blank: np.ndarray  # bool: blank wells and zero standards
    od: np.ndarray  # corrected OD: reference and blank subtracted; NaN unless usable or masked


@dataclass(frozen=True)
class CorrectedWells:
    """The plate's corrected wells and the blank mean (OD) that was subtracted."""

    wells: PlateWells
    blank_mean: float
    blank_wells: tuple[str, ...]


def correct_wells(
    layout_wells: pd.DataFrame,
    od_raw: np.ndarray,
    od_reference: np.ndarray | None,
    saturated: np.ndarray,
) -> CorrectedWells:
    """Attach reads (flattened row-major, aligned with ``layout_wells``) and correct them.

    od = od_raw − reference read (if any) − mean of the usable blank wells (and zero standards).
    """
    od_raw = np.asarray(od_raw, dtype=float)
    saturated = np.asarray(saturated, dtype=bool)
    role = layout_wells["role"].to_numpy()
    conc = layout_wells["conc"].to_numpy(float)
    mask = layout_wells["mask"].to_numpy()
    masked = pd.notna(mask)
    od_ref = od_raw
    if od_reference is not None:
        od_ref = od_ref - np.asarray(od_reference, dtype=float)
    usable = ~saturated & ~masked & np.isfinite(od_ref) & (role != "empty")
    is_blank = (role == "blank") | ((role == "standard") & (conc == 0))
    blank_rows = is_blank & usable
    blank_mean = float(od_ref[blank_rows].mean()) if blank_rows.any() else 0.0
    well = layout_wells["well"].to_numpy()
    wells = PlateWells(
        layout=layout_wells,
        well=well,
        role=role,
        conc=conc,
        conc_low=layout_wells["conc_low"].to_numpy(float),
        conc_high=layout_wells["conc_high"].to_numpy(float),
        sample=layout_wells["sample"].to_numpy(),
        dilution=layout_wells["dilution"].to_numpy(float),
        anchor=layout_wells["anchor"].to_numpy(bool),
        mask=mask,
        od_raw=od_raw,
        saturated=saturated,
        masked=masked,
        usable=usable,
        is_blank=is_blank,
        od=np.where(usable | masked, od_ref - blank_mean, np.nan),
    )
    return CorrectedWells(wells, blank_mean, tuple(well[blank_rows]))


def has_role(role: np.ndarray, *roles: str) -> np.ndarray:
    """Which wells have one of ``roles`` (a boolean array, like pandas ``isin``)."""
    found = np.zeros(len(role), dtype=bool)
    for name in roles:
        found |= role == name
    return found


def wells_table(wells: PlateWells, conc_well: np.ndarray, flags: list[str]) -> pd.DataFrame:
    """The wells table of a reduced plate: the layout's columns, then the reads' (``od_raw`` ..
    ``od``), ``conc_well`` (in-well × dilution for samples and controls) and ``flags`` (one
    text a well)."""
    columns = {name: wells.layout[name] for name in wells.layout.columns}
    columns["od_raw"] = wells.od_raw
    columns["saturated"] = wells.saturated
    columns["masked"] = wells.masked
    columns["usable"] = wells.usable
    columns["is_blank"] = wells.is_blank
    columns["od"] = wells.od
    columns["conc_well"] = conc_well
    columns["flags"] = flags
    return pd.DataFrame(columns, index=wells.layout.index)


def well_flags(
    wells: PlateWells, in_well: np.ndarray, converged: bool, extent: tuple[float, float]
) -> list[str]:
    """Well-level facts: below_blank, masked_well, saturated, no_solution, extrapolated.

    ``in_well``: each well's in-well concentration (NaN where the well is no result or its OD
    has no solution).
    """
    usable = wells.usable
    is_result = (
        usable & has_role(wells.role, "standard", "control", "sample") & ~wells.is_blank & converged
    )
    columns = {
        BELOW_BLANK: usable & (wells.od < 0),
        # a solution outside the standards is extrapolated (DESIGN 4.4): samples and controls
        # only; a standard well reading past its own level is the curve's residual, not that
        EXTRAPOLATED: is_result
        & has_role(wells.role, "control", "sample")
        & ((in_well < extent[0]) | (in_well > extent[1])),
        MASKED_WELL: wells.masked,
        NO_SOLUTION: is_result & np.isnan(in_well),
        SATURATED: wells.saturated,
    }  # in the order of the flags' names (alphabetical), so each well's flags come out sorted
    named = [(name, column.tolist()) for name, column in columns.items()]
    flags = [""] * len(wells.role)
    flagged = np.logical_or.reduce(list(columns.values()))
    for i in np.flatnonzero(flagged).tolist():  # most wells have no flag
        flags[i] = ";".join(name for name, column in named if column[i])
    return flags
