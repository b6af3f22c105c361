"""Lay a plate's reduction out as the rows of the DESIGN 5.1 tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from elisa.fit.backcalc import GroupResult, well_state_flags
from elisa.missing import finite_or_none
from elisa.reduction.plate import PlateReduction, standard_level_stats
from elisa.reduction.reassay import reassay_rows
from qc.codes import NO_SOLUTION, join_flags


@dataclass(frozen=True)
class RunInfo:
    """What runs.csv says about a plate besides its QC outcome."""

    run_date: str
    lot: str | None
    source_file: str
    source_sha256: str


def sample_rows(r: PlateReduction) -> list[dict]:
    """samples.csv rows: controls first, then samples, each in order of their first well."""
    analyte = r.plate.analyte
    return [
        {
            "plate_id": r.plate.plate_id,
            "analyte": analyte.name,
            "unit": analyte.unit,
            "kind": g.group.kind,
            "sample_id": g.group.sample_id,
            "dilution": g.group.dilution,
            "n_wells": g.n_wells,
            "od_mean": finite_or_none(g.od_mean),
            "od_cv_pct": finite_or_none(g.od_cv_pct),
            "conc": finite_or_none(g.conc),
            "conc_sd": finite_or_none(g.conc_sd),
            "conc_cv_pct": finite_or_none(g.conc_cv_pct),
            "conc_se": finite_or_none(g.conc_se),
            "conc_ci_low": finite_or_none(g.ci_low),
            "conc_ci_high": finite_or_none(g.ci_high),
            "range": g.range or None,
            "reportable": bool(r.fit.converged and g.reportable),
            "flags": join_flags(g.flags),
        }
        for g in r.groups
    ]


def standard_rows(r: PlateReduction) -> list[dict]:
    """standards.csv rows, level 1..n by ascending nominal (in-well concentrations)."""
    rows = []
    for level, group in enumerate(r.standard_groups, start=1):
        n, mean, cv = standard_level_stats(r, group)
        flags = well_state_flags(group, mean)
        if n and r.fit.converged and np.isnan(r.standard_backfit[level - 1]):
            flags.add(NO_SOLUTION)
        passed = r.standards.passed[level - 1]
        rows.append(
            {
                "plate_id": r.plate.plate_id,
                "analyte": r.plate.analyte.name,
                "level": level,
                "nominal": group.nominal,
                "n_wells": n,
                "od_mean": finite_or_none(mean),
                "od_cv_pct": finite_or_none(cv),
                "backfit": finite_or_none(r.standard_backfit[level - 1]),
                "recovery_pct": finite_or_none(r.standards.recovery_pct[level - 1]),
                "anchor": group.anchor,
                "passed": None if passed is None else bool(passed),
                "flags": join_flags(flags),
            }
        )
    return rows


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


def well_rows(r: PlateReduction) -> list[dict]:
    """wells.csv rows in row-major order (every well of the plate)."""
    wells = r.well_arrays
    columns = ("well", "role", "sample", "conc", "dilution", "od_raw", "od")
    values = {name: getattr(wells, name).tolist() for name in columns}
    values["conc_well"] = r.conc_well.tolist()
    saturated, masked, flags = wells.saturated.tolist(), wells.masked.tolist(), r.well_flags
    plate_id = r.plate.plate_id
    rows = []
    for i, role in enumerate(values["role"]):
        sample = values["sample"][i]
        nominal = values["conc"][i] if role in ("standard", "control") else None
        rows.append(
            {
                "plate_id": plate_id,
                "well": values["well"][i],
                "role": role,
                "sample_id": sample if isinstance(sample, str) else None,
                "conc_nominal": finite_or_none(nominal) if nominal is not None else None,
                "dilution": float(values["dilution"][i]) if role in ("sample", "control") else None,
                "od_raw": finite_or_none(values["od_raw"][i]),
                "od": finite_or_none(values["od"][i]),
                "conc_well": finite_or_none(values["conc_well"][i]),
                "saturated": bool(saturated[i]),
                "masked": bool(masked[i]),
                "flags": flags[i],
            }
        )
    return rows


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
    "sample_rows",
    "standard_rows",
    "well_rows",
]
