"""The files of `elisa stats`: five CSV tables (the project's cell rules: unrounded floats,
empty missing values, formula-like text neutralised), stats.html and provenance.json, rendered
in memory, staged and moved into place with provenance.json last."""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy
import statsmodels

from elisa._version import __version__
from elisa.files.csv_write import table_csv
from elisa.files.provenance import json_safe
from elisa.stats.cohort_table import POLICIES
from elisa.stats.comparisons import EQUAL_VAR_ALPHA, LEVENE_CENTER
from elisa.stats.design import MULTIPLE
from elisa.stats.run import StatsResult

TABLES = ("table1", "comparisons", "posthoc", "correlations", "sensitivity")
STATS_FILES = tuple(f"{t}.csv" for t in TABLES) + ("stats.html", "provenance.json")
METHODS_NOTE = {
    "table1": "n, mean, SD (n-1), median, q1/q3 (numpy percentile, linear); n_below_lloq counts "
    "status below whatever the policy",
    "comparisons": "anova: scipy f_oneway (one row with Levene centred on the mean, one with "
    "Bartlett); welch_anova: statsmodels anova_oneway(use_var='unequal'); kruskal: scipy "
    "kruskal; two groups: welch_t (scipy ttest_ind equal_var=False), mann_whitney (scipy "
    "mannwhitneyu two-sided)",
    "posthoc": f"tukey (scipy tukey_hsd) when Levene p >= {EQUAL_VAR_ALPHA}, games_howell "
    "(formula, scipy studentized_range) otherwise; both family-wise already. dunn (formula, "
    "tie-corrected) adjusted within each variable by --multiple",
    "correlations": "scipy pearsonr / spearmanr; partial: residuals on the --adjust columns "
    "(ranks for spearman), t test with n-2-k df; CI Fisher z with 1/sqrt(n-3-k); p_adj over "
    "the whole file by --multiple (statsmodels multipletests)",
    "censoring": "ok values as they are; below: exclude or _limit x factor of the policy; "
    "above, excluded, missing never enter",
}


def provenance(result: StatsResult, out: str | Path | None) -> dict[str, Any]:
    """The cohort file's SHA-256, the options, the versions, the groups and the warnings."""
    options = result.design.options
    cohort = result.cohort
    beside = cohort.path.with_name(cohort.path.name + ".provenance.json")
    return json_safe(
        {
            "software": {
                "name": "elisa-toolkit",
                "version": __version__,
                "python": platform.python_version(),
                "numpy": np.__version__,
                "pandas": pd.__version__,
                "scipy": scipy.__version__,
                "statsmodels": statsmodels.__version__,
            },
            "created_utc": result.created_utc,
            "inputs": {
                "cohort": {
                    "file": str(cohort.path),
                    "sha256": cohort.sha256,
                    "format": cohort.fmt,
                    "rows": len(cohort.frame),
                    "analytes": list(cohort.analytes),
                },
                "cohort_provenance": {
                    "file": str(beside),
                    "sha256": hashlib.sha256(beside.read_bytes()).hexdigest(),
                }
                if beside.is_file()
                else None,
            },
            "options": {
                "group": options.group,
                "within": options.within,
                "adjust": list(options.adjust),
                "below": options.below,
                "multiple": options.multiple,
                "multipletests_method": MULTIPLE[options.multiple],
                "markers": None if options.markers is None else list(options.markers),
                "with": None if options.versus is None else list(options.versus),
                "out": None if out is None else str(out),
            },
            "groups": result.design.sizes,
            "policies_in_sensitivity": list(POLICIES),
            "levene_center": LEVENE_CENTER,
            "methods": METHODS_NOTE,
            "warnings": list(result.warnings),
        }
    )


def render_stats(result: StatsResult, out: str | Path | None = None) -> dict[str, bytes]:
    """Every output file's bytes by name (nothing touches the disk)."""
    from elisa.stats.html import render_html

    files = {f"{name}.csv": table_csv(getattr(result, name)).encode("utf-8") for name in TABLES}
    record = provenance(result, out)
    files["stats.html"] = render_html(result, record).encode("utf-8")
    files["provenance.json"] = (
        json.dumps(record, indent=2, sort_keys=True, allow_nan=False) + "\n"
    ).encode("utf-8")
    return files


def write_stats(result: StatsResult, out: str | Path) -> list[Path]:
    """Render every file, then write them into ``out`` (created if needed), provenance last."""
    from elisa.files.staging import write_files

    files = render_stats(result, out)
    return write_files(files, out, last="provenance.json")
