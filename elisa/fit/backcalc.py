"""Back-calculation of replicate groups: concentration, spread, uncertainty and range (DESIGN 4.3–4.4)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from elisa.fit.fitter import CurveFit
from elisa.fit.logistic import side_beyond_asymptote
from elisa.fit.uncertainty import inwell_se_each, log_interval
from elisa.reduction.replicate_groups import ReplicateGroup
from elisa.reduction.wells import PlateWells, has_role
from qc.codes import (
    BELOW_BLANK,
    EXTRAPOLATED,
    HIGH_CV,
    MASKED_WELL,
    NO_SOLUTION,
    SATURATED,
    SINGLE_WELL,
)
from qc.replicates import high_cv_threshold, is_high_cv, mean_and_sd, replicate_cv


@dataclass(frozen=True, kw_only=True)
class GroupResult:
    """A sample or control group's numbers; concentrations after dilution unless said in-well."""

    group: ReplicateGroup
    n_wells: int
    od_mean: float
    od_cv_pct: float
    x_w: float  # in-well concentration of the mean OD
    conc: float
    conc_sd: float
    conc_cv_pct: float
    conc_se: float
    ci_low: float
    ci_high: float
    range: str  # "below", "in", "above" or "" (no fit / no range)
    flags: frozenset[str] = field(default_factory=frozenset)

    @property
    def high_cv(self) -> bool:
        return HIGH_CV in self.flags

    @property
    def reportable(self) -> bool:
        return (
            self.range == "in"
            and HIGH_CV not in self.flags
            and SATURATED not in self.flags
            and self.n_wells >= 2
            and math.isfinite(self.conc)
        )


def od_stats(od: np.ndarray | list[float]) -> tuple[float, float]:
    """Mean and CV (%) of corrected ODs (CV NaN below 2 wells)."""
    if len(od) == 0:
        return float("nan"), float("nan")
    mean, sd = mean_and_sd(od)
    if len(od) < 2 or mean == 0:
        return mean, float("nan")
    return mean, 100.0 * sd / abs(mean)


def well_concentrations(wells: PlateWells, fit: CurveFit) -> np.ndarray:
    """Per-well in-well concentration; NaN for wells that are no result (unusable, blank,
    empty) or whose OD has no solution."""
    x = fit.inverse(wells.od)
    is_result = wells.usable & has_role(wells.role, "standard", "control", "sample")
    return np.where(is_result & ~wells.is_blank, x, np.nan)


def well_state_flags(group: ReplicateGroup, od_mean: float) -> set[str]:
    """Flags a group takes from its wells: saturated, masked_well, single_well, below_blank."""
    n_usable = len(group.usable)
    flags = set()
    if group.saturated:
        flags.add(SATURATED)
    if group.masked:
        flags.add(MASKED_WELL)
    if n_usable == 1:
        flags.add(SINGLE_WELL)
    if n_usable and od_mean < 0:
        flags.add(BELOW_BLANK)
    return flags


@dataclass(frozen=True)
class CurveReadings:
    """A plate's groups read on the curve, element i for group i: in-well ``x_w`` of the group's
    mean OD, concentrations after dilution. Lists of Python floats: each group takes its own
    element, which a list gives faster than an array, and a float has the same bits."""

    x_w: list[float]
    conc_wells: list[list[float]]  # each usable well's concentration (NaN: no solution)
    conc: list[float]
    conc_se: list[float]
    ci_low: list[float]
    ci_high: list[float]
    high_cv_threshold_pct: list[float]  # `high_cv_threshold` of the single-well CV at x_w


def read_curve(
    groups: list[ReplicateGroup],
    in_well: np.ndarray,
    fit: CurveFit,
    od_means: list[float],
    intra_limit_pct: float,
) -> CurveReadings:
    """Every group of a plate read on the (converged) curve in one pass over arrays.

    Each group's numbers are those of reading it alone: the steps are elementwise (each element
    gets the same result whatever the array's length) and the SEs are `inwell_se_each`.
    ``in_well``: each well's in-well concentration (`well_concentrations`); ``od_means``: each
    group's mean corrected OD (NaN without usable wells).
    """
    dilution = np.array([g.dilution for g in groups], dtype=float)
    n_wells = np.array([len(g.usable) for g in groups], dtype=float)
    x_w = fit.inverse(np.array(od_means, dtype=float))
    n = len(groups)
    # groups without wells or a solution are read too (NaN): their warnings are not news
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # both SEs in one pass (elementwise, so each is as if computed alone): the SE of the
        # mean of the group's wells, then that of a single well (the expected CV)
        se = inwell_se_each(fit, np.concatenate([x_w, x_w]), np.concatenate([n_wells, np.ones(n)]))
        conc_se = se[:n] * dilution
        expected_cv = 100.0 * se[n:] / x_w
        conc = x_w * dilution
    ci_low, ci_high = log_interval(conc, conc_se, fit.df)
    thresholds = np.asarray(high_cv_threshold(intra_limit_pct, expected_cv))
    # a product of Python floats is the same IEEE operation as numpy's
    in_well_list = in_well.tolist()
    return CurveReadings(
        x_w=x_w.tolist(),
        conc_wells=[[in_well_list[row] * g.dilution for row in g.usable] for g in groups],
        conc=conc.tolist(),
        conc_se=conc_se.tolist(),
        ci_low=ci_low.tolist(),
        ci_high=ci_high.tolist(),
        high_cv_threshold_pct=thresholds.tolist(),
    )


