"""Replicate groups: the wells sharing role, sample id and dilution (standards: role and conc)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from elisa.reduction.wells import PlateWells


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
    usable: tuple[int, ...]  # the positions of the group's usable wells, a subset of rows
    saturated: bool  # a well of the group read saturated
    masked: bool  # a well of the group is masked

    def usable_rows(self) -> np.ndarray:
        """Positions of the group's usable wells (an integer array, to index the well arrays)."""
        return np.array(self.usable, dtype=np.intp)


def replicate_groups(wells: PlateWells, kind: str) -> list[ReplicateGroup]:
    """Groups of one kind, in the order of their first well (row-major)."""
    role, conc = wells.role, wells.conc
    selected = role == kind
    if kind == "standard":
        selected &= conc > 0
    positions = np.flatnonzero(selected).tolist()
    if not positions:
        return []
    # the wells' fields as Python lists, read a few wells at a time (cheaper than numpy indexing)
    conc_list, samples, dilutions = conc.tolist(), wells.sample.tolist(), wells.dilution.tolist()
    groups: dict[tuple, list[int]] = {}
    for position in positions:
        key = (
            (conc_list[position],)
            if kind == "standard"
            else (samples[position], dilutions[position])
        )
        groups.setdefault(key, []).append(position)
    # the few wells that are anchors, saturated or masked, as sets: most groups have none
    anchors, saturated, masked = (
        set(np.flatnonzero(flag).tolist()) for flag in (wells.anchor, wells.saturated, wells.masked)
    )
    usable = wells.usable.tolist()
    conc_low, conc_high = wells.conc_low.tolist(), wells.conc_high.tolist()
    return [
        ReplicateGroup(
            kind=kind,
            sample_id=None if kind == "standard" else samples[rows[0]],
            dilution=1.0 if kind == "standard" else dilutions[rows[0]],
            nominal=conc_list[rows[0]],
            conc_low=_first_number(conc_low, rows),
            conc_high=_first_number(conc_high, rows),
            anchor=not anchors.isdisjoint(rows),
            rows=tuple(rows),
            usable=tuple(row for row in rows if usable[row]),
            saturated=not saturated.isdisjoint(rows),
            masked=not masked.isdisjoint(rows),
        )
        for rows in groups.values()
    ]


def _first_number(values: list[float], rows: list[int]) -> float:
    """The first non-NaN of ``values`` at ``rows`` (NaN when there is none)."""
    for row in rows:
        value = values[row]
        if value == value:
            return value
    return float("nan")
