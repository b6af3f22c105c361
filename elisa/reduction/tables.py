"""Lay the plates' reductions out as the DESIGN 5.1 tables: the tables with many rows a plate
(samples, standards, wells) by column, the others a row per plate or group."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from elisa.fit.backcalc import GroupResult, well_state_flags
from elisa.missing import finite_or_none
from elisa.reduction.plate import PlateReduction, standard_level_stats
from elisa.reduction.reassay import reassay_rows
from elisa.reduction.wells import has_role
from elisa.results import SAMPLES_COLUMNS, STANDARDS_COLUMNS, WELLS_COLUMNS
from qc.codes import NO_SOLUTION, join_flags


@dataclass(frozen=True)
class RunInfo:
    """What runs.csv says about a plate besides its QC outcome."""

    run_date: str
    lot: str | None
    source_file: str
    source_sha256: str


def sample_columns(reductions: Sequence[PlateReduction]) -> dict[str, list | np.ndarray]:
    """samples.csv by column, plate after plate: controls first, then samples, each in order
    of their first well."""
    columns: dict[str, list] = {name: [] for name in SAMPLES_COLUMNS}
    for r in reductions:
        groups, analyte, n = r.groups, r.plate.analyte, len(r.groups)
        columns["plate_id"] += [r.plate.plate_id] * n
        columns["analyte"] += [analyte.name] * n
        columns["unit"] += [analyte.unit] * n
        columns["kind"] += [g.group.kind for g in groups]
        columns["sample_id"] += [g.group.sample_id for g in groups]
        columns["dilution"] += [g.group.dilution for g in groups]
        columns["n_wells"] += [g.n_wells for g in groups]
        for column, field in _SAMPLE_NUMBERS.items():
            columns[column] += [getattr(g, field) for g in groups]
        columns["range"] += [g.range or None for g in groups]
        columns["reportable"] += [bool(r.fit.converged and g.reportable) for g in groups]
        columns["flags"] += [join_flags(g.flags) if g.flags else "" for g in groups]  # most: none
    return _finite_columns(columns, _SAMPLE_NUMBERS)


#: samples.csv's computed numbers (a missing or infinite value is written empty): column → the
#: GroupResult field it holds.
_SAMPLE_NUMBERS = {
    "od_mean": "od_mean",
    "od_cv_pct": "od_cv_pct",
    "conc": "conc",
    "conc_sd": "conc_sd",
    "conc_cv_pct": "conc_cv_pct",
    "conc_se": "conc_se",
    "conc_ci_low": "ci_low",
    "conc_ci_high": "ci_high",
}


def standard_columns(reductions: Sequence[PlateReduction]) -> dict[str, list | np.ndarray]:
    """standards.csv by column, plate after plate, level 1..n by ascending nominal (in-well
    concentrations)."""
    columns: dict[str, list] = {name: [] for name in STANDARDS_COLUMNS}
    for r in reductions:
        for level, group in enumerate(r.standard_groups, start=1):
            n, mean, cv = standard_level_stats(r, group)
            flags = well_state_flags(group, mean)
            if n and r.fit.converged and np.isnan(r.standard_backfit[level - 1]):
                flags.add(NO_SOLUTION)
            passed = r.standards.passed[level - 1]
            columns["plate_id"].append(r.plate.plate_id)
            columns["analyte"].append(r.plate.analyte.name)
            columns["level"].append(level)
            columns["nominal"].append(group.nominal)
            columns["n_wells"].append(n)
            columns["od_mean"].append(mean)
            columns["od_cv_pct"].append(cv)
            columns["backfit"].append(r.standard_backfit[level - 1])
            columns["recovery_pct"].append(r.standards.recovery_pct[level - 1])
            columns["anchor"].append(group.anchor)
            columns["passed"].append(None if passed is None else bool(passed))
            columns["flags"].append(join_flags(flags) if flags else "")
    return _finite_columns(columns, ("od_mean", "od_cv_pct", "backfit", "recovery_pct"))


def curve_row(r: PlateReduction) -> dict:
    """The curves.csv row of a plate."""
    fit = r.fit
    p = fit.params
    five = fit.model == "5PL"
    converged = fit.converged
    return {
        "plate_id": r.plate.plate_id,
        "analyte": r.plate.analyte.name,
        "model": fit.model,
        "weighting": fit.weighting,
        "theta": None if fit.weighting == "none" else fit.theta,
        "a": finite_or_none(p["a"]),
        "b": finite_or_none(p["b"]),
        "c": finite_or_none(p["c"]),
        "d": finite_or_none(p["d"]),
        "g": finite_or_none(p["g"]) if five else (1.0 if converged else None),
        "se_a": finite_or_none(fit.se["se_a"]),
        "se_b": finite_or_none(fit.se["se_b"]),
        "se_c": finite_or_none(fit.se["se_c"]),
        "se_d": finite_or_none(fit.se["se_d"]),
        "se_g": finite_or_none(fit.se["se_g"]) if five else None,
        "r_squared": finite_or_none(fit.r_squared),
        "rmse": finite_or_none(fit.sigma),
        "lloq": finite_or_none(r.standards.lloq),
        "uloq": finite_or_none(r.standards.uloq),
        "lloq_profile": finite_or_none(r.lloq_profile),
        "uloq_profile": finite_or_none(r.uloq_profile),
        "converged": converged,
        "message": fit.message or None,
    }


def well_columns(reductions: Sequence[PlateReduction]) -> dict[str, list | np.ndarray]:
    """wells.csv by column, plate after plate, each plate's wells in row-major order."""
    numbers: dict[str, list[np.ndarray]] = {name: [] for name in _WELL_NUMBERS}
    cells: dict[str, list] = {name: [] for name in WELLS_COLUMNS if name not in _WELL_NUMBERS}
    for r in reductions:
        wells = r.well_arrays
        role = wells.role
        cells["plate_id"] += [r.plate.plate_id] * len(role)
        cells["well"] += wells.well.tolist()
        cells["role"] += role.tolist()
        cells["sample_id"] += [s if isinstance(s, str) else None for s in wells.sample.tolist()]
        cells["saturated"] += wells.saturated.tolist()
        cells["masked"] += wells.masked.tolist()
        cells["flags"] += r.well_flags
        # a nominal concentration for standards and controls, a dilution for samples, controls
        nominal = np.where(has_role(role, "standard", "control"), wells.conc, np.nan)
        numbers["conc_nominal"].append(_finite(nominal))
        numbers["dilution"].append(
            np.where(has_role(role, "sample", "control"), wells.dilution, np.nan)
        )
        numbers["od_raw"].append(_finite(wells.od_raw))
        numbers["od"].append(_finite(wells.od))
        numbers["conc_well"].append(_finite(r.conc_well))
    columns: dict[str, list | np.ndarray] = {**cells}
    columns.update((name, _concatenated(arrays)) for name, arrays in numbers.items())
    return {name: columns[name] for name in WELLS_COLUMNS}


