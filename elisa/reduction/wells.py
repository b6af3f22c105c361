"""Per-well optical densities: reference correction, usability and blank subtraction (DESIGN 4.1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CorrectedWells:
    """The layout's wells with their reads: `od_raw`, `od` (corrected), `saturated`, `masked`,
    `usable` columns added, and the blank mean (OD) that was subtracted."""

    wells: pd.DataFrame
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
    wells = layout_wells.copy()
    wells["od_raw"] = np.asarray(od_raw, dtype=float)
    wells["saturated"] = np.asarray(saturated, dtype=bool)
    wells["masked"] = wells["mask"].notna()
    od_ref = wells["od_raw"].to_numpy()
    if od_reference is not None:
        od_ref = od_ref - np.asarray(od_reference, dtype=float)
    wells["usable"] = (
        ~wells["saturated"] & ~wells["masked"] & np.isfinite(od_ref) & (wells["role"] != "empty")
    )
    is_blank = (wells["role"] == "blank") | ((wells["role"] == "standard") & (wells["conc"] == 0))
    wells["is_blank"] = is_blank
    blank_rows = is_blank & wells["usable"]
    blank_mean = float(od_ref[blank_rows.to_numpy()].mean()) if blank_rows.any() else 0.0
    wells["od"] = np.where(wells["usable"] | wells["masked"], od_ref - blank_mean, np.nan)
    return CorrectedWells(wells, blank_mean, tuple(wells.loc[blank_rows, "well"]))
