"""`run_stats`: the whole `elisa stats` analysis of one cohort table, as DataFrames, and (with
``out``) the files written into a folder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from elisa.stats.cohort_table import CohortTable, load_cohort, numeric_frame
from elisa.stats.comparisons import COMPARISON_COLUMNS, comparison_rows, group_samples
from elisa.stats.correlations import correlation_rows
from elisa.stats.design import MULTIPLE, OVERALL, Design, StatsOptions, resolve
from elisa.stats.posthoc import POSTHOC_COLUMNS, posthoc_rows
from elisa.stats.sensitivity import sensitivity
from elisa.stats.table1 import table1, variables


@dataclass(frozen=True)
class StatsResult:
    """The tables of one analysis, the cohort and options behind them, and the warnings.

    ``values`` holds every numeric column under the chosen censoring policy (floats, NaN where a
    value does not enter), one row per subject in file order.
    """

    cohort: CohortTable
    design: Design
    values: pd.DataFrame
    table1: pd.DataFrame
    comparisons: pd.DataFrame
    posthoc: pd.DataFrame
    correlations: pd.DataFrame
    sensitivity: pd.DataFrame
    created_utc: str
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def correlation_group(self) -> str:
        return self.design.options.within or OVERALL


def analyse(table: CohortTable, options: StatsOptions) -> StatsResult:
    """Every table of the analysis of ``table``; a bad option raises before anything is done."""
    design = resolve(table, options)
    values = numeric_frame(table, options.below)
    warnings = list(design.warnings)
    comparisons, posthoc = [], []
    method = MULTIPLE[options.multiple]
    for variable in variables(table, options.group):
        samples = group_samples(
            values[variable].to_numpy(dtype=float), design.labels, design.groups
        )
        if len(samples) < 2:
            warnings.append(
                f"{variable}: fewer than two groups with two values or more; not compared"
            )
            continue
        rows, equal_var = comparison_rows(variable, samples)
        comparisons += rows
        posthoc += posthoc_rows(variable, samples, equal_var, method)
    group = options.within or OVERALL
    correlations, notes = correlation_rows(
        values.iloc[list(design.correlation_rows)], design.pairs, options.adjust, group, method
    )
    return StatsResult(
        cohort=table,
        design=design,
        values=values,
        table1=table1(table, values, design.labels, design.groups, options.group),
        comparisons=pd.DataFrame(comparisons, columns=list(COMPARISON_COLUMNS), dtype=object),
        posthoc=pd.DataFrame(posthoc, columns=list(POSTHOC_COLUMNS), dtype=object),
        correlations=correlations,
        sensitivity=sensitivity(table, design.labels, design.groups),
        created_utc=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        warnings=tuple(warnings + notes),
    )


def run_stats(
    cohort_path: str | Path,
    group: str,
    *,
    within: str | None = None,
    adjust: Sequence[str] = (),
    below: str = "exclude",
    multiple: str = "holm",
    markers: Sequence[str] | None = None,
    versus: Sequence[str] | None = None,
    out: str | Path | None = None,
) -> StatsResult:
    """Analyse the cohort table at ``cohort_path`` grouped by the column ``group``.

    ``within``: the group whose subjects the correlations use (None: all subjects);
    ``adjust``: columns the partial correlations adjust for; ``below``: exclude, lloq/2,
    lloq/sqrt2 or lloq; ``multiple``: holm, bh or none; ``markers`` and ``versus``: the
    correlations asked for (default every analyte with every other numeric column). With
    ``out``, table1.csv, comparisons.csv, posthoc.csv, correlations.csv, sensitivity.csv,
    stats.html and provenance.json are written there (all rendered first, provenance last).
    """
    options = StatsOptions(
        group=group,
        within=within,
        adjust=tuple(adjust),
        below=below,
        multiple=multiple,
        markers=None if markers is None else tuple(markers),
        versus=None if versus is None else tuple(versus),
    )
    result = analyse(load_cohort(cohort_path), options)
    if out is not None:
        from elisa.stats.outputs import write_stats

        write_stats(result, out)
    return result