def back_calculate(
    groups: list[ReplicateGroup],
    wells: PlateWells,
    in_well: np.ndarray,
    fit: CurveFit,
    lloq: float,
    uloq: float,
    extent: tuple[float, float],
    intra_limit_pct: float,
) -> list[GroupResult]:
    """Everything samples.csv says about each group (extent: smallest/largest non-zero nominal;
    ``in_well``: each well's in-well concentration, `well_concentrations`)."""
    od = wells.od.tolist()  # read a few wells per group, as Python floats (see `read_curve`)
    stats = [od_stats([od[row] for row in g.usable]) for g in groups]
    means = [mean for mean, _ in stats]
    readings = read_curve(groups, in_well, fit, means, intra_limit_pct) if fit.converged else None
    return [
        _group_result(group, od_mean, od_cv, readings, i, fit, (lloq, uloq), extent)
        for i, (group, (od_mean, od_cv)) in enumerate(zip(groups, stats))
    ]


def _group_result(
    group: ReplicateGroup,
    od_mean: float,
    od_cv: float,
    readings: CurveReadings | None,
    i: int,
    fit: CurveFit,
    limits: tuple[float, float],
    extent: tuple[float, float],
) -> GroupResult:
    """One group's result from its usable wells' mean and CV of OD and its reading on the
    curve, element ``i`` of ``readings`` (None: no fit)."""
    lloq, uloq = limits
    flags = well_state_flags(group, od_mean)
    nan = float("nan")
    n_wells = len(group.usable)
    common = {"group": group, "n_wells": n_wells, "od_mean": od_mean, "od_cv_pct": od_cv}
    if readings is None or n_wells == 0:
        side = _saturated_side(fit) if fit.converged and SATURATED in flags else ""
        return _without_concentration(common, flags, range_=side if math.isfinite(lloq) else "")
    x_w = readings.x_w[i]
    conc_wells = readings.conc_wells[i]
    any_without_solution = any(math.isnan(value) for value in conc_wells)
    conc_cv = replicate_cv(conc_wells) if not any_without_solution else nan
    conc_sd = mean_and_sd(conc_wells)[1] if n_wells >= 2 and not any_without_solution else nan
    if math.isnan(x_w):
        flags.add(NO_SOLUTION)
        if group.kind == "control" and any_without_solution:
            flags.add(HIGH_CV)
        side = str(side_beyond_asymptote(od_mean, fit.params["a"], fit.params["d"]))
        return _without_concentration(
            common,
            flags,
            range_=side if math.isfinite(lloq) else "",
            conc_sd=conc_sd,
            conc_cv_pct=conc_cv,
        )
    if x_w < extent[0] or x_w > extent[1]:
        flags.add(EXTRAPOLATED)
    if not math.isfinite(lloq):  # no range established: no concentration either (DESIGN 4.4)
        return _without_concentration(
            common, flags, range_="", x_w=x_w, conc_sd=conc_sd, conc_cv_pct=conc_cv
        )
    range_ = "below" if x_w < lloq else "above" if x_w > uloq else "in"
    judged = group.kind == "control" or range_ == "in"
    threshold = readings.high_cv_threshold_pct[i]
    if judged and is_high_cv(conc_cv, threshold, any_without_solution):
        flags.add(HIGH_CV)
    return GroupResult(
        **common,
        x_w=x_w,
        conc=readings.conc[i],
        conc_sd=conc_sd,
        conc_cv_pct=conc_cv,
        conc_se=readings.conc_se[i],
        ci_low=readings.ci_low[i],
        ci_high=readings.ci_high[i],
        range=range_,
        flags=frozenset(flags),
    )


def _without_concentration(
    common: dict,
    flags: set[str],
    *,
    range_: str,
    x_w: float = float("nan"),
    conc_sd: float = float("nan"),
    conc_cv_pct: float = float("nan"),
) -> GroupResult:
    """A group with no concentration (no fit, no solution or no range): conc, SE and interval
    missing; the spread of the wells' concentrations is kept where it exists."""
    nan = float("nan")
    return GroupResult(
        **common,
        x_w=x_w,
        conc=nan,
        conc_sd=conc_sd,
        conc_cv_pct=conc_cv_pct,
        conc_se=nan,
        ci_low=nan,
        ci_high=nan,
        range=range_,
        flags=frozenset(flags),
    )


def _saturated_side(fit: CurveFit) -> str:
    """Saturated wells read high: the d side for an increasing curve, the a side otherwise."""
    return "above" if fit.params["d"] > fit.params["a"] else "below"
