"""Replicate groups: the wells sharing role, sample id and dilution (standards: role and conc)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ReplicateGroup:
    """One group's identity and its wells' row positions in the wells table (row-major order)."""

    kind: str                 # "standard", "control" or "sample"
    sample_id: str | None
    dilution: float
    nominal: float            # standards: in-well conc; controls: expected neat conc (or NaN)
    conc_low: float
    conc_high: float
    anchor: bool
    rows: tuple[int, ...]

    def usable_rows(self, wells: pd.DataFrame) -> np.ndarray:
        """Positions of the group's usable wells."""
        rows = np.array(self.rows)
        return rows[wells["usable"].to_numpy()[rows]]


def replicate_groups(wells: pd.DataFrame, kind: str) -> list[ReplicateGroup]:
    """Groups of one kind, in the order of their first well (row-major)."""
    subset = wells[wells["role"] == kind]
    if kind == "standard":
        subset = subset[subset["conc"] > 0]
        keys = subset["conc"].map(lambda c: (c,))
    else:
        keys = list(zip(subset["sample"], subset["dilution"]))
        keys = pd.Series(keys, index=subset.index)
    groups: dict[tuple, list[int]] = {}
    for position, key in zip(subset.index, keys):
        groups.setdefault(key, []).append(wells.index.get_loc(position))
    out = []
    for key, rows in groups.items():
        first = wells.iloc[rows[0]]
        anchors = wells.iloc[rows]["anchor"].astype(bool)
        out.append(ReplicateGroup(
            kind=kind,
            sample_id=None if kind == "standard" else first["sample"],
            dilution=1.0 if kind == "standard" else float(first["dilution"]),
            nominal=float(first["conc"]) if pd.notna(first["conc"]) else float("nan"),
            conc_low=_first_number(wells.iloc[rows]["conc_low"]),
            conc_high=_first_number(wells.iloc[rows]["conc_high"]),
            anchor=bool(anchors.any()),
            rows=tuple(rows),
        ))
    return out


def _first_number(values: pd.Series) -> float:
    finite = values.dropna()
    return float(finite.iloc[0]) if len(finite) else float("nan")