#: wells.csv's number columns, laid out a plate's array at a time.
_WELL_NUMBERS = ("conc_nominal", "dilution", "od_raw", "od", "conc_well")


def run_row(r: PlateReduction, info: RunInfo) -> dict:
    """The runs.csv row of a plate (`out_of_spec` and `rules` stay empty without a store)."""
    return {
        "plate_id": r.plate.plate_id,
        "analyte": r.plate.analyte.name,
        "run_date": info.run_date,
        "lot": info.lot,
        "source_file": info.source_file,
        "source_sha256": info.source_sha256,
        "verdict": r.verdict,
        "reasons": r.reasons,
        "warnings": r.warnings,
        "out_of_spec": None,
        "rules": None,
        "intra_cv_pct": finite_or_none(r.intra.intra_cv_pct),
        "intra_cv_limit_pct": r.plate.analyte.intra_cv_limit_pct,
        "standards_passed": r.standards.n_passed,
        "standards_total": r.standards.n_total,
        "controls_passed": r.controls.n_passed if r.controls.judged else None,
        "controls_total": r.controls.n_total if r.controls.judged else None,
    }


def _finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Numbers as float64 with every missing or infinite value NaN: `finite_or_none` of each
    cell, as a table column holds it (None is NaN there)."""
    array = np.asarray(values, dtype=float)
    return np.where(np.isfinite(array), array, np.nan)


def _finite_columns(
    columns: dict[str, list], numbers: Iterable[str]
) -> dict[str, list | np.ndarray]:
    """``columns`` with the columns ``numbers`` made `_finite`."""
    return {
        name: _finite(values) if name in numbers else values for name, values in columns.items()
    }


def _concatenated(arrays: list[np.ndarray]) -> np.ndarray:
    """The plates' arrays of a column, end to end."""
    return np.concatenate(arrays) if arrays else np.empty(0)


def group_reassay_rows(r: PlateReduction) -> list[dict]:
    """reassay.csv rows of a plate."""
    return reassay_rows(
        r.plate.plate_id,
        r.groups,
        r.standards.lloq,
        r.standards.uloq,
        plate_failed=r.verdict != "pass",
    )


__all__ = [
    "GroupResult",
    "RunInfo",
    "curve_row",
    "group_reassay_rows",
    "run_row",
    "sample_columns",
    "standard_columns",
    "well_columns",
]
