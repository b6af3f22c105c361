"""The options of one `elisa stats` call, checked against the cohort table: the grouping, the
subgroup for correlations, the columns to adjust for and the correlations asked for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from elisa.cohort.build import SUFFIXES
from elisa.errors import ElisaError
from elisa.stats.cohort_table import CohortTable, check_policy, first_non_number

MULTIPLE = {"holm": "holm", "bh": "fdr_bh", "none": None}  # --multiple -> statsmodels method
OVERALL = "all"  # the `group` of correlations computed over every subject
MIN_PER_GROUP = 2


@dataclass(frozen=True)
class StatsOptions:
    """What to compute. ``within`` None means correlations over all subjects; ``markers`` None
    means every analyte; ``versus`` None means every other numeric column."""

    group: str
    within: str | None = None
    adjust: tuple[str, ...] = ()
    below: str = "exclude"
    multiple: str = "holm"
    markers: tuple[str, ...] | None = None
    versus: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Design:
    """The options resolved on one table: per row its group label ('' when empty), the groups
    in sorted order with their sizes, the correlation pairs (x, y) and the rows they use."""

    options: StatsOptions
    labels: tuple[str, ...]
    groups: tuple[str, ...]
    sizes: dict[str, int]
    pairs: tuple[tuple[str, str], ...]
    correlation_rows: tuple[int, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _label(cell: object) -> str:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    return str(cell).strip()


def _check_numeric(table: CohortTable, columns: Sequence[str], option: str) -> None:
    own = {f"{a}{s}" for a in table.analytes for s in SUFFIXES if s}
    for column in columns:
        if column not in table.frame.columns:
            raise ElisaError(f"{option}: no column {column!r} in the cohort table", file=table.path)
        if column in table.analytes or column in table.numeric:
            continue
        bad = first_non_number(table.frame, column)
        detail = (
            f"({table.where(bad)}: {table.frame[column].iloc[bad]!r})"
            if bad is not None and column not in own
            else "(a column of the cohort build, not a value)"
            if column in own
            else "(it is empty)"
        )
        raise ElisaError(f"{option}: column {column!r} is not numeric {detail}", file=table.path)


def resolve(table: CohortTable, options: StatsOptions) -> Design:
    """Check every option against ``table``; a one-line error names the first problem."""
    check_policy(options.below)
    if options.multiple not in MULTIPLE:
        raise ElisaError(f"unknown --multiple {options.multiple!r}: use holm, bh or none")
    if options.group not in table.frame.columns:
        raise ElisaError(
            f"--group: no column {options.group!r} in the cohort table", file=table.path
        )
    if options.group in table.analytes or options.group == "subject_id":
        raise ElisaError(f"--group: {options.group!r} is not a grouping column", file=table.path)
    labels = tuple(_label(c) for c in table.frame[options.group])
    warnings = []
    empty = [table.where(i) for i, label in enumerate(labels) if not label]
    if empty:
        warnings.append(
            f"{len(empty)} subject(s) without a {options.group} left out of the group "
            f"comparisons (first: {empty[0]})"
        )
    groups = tuple(sorted({label for label in labels if label}))
    sizes = {g: labels.count(g) for g in groups}
    if len(groups) < 2:
        raise ElisaError(
            f"--group {options.group}: {len(groups)} group(s) found; at least 2 are needed",
            file=table.path,
        )
    for g in groups:
        if sizes[g] < MIN_PER_GROUP:
            first = table.where(labels.index(g))
            raise ElisaError(
                f"--group {options.group}: group {g!r} has {sizes[g]} subject ({first}); "
                f"each group needs at least {MIN_PER_GROUP}",
                file=table.path,
            )
    if options.within is not None and options.within not in groups:
        raise ElisaError(
            f"--within: no group {options.within!r} in column {options.group!r} "
            f"(groups: {', '.join(groups)})",
            file=table.path,
        )
    _check_numeric(table, options.adjust, "--adjust")
    markers = options.markers if options.markers is not None else table.analytes
    _check_numeric(table, markers, "--markers")
    numeric = [c for c in table.frame.columns if c in table.numeric or c in table.analytes]
    versus = options.versus if options.versus is not None else tuple(numeric)
    _check_numeric(table, versus, "--with")
    pairs: list[tuple[str, str]] = []
    for x in markers:
        for y in versus:
            if y == x or y == options.group or (y, x) in pairs or (x, y) in pairs:
                continue
            pairs.append((x, y))
    rows = tuple(
        i
        for i, label in enumerate(labels)
        if (label == options.within if options.within is not None else True)
    )
    return Design(
        options=options,
        labels=labels,
        groups=groups,
        sizes=sizes,
        pairs=tuple(pairs),
        correlation_rows=rows,
        warnings=tuple(warnings),
    )
