"""sensitivity.csv: the group comparisons of every analyte repeated under every censoring
policy (exclude, lloq/2, lloq/sqrt2, lloq), so a reader sees whether a conclusion depends on how
values below the LLOQ enter. `n` is the number of values in the groups compared."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from elisa.stats.cohort_table import POLICIES, CohortTable, analyte_values
from elisa.stats.comparisons import group_samples, mean_tests

SENSITIVITY_COLUMNS = ("variable", "test", "policy", "n", "statistic", "p")


def sensitivity(table: CohortTable, labels: Sequence[str], groups: Sequence[str]) -> pd.DataFrame:
    """One row per analyte, test and policy (analytes in file order, policies in POLICIES)."""
    rows = []
    for analyte in table.analytes:
        for policy in POLICIES:
            samples = group_samples(analyte_values(table, analyte, policy), labels, groups)
            if len(samples) < 2:
                continue
            for result in mean_tests(samples):
                rows.append(
                    {
                        "variable": analyte,
                        "test": result.test,
                        "policy": policy,
                        "n": result.n,
                        "statistic": result.statistic,
                        "p": result.p,
                    }
                )
    return pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS), dtype=object)
