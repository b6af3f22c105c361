"""Reduce one plate: correct ODs, fit, back-calculate, judge (the sequence of DESIGN section 4)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from elisa.analytes import Analyte
from elisa.config import Rules
from elisa.fit.backcalc import GroupResult, back_calculate, od_stats, well_concentrations
from elisa.fit.fitter import TOP_REACHED_FRACTION, CurveFit
from elisa.fit.request import CurveRequest, fit_curves
from elisa.fit.uncertainty import profile_grid, profile_limits
from elisa.reduction.replicate_groups import ReplicateGroup, replicate_groups
from elisa.reduction.wells import (
    CorrectedWells,
    PlateWells,
    correct_wells,
    well_flags,
    wells_table,
)
from qc.codes import (
    CONTROLS_FAILED,
    CONTROLS_NOT_JUDGED,
    RANGE_NOT_ESTABLISHED,
    STANDARDS_FAILED,
    TOP_NOT_REACHED,
)
from qc.controls import ControlsOutcome, control_limits, judge_controls
from qc.intra_assay import IntraAssayOutcome, assess_intra_assay
from qc.plate_verdict import fit_fail_codes, plate_verdict
from qc.standards import StandardsOutcome, judge_standards


@dataclass(frozen=True, kw_only=True)
class PlateInput:
    """One plate ready to reduce: layout wells (row-major, conc in the analyte's unit) and reads."""

    plate_id: str
    analyte: Analyte
    wells: pd.DataFrame
    od_raw: np.ndarray  # per well at the measurement wavelength
    od_reference: np.ndarray | None  # per well at the reference wavelength, if read
    saturated: np.ndarray  # per well, either read saturated

    @cached_property
    def corrected(self) -> CorrectedWells:
        """The wells with their reads corrected, computed once: a batched run asks for them
        twice (`curve_request`, then `reduce_plate`). Never modified."""
        return correct_wells(self.wells, self.od_raw, self.od_reference, self.saturated)

    @cached_property
    def standard_groups(self) -> list[ReplicateGroup]:
        """The non-zero standard levels, by ascending nominal concentration."""
        return sorted(replicate_groups(self.corrected.wells, "standard"), key=lambda g: g.nominal)


@dataclass(frozen=True, kw_only=True)
class PlateReduction:
    """Everything computed for one plate, before it is laid out as tables."""

    plate: PlateInput
    well_arrays: PlateWells  # the corrected wells, as arrays
    conc_well: np.ndarray  # each well's concentration: in-well × dilution (NaN: no result)
    well_flags: list[str]  # each well's flags, ";"-joined
    blank_mean: float
    blank_wells: tuple[str, ...]
    fit: CurveFit
    standard_groups: list[ReplicateGroup]  # ascending nominal
    standard_backfit: np.ndarray
    standards: StandardsOutcome
    lloq_profile: float
    uloq_profile: float
    groups: list[GroupResult]  # controls first, then samples, each by first well
    controls: ControlsOutcome
    intra: IntraAssayOutcome
    verdict: str
    reasons: str
    warnings: str
    failed_control_wells: tuple[str, ...] = ()  # judged control results outside their limits

    @cached_property
    def wells(self) -> pd.DataFrame:
        """The corrected wells table with ``conc_well`` and ``flags`` columns, built when first
        asked for (the tables of a run are laid out from the arrays)."""
        return wells_table(self.well_arrays, self.conc_well, self.well_flags)


def curve_request(plate: PlateInput, rules: Rules) -> CurveRequest:
    """The plate's first standard-curve fit (all usable standards), to fit with other plates'."""
    corrected = plate.corrected
    x, y = _fit_points(plate.standard_groups, corrected.wells.od)
    return _request(x, y, plate.analyte, corrected.blank_mean, rules)


def reduce_plate(
    plate: PlateInput, rules: Rules, first_fit: CurveFit | None = None
) -> PlateReduction:
    """Run DESIGN 4.1–4.5 on one plate.

    ``first_fit``: the fit of `curve_request` for this plate when it was already fitted in a
    batch; otherwise (and for any refit) the curve is fitted here with ``rules.fitter``.
    """
    analyte = plate.analyte
    corrected = plate.corrected
    wells = corrected.wells
    standards = plate.standard_groups
    fit, backfit, judged = _fit_and_judge(
        standards, wells, analyte, corrected.blank_mean, rules, first_fit
    )
    nominal = np.array([g.nominal for g in standards])
    controls_and_samples = replicate_groups(wells, "control") + replicate_groups(wells, "sample")
    m = _replicate_count([g for g in controls_and_samples if g.kind == "sample"])
    if fit.converged and len(nominal):
        lloq_p, uloq_p = profile_limits(fit, profile_grid(nominal), m, rules.profile_cv_target_pct)
    else:
        lloq_p = uloq_p = float("nan")
    extent = (float(nominal.min()), float(nominal.max())) if len(nominal) else (np.nan, np.nan)
    in_well = well_concentrations(wells, fit)
    groups = back_calculate(
        controls_and_samples,
        wells,
        in_well,
        fit,
        judged.lloq,
        judged.uloq,
        extent,
        analyte.intra_cv_limit_pct,
    )
    conc_well = in_well * np.where(wells.role == "standard", 1.0, wells.dilution)
    controls, failed_control_wells = _judge_controls(wells, conc_well, rules)
    eligible = [r for r in groups if r.group.kind == "control" or r.range == "in"]
    intra = assess_intra_assay(
        [r.conc_cv_pct for r in eligible],
        [r.n_wells for r in eligible],
        [r.high_cv for r in eligible],
        analyte.intra_cv_limit_pct,
        alpha=rules.intra_cv_alpha,
        max_high_cv_fraction=rules.max_high_cv_fraction,
    )
    fails = list(fit_fail_codes(fit.converged, fit.at_bound))
    if not np.isfinite(judged.lloq):
        fails.append(RANGE_NOT_ESTABLISHED)
    if not judged.curve_passed:
        fails.append(STANDARDS_FAILED)
    if controls.judged and not controls.passed:
        fails.append(CONTROLS_FAILED)
    fails += intra.fail_codes
    warnings = list(intra.warning_codes) + ([] if controls.judged else [CONTROLS_NOT_JUDGED])
    if fit.top_fraction() < TOP_REACHED_FRACTION:  # False when NaN (no fit)
        warnings.append(TOP_NOT_REACHED)
    verdict, reasons, warning_text = plate_verdict(fails, warnings)
    flags = well_flags(wells, in_well, fit.converged, extent)
    return PlateReduction(
        plate=plate,
        well_arrays=wells,
        conc_well=conc_well,
        well_flags=flags,
        blank_mean=corrected.blank_mean,
        blank_wells=corrected.blank_wells,
        fit=fit,
        standard_groups=standards,
        standard_backfit=backfit,
        standards=judged,
        lloq_profile=lloq_p,
        uloq_profile=uloq_p,
        groups=groups,
        controls=controls,
        intra=intra,
        verdict=verdict,
        reasons=reasons,
        warnings=warning_text,
        failed_control_wells=failed_control_wells,
    )


def _fit_and_judge(
    standards: list[ReplicateGroup],
    wells: PlateWells,
    analyte: Analyte,
    blank: float,
    rules: Rules,
    first_fit: CurveFit | None = None,
) -> tuple[CurveFit, np.ndarray, StandardsOutcome]:
    """Fit the curve and judge its levels; with `drop_failing_standards` (the M10 option) the
    most deviant failing level leaves the fit and the curve is refitted, while more than
    `standards_min_levels` levels remain. A dropped level stays in the table as failed."""
    od = wells.od
    nominal = np.array([g.nominal for g in standards])
    anchors = [g.anchor for g in standards]
    usable = np.array([len(g.usable) for g in standards])
    # each level's mean OD, read on the curve below (NaN for a level without usable wells)
    od_means = np.array(
        [od[g.usable_rows()].mean() if n else np.nan for g, n in zip(standards, usable)],
        dtype=float,
    )
    dropped: list[int] = []
    while True:
        kept = [g for i, g in enumerate(standards) if i not in dropped]
        x, y = _fit_points(kept, od)
        if first_fit is not None and not dropped:
            fit = first_fit
        else:
            fit = fit_curves([_request(x, y, analyte, blank, rules)], rules.fitter)[0]
        backfit = fit.inverse(od_means)  # elementwise: each level as if read alone
        counts = np.where(np.isin(np.arange(len(standards)), dropped), 0, usable)
        judged = judge_standards(
            nominal,
            backfit,
            anchors,
            counts,
            end_tolerance_pct=rules.standard_end_tolerance_pct,
            tolerance_pct=rules.standard_tolerance_pct,
            min_fraction=rules.standards_min_fraction,
            min_levels=rules.standards_min_levels,
        )
        failing = [
            i
            for i, ok in enumerate(judged.passed)
            if ok is False and i not in dropped and usable[i] > 0
        ]
        if (
            not rules.drop_failing_standards
            or not failing
            or not fit.converged
            or len(kept) - 1 < rules.standards_min_levels
        ):
            break
        deviance = np.abs(np.nan_to_num(judged.recovery_pct, nan=np.inf) - 100.0)
        dropped.append(max(failing, key=lambda i: deviance[i]))
    if dropped:
        levels = ", ".join(str(i + 1) for i in sorted(dropped))
        note = f"standard level(s) {levels} left out of the fit (drop_failing_standards)"
        fit = dataclasses.replace(fit, message="; ".join(m for m in (fit.message, note) if m))
    return fit, backfit, judged


def _request(
    x: np.ndarray, y: np.ndarray, analyte: Analyte, blank: float, rules: Rules
) -> CurveRequest:
    return CurveRequest(
        x=x,
        y=y,
        model=analyte.model,
        weighting=analyte.weighting,
        theta=analyte.theta,
        blank=blank,
        min_levels_4pl=rules.min_levels_4pl,
        min_levels_5pl=rules.min_levels_5pl,
    )


def _fit_points(standards: list[ReplicateGroup], od: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One (nominal, od) point per usable well of every non-zero standard level (``od``: the
    plate's corrected ODs)."""
    xs, ys = [], []
    for group in standards:
        rows = group.usable_rows()
        xs.extend([group.nominal] * len(rows))
        ys.extend(od[rows])
    return np.array(xs, dtype=float), np.array(ys, dtype=float)


def _replicate_count(samples: list[ReplicateGroup]) -> float:
    """The most common number of usable wells in sample groups (2 when there are none)."""
    counts = [c for c in (len(g.usable) for g in samples) if c > 0]
    if not counts:
        return 2.0
    values, freq = np.unique(counts, return_counts=True)
    return float(values[np.argmax(freq)])


def _judge_controls(
    wells: PlateWells, conc_well: np.ndarray, rules: Rules
) -> tuple[ControlsOutcome, tuple[str, ...]]:
    """Each usable or saturated control well is a result; masked wells are not results.
    Also returns the wells of the judged results that failed (marked on the report's plate map).
    ``conc_well``: each well's concentration (in-well × dilution)."""
    rows = (wells.role == "control") & ~wells.masked & (wells.usable | wells.saturated)
    low, high = control_limits(
        wells.conc[rows], wells.conc_low[rows], wells.conc_high[rows], rules.control_tolerance_pct
    )
    outcome = judge_controls([str(s) for s in wells.sample[rows]], conc_well[rows], low, high)
    judged = np.isfinite(low) & np.isfinite(high)
    failed = tuple(wells.well[rows][judged & ~outcome.result_passed])
    return outcome, failed


def standard_level_stats(
    reduction: PlateReduction, group: ReplicateGroup
) -> tuple[int, float, float]:
    """(usable wells, mean od, od CV %) of a standard level."""
    rows = group.usable_rows()
    mean, cv = od_stats(reduction.well_arrays.od[rows])
    return len(rows), mean, cv
