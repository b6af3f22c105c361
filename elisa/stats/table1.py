"""Table 1: per variable and group n, mean ± SD, median and quartiles, and for each analyte the
number of subjects whose value is below the LLOQ (whatever the policy does with them)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from elisa.stats.cohort_table import CohortTable

TABLE1_COLUMNS = ("variable", "group", "n", "mean", "sd", "median", "q1", "q3", "n_below_lloq")


def describe(values: np.ndarray) -> dict[str, float | int | None]:
    """n, mean, SD (n − 1 denominator), median and the 25th/75th percentiles (numpy's default
    linear interpolation, R type 7) of the finite values; None where undefined."""
    finite = values[np.isfinite(values)]
    n = int(finite.size)
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "median": None, "q1": None, "q3": None}
    q1, median, q3 = np.percentile(finite, [25, 50, 75])
    return {
        "n": n,
        "mean": float(np.mean(finite)),
        "sd": float(np.std(finite, ddof=1)) if n >= 2 else None,
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
    }


def variables(table: CohortTable, group_column: str) -> list[str]:
    """Numeric clinical columns, then the analytes, in file order (the group column left out)."""
    return [c for c in table.numeric if c != group_column] + list(table.analytes)


def table1(
    table: CohortTable,
    values: pd.DataFrame,
    labels: Sequence[str],
    groups: Sequence[str],
    group_column: str,
) -> pd.DataFrame:
    """One row per variable and group, in the order of :func:`variables` and ``groups``.

    ``values`` holds the numbers under the chosen censoring policy; ``labels`` each row's group.
    """
    labels_array = np.asarray(labels, dtype=object)
    rows = []
    for variable in variables(table, group_column):
        column = values[variable].to_numpy(dtype=float)
        status = table.status(variable).to_numpy() if variable in table.analytes else None
        for g in groups:
            member = labels_array == g
            below = int(np.sum(status[member] == "below")) if status is not None else None
            rows.append(
                {
                    "variable": variable,
                    "group": g,
                    **describe(column[member]),
                    "n_below_lloq": below,
                }
            )
    return pd.DataFrame(rows, columns=list(TABLE1_COLUMNS), dtype=object)
