"""The replicate sets of a SoftMax Pro group table checked against the group's own summary.

In a group table the sample name (and its descriptor: concentration, dilution) is written on
the first row of each replicate set only; the rows after it continue the set. A lost name row
would make the next set's wells continue the previous sample (wrong name, wrong dilution), a
lost or repeated row would change the set. SoftMax writes each set's mean on its first row
(a column whose formula is ``Average(COLUMN)``), so the rows of every set are checked here
against it: the mean of the set's values must be the written mean, within the rounding of the
written figures. Groups without such a column cannot be checked this way.
"""

from __future__ import annotations

import re
from pathlib import Path

from plates.errors import PlateError
from plates.readers.common.cells import parse_number

__all__ = ["check_replicate_sets"]

_AVERAGE = re.compile(r"^\s*(?:Average|Mean)\s*\(\s*([^()]+?)\s*\)\s*$", re.IGNORECASE)


def _mean_columns(group) -> list[tuple[int, int]]:
    """(mean column, value column) pairs: a column ``Average(X)`` with X a column of the
    group (matched by header name)."""
    pairs = []
    for i, formula in enumerate(group.formulas):
        match = _AVERAGE.match(formula or "")
        if match is None:
            continue
        source = match.group(1).strip().lower()
        j = next((j for j, h in enumerate(group.headers) if h.strip().lower() == source), None)
        if j is not None and j != i:
            pairs.append((i, j))
    return pairs


def _tolerance(group, *columns: int) -> float:
    """Half a unit of the last written decimal, for each rounding involved."""
    places = [group.decimals[c] if c < len(group.decimals) else None for c in columns]
    return sum(0.5 * 10.0 ** -(p if p is not None else 3) for p in places) * 1.01


def check_replicate_sets(group, path: Path) -> None:
    """Refuse a group whose replicate sets do not give the means written on their first row."""
    names = group.columns.get("names")
    pairs = _mean_columns(group)
    if names is None or not pairs:
        return
    sets: list[list] = []
    for row in group.rows:
        if row.cells[names]:
            sets.append([row])
        elif sets:
            sets[-1].append(row)
    for rows in sets:
        first = rows[0]
        for mean_col, value_col in pairs:
            written = parse_number(first.cells[mean_col]) if mean_col < len(first.cells) else None
            values = [
                v
                for r in rows
                if value_col < len(r.cells) and (v := parse_number(r.cells[value_col])) is not None
            ]
            if written is None or not values:
                continue
            mean = sum(values) / len(values)
            if abs(mean - written) > _tolerance(group, mean_col, value_col) + 1e-9 * abs(written):
                last = rows[-1].line
                raise PlateError(
                    f"group {group.name!r}: sample {first.cells[names]!r} (lines"
                    f" {first.line}-{last}) has {group.headers[mean_col]} {written:g} but its"
                    f" {len(values)} {group.headers[value_col]} values average {mean:.6g}: a"
                    " row of the table was lost, added or moved",
                    file=path,
                    where=f"line {first.line}",
                )
