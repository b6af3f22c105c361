"""Replicate groups: the wells sharing role, sample id and dilution (standards: role and conc)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, kw_only=True)
class ReplicateGroup:
    """One group's identity and its wells' row positions in the wells table (row-major order)."""

    kind: str  # "standard", "control" or "sample"
    sample_id: str | None
    dilution: float
    nominal: float  # standards: in-well conc; controls: expected neat conc (or NaN)
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
    role = wells["role"].to_numpy()
    conc = wells["conc"].to_numpy(float)
    selected = role == kind
    if kind == "standard":
        selected &= conc > 0
    samples, dilutions = wells["sample"].to_numpy(), wells["dilution"].to_numpy(float)
    groups: dict[tuple, list[int]] = {}
    for position in np.flatnonzero(selected):
        key = (conc[position],) if kind == "standard" else (samples[position], dilutions[position])
        groups.setdefault(key, []).append(int(position))
    anchors = wells["anchor"].to_numpy(bool)
    low, high = wells["conc_low"].to_numpy(float), wells["conc_high"].to_numpy(float)
    return [
        ReplicateGroup(
            kind=kind,
            sample_id=None if kind == "standard" else samples[rows[0]],
            dilution=1.0 if kind == "standard" else float(dilutions[rows[0]]),
            nominal=float(conc[rows[0]]),
            conc_low=_first_number(low[rows]),
            conc_high=_first_number(high[rows]),
            anchor=bool(anchors[rows].any()),
            rows=tuple(rows),
        )
        for rows in groups.values()
    ]


def _first_number(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite[0]) if len(finite) else float("nan")
