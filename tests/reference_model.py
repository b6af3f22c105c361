"""Independent reference implementation of DESIGN section 4 (as pinned down by docs/computation.md).

Used only by the tests, to check the production pipeline against a second, separately written
computation. It deliberately imports nothing from `plates`, `qc` or `elisa`: it has its own tiny
readers (a `grid` CSV and the subset of wellmap TOML the fixtures use), its own curve model with
analytic derivatives, a scipy `least_squares` fitter with tight tolerances and several starts, and
its own back-calculation, uncertainty, range and QC rules.

`compute_plate(csv, toml)` returns a `PlateResult` whose tables are lists of dicts keyed like the
columns of DESIGN 5.1 (missing values are None, flags ";"-joined and alphabetical, "" when none).
"""

from __future__ import annotations

import csv
import math
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize, stats

ROWS = "ABCDEFGHIJKLMNOP"

SATURATED_MARKERS = {"OVRFLW", "OVER", "Over", "Overflow", "*****", "Sat.", "#SAT", "> Max"}
MISSING_MARKERS = {"", "MISSED", "?????", "NaN", "< Min"}

# canonical name -> (unit, intra-assay CV limit %, aliases)
ANALYTES: dict[str, tuple[str, float, tuple[str, ...]]] = {
    "FKN": ("pg/mL", 4.3, ("CX3CL1", "fractalkine")),
    "TRACP-5b": ("U/L", 3.9, ("TRAP5b", "TRACP5b")),
    "IL-1b": ("pg/mL", 4.6, ("IL-1β", "IL1B", "IL-1beta")),
    "IL-6": ("pg/mL", 3.5, ("IL6",)),
}

FAIL_ORDER = (
    "fit_not_converged",
    "parameter_at_bound",
    "range_not_established",
    "standards_failed",
    "controls_failed",
    "intra_cv_fail",
    "too_many_high_cv",
    "westgard_reject",
)
WARNING_ORDER = (
    "intra_cv_above_limit",
    "controls_not_judged",
    "westgard_warning",
    "intra_cv_not_assessable",
    "top_not_reached",
)


def _fold(name: str) -> str:
    return re.sub(r"[\s\-_]", "", name.replace("β", "b").replace("Β", "b")).casefold()


def canonical_analyte(name: str) -> str:
    key = _fold(name)
    for canon, (_unit, _limit, aliases) in ANALYTES.items():
        if key in {_fold(canon), *(_fold(a) for a in aliases)}:
            return canon
    raise ValueError(f"unknown analyte {name!r}")


# --------------------------------------------------------------------------------------------
# readers


def _parse_cell(cell: str) -> tuple[float, bool]:
    """(value, saturated); missing cells give (nan, False)."""
    text = cell.strip()
    if text in SATURATED_MARKERS:
        return math.nan, True
    if text in MISSING_MARKERS:
        return math.nan, False
    return float(text.replace(",", ".")), False


def read_grid_csv(path: str | Path) -> dict[int | None, dict[str, tuple[float, bool]]]:
    """Grids of a plain `grid` CSV: {wavelength or None: {"A1": (od, saturated), ...}}.

    A grid starts at a header row `<wavelength or empty>,1,2,...,12` (or up to 24) and has one row
    per plate row, labelled A, B, ...
    """
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    rows = [[c.strip() for c in r] for r in csv.reader(lines)]
    grids: dict[int | None, dict[str, tuple[float, bool]]] = {}
    i = 0
    while i < len(rows):
        r = rows[i]
        ncol = 0
        while ncol + 1 < len(r) and r[ncol + 1] == str(ncol + 1):
            ncol += 1
        if ncol in (12, 24):
            wavelength = int(float(r[0])) if r[0] else None
            nrow = 8 if ncol == 12 else 16
            grid: dict[str, tuple[float, bool]] = {}
            for j in range(nrow):
                rr = rows[i + 1 + j]
                if not rr or rr[0] != ROWS[j]:
                    raise ValueError(f"{path}: expected row {ROWS[j]} at line {i + 2 + j}")
                for k in range(ncol):
                    cell = rr[k + 1] if k + 1 < len(rr) else ""
                    grid[f"{ROWS[j]}{k + 1}"] = _parse_cell(cell)
            grids[wavelength] = grid
            i += nrow + 1
        else:
            i += 1
    if not grids:
        raise ValueError(f"{path}: no grid found")
    return grids


def _split_indices(spec: str) -> list[str]:
    parts = [p.strip() for p in str(spec).split(",")]
    if len(parts) == 4 and parts[2] == "...":
        return ["..."] + [parts[0], parts[1], parts[3]]
    return parts


def _row_index(label: str) -> int:
    return ROWS.index(label.upper())


def _well_rc(well: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Pa-p])(\d+)", well.strip())
    if not m:
        raise ValueError(f"bad well name {well!r}")
    return _row_index(m.group(1)), int(m.group(2))


def _expand_rows(spec: str) -> list[int]:
    parts = _split_indices(spec)
    if parts[0] == "...":
        a, b, e = (_row_index(p) for p in parts[1:])
        return list(range(a, e + 1, b - a))
    return [_row_index(p) for p in parts]


def _expand_cols(spec: str) -> list[int]:
    parts = _split_indices(spec)
    if parts[0] == "...":
        a, b, e = (int(p) for p in parts[1:])
        return list(range(a, e + 1, b - a))
    return [int(p) for p in parts]


def _expand_wells(spec: str) -> list[tuple[int, int]]:
    parts = _split_indices(spec)
    if parts[0] == "...":
        (r0, c0), (r1, c1), (re_, ce) = (_well_rc(p) for p in parts[1:])
        rows = range(r0, re_ + 1, r1 - r0) if r1 != r0 else [r0]
        cols = range(c0, ce + 1, c1 - c0) if c1 != c0 else [c0]
        return [(r, c) for r in rows for c in cols]
    return [_well_rc(p) for p in parts]


def _name(rc: tuple[int, int]) -> str:
    return f"{ROWS[rc[0]]}{rc[1]}"


def read_layout(path: str | Path, nrow: int = 8, ncol: int = 12) -> tuple[dict, dict[str, dict]]:
    """(expt fields, {well: fields}) for the wells that some row/col/block/well section names.

    Precedence as in wellmap: [expt] < [row]/[col] < [block] (larger blocks first) < [well].
    A field set differently by a row and a column section is an error here (the fixtures never
    do that).
    """
    with open(path, "rb") as fh:
        doc = tomllib.load(fh)
    known = {"expt", "row", "col", "block", "well", "meta"}
    unknown = set(doc) - known
    if unknown:
        raise ValueError(f"{path}: reference reader does not support sections {sorted(unknown)}")
    expt = dict(doc.get("expt", {}))

    named: set[tuple[int, int]] = set()
    rowcol: dict[tuple[int, int], dict] = {}
    rowcol_src: dict[tuple[int, int], dict] = {}

    def add_rowcol(cells, fields, src):
        for rc in cells:
            named.add(rc)
            cur = rowcol.setdefault(rc, {})
            for k, v in fields.items():
                if k in cur and cur[k] != v and rowcol_src[rc][k] != src:
                    raise ValueError(f"{path}: {_name(rc)} field {k} set by both a row and a col")
                cur[k] = v
                rowcol_src.setdefault(rc, {})[k] = src

    for spec, fields in doc.get("row", {}).items():
        add_rowcol([(r, c) for r in _expand_rows(spec) for c in range(1, ncol + 1)], fields, "row")
    for spec, fields in doc.get("col", {}).items():
        add_rowcol([(r, c) for c in _expand_cols(spec) for r in range(nrow)], fields, "col")

    blocks: list[tuple[int, list[tuple[int, int]], dict]] = []
    for size, corners in doc.get("block", {}).items():
        m = re.fullmatch(r"(\d+)x(\d+)", size)
        if not m:
            raise ValueError(f"{path}: bad block size {size!r}")
        w, h = int(m.group(1)), int(m.group(2))
        for spec, fields in corners.items():
            for r0, c0 in _expand_wells(spec):
                cells = [(r0 + i, c0 + j) for i in range(h) for j in range(w)]
                blocks.append((w * h, cells, fields))
    blocks.sort(key=lambda b: -b[0])  # larger blocks first, smaller ones override

    wells_sec: list[tuple[list[tuple[int, int]], dict]] = [
        (_expand_wells(spec), fields) for spec, fields in doc.get("well", {}).items()
    ]
    for _, cells, _f in blocks:
        named.update(cells)
    for cells, _f in wells_sec:
        named.update(cells)

    out: dict[str, dict] = {}
    for rc in named:
        if rc[0] >= nrow or rc[1] > ncol or rc[1] < 1:
            raise ValueError(f"{path}: well {_name(rc)} is off the plate")
        fields = {k: v for k, v in expt.items()}
        fields.update(rowcol.get(rc, {}))
        for _, cells, f in blocks:
            if rc in cells:
                fields.update(f)
        for cells, f in wells_sec:
            if rc in cells:
                fields.update(f)
        out[_name(rc)] = fields
    return expt, out


# --------------------------------------------------------------------------------------------
# the curve: y = d + (a - d) / (1 + (x/c)^b)^g


def curve(x, a, b, c, d, g=1.0):
    x = np.asarray(x, dtype=float)
    u = np.exp(b * np.log(x / c))
    return d + (a - d) * (1.0 + u) ** (-g)


def curve_dx(x, a, b, c, d, g=1.0):
    """df/dx."""
    x = np.asarray(x, dtype=float)
    u = np.exp(b * np.log(x / c))
    s = 1.0 + u
    return -g * (a - d) * s ** (-g - 1.0) * b * u / x


def curve_grad(x, a, b, c, d, g=1.0, five: bool = False):
    """df/dθ for the free parameters (a, b, ln c, d[, ln g]); shape (len(x), p)."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    lx = np.log(x / c)
    u = np.exp(b * lx)
    s = 1.0 + u
    sg = s ** (-g)
    dfdu = -g * (a - d) * s ** (-g - 1.0)
    cols = [sg, dfdu * u * lx, dfdu * (-b * u), 1.0 - sg]
    if five:
        cols.append(g * (a - d) * sg * (-np.log(s)))
    return np.column_stack(cols)


def curve_inverse(y: float, a, b, c, d, g=1.0) -> tuple[float | None, str | None]:
    """(x, None) for y strictly between a and d; else (None, "below" on the a side / "above")."""
    lo, hi = min(a, d), max(a, d)
    if lo < y < hi:
        q = (a - d) / (y - d)
        inner = q ** (1.0 / g) - 1.0
        if inner > 0 and math.isfinite(inner):
            return float(c * inner ** (1.0 / b)), None
        # numerically at an asymptote
        return None, ("below" if abs(y - a) < abs(y - d) else "above")
    # beyond: which asymptote's side?
    if (y - a) * (d - a) <= 0:
        return None, "below"
    return None, "above"


# --------------------------------------------------------------------------------------------
# fitting


@dataclass
class Curve:
    model: str
    weighting: str
    theta: float | None
    params: np.ndarray | None  # a, b, c, d, g
    cov: np.ndarray | None  # free parameters (a, b, ln c, d[, ln g])
    sigma2: float | None
    rmse: float | None
    r_squared: float | None
    n: int
    p: int
    converged: bool
    message: str
    at_bound: list[str]
    blank: float
    weight_norm: float  # mean of the raw weights over the points (1 when unweighted)
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    objective: float | None = None
    cycles: int = 0  # reweighting cycles run (0 when unweighted)
    settled: bool = True  # the reweighting reached its tolerance within 50 cycles

    @property
    def five(self) -> bool:
        return self.model == "5PL"

    def f(self, x):
        return curve(x, *self.params)

    def inverse(self, y):
        return curve_inverse(float(y), *self.params)

    def weight_at(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.weighting == "none" or not self.theta:
            return np.ones_like(x)
        mu = np.maximum(self.f(x) + self.blank, 1e-3)
        return mu ** (-2.0 * self.theta) / self.weight_norm

    def var_x(self, x, m: float) -> np.ndarray:
        """Delta-method variance of the in-well concentration at x with m wells averaged."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        fp = curve_dx(x, *self.params)
        gvec = -curve_grad(x, *self.params, five=self.five) / fp[:, None]
        param_term = np.einsum("ij,jk,ik->i", gvec, self.cov, gvec)
        rep_term = self.sigma2 / (self.weight_at(x) * m * fp**2)
        return rep_term + param_term

    def cv_x(self, x, m: float) -> np.ndarray:
        x = np.atleast_1d(np.asarray(x, dtype=float))
        return np.sqrt(self.var_x(x, m)) / x


def _bounds(x, y, five: bool):
    """docs/computation.md: a, d within 10 spans of the points; b 0.05–20; c within 1e4 of the
    nominal range; g 0.05–20 (ln c, ln g on the log scale)."""
    lo_y, hi_y = float(np.min(y)), float(np.max(y))
    span = hi_y - lo_y
    if span <= 0:
        span = max(abs(hi_y), 1e-3)
    lb = [lo_y - 10.0 * span, 0.05, math.log(np.min(x) / 1e4), lo_y - 10.0 * span]
    ub = [hi_y + 10.0 * span, 20.0, math.log(1e4 * np.max(x)), hi_y + 10.0 * span]
    if five:
        lb.append(math.log(0.05))
        ub.append(math.log(20.0))
    return np.array(lb), np.array(ub)


def _to_natural(q: np.ndarray) -> np.ndarray:
    a, b, lc, d = q[:4]
    g = math.exp(q[4]) if len(q) == 5 else 1.0
    return np.array([a, b, math.exp(lc), d, g])


def _starts(x, y, lb, ub) -> list[np.ndarray]:
    levels = np.unique(x)
    a0 = float(np.mean(y[x == levels[0]]))
    d0 = float(np.mean(y[x == levels[-1]]))
    lnc0 = float(np.mean(np.log(levels)))
    starts = [np.array([a0, 1.0, lnc0, d0])]
    span = float(np.max(y) - np.min(y))
    if d0 >= a0:
        a1, d1 = float(np.min(y)) - 0.001 * span, float(np.max(y)) + 0.001 * span
    else:
        a1, d1 = float(np.max(y)) + 0.001 * span, float(np.min(y)) - 0.001 * span
    z = np.log((y - a1) / (d1 - y))
    ok = np.isfinite(z)
    if ok.sum() >= 2 and np.ptp(x[ok]) > 0:
        slope, intercept = np.polyfit(np.log(x[ok]), z[ok], 1)
        if slope > 0:
            starts.append(np.array([a1, slope, -intercept / slope, d1]))
    qs = np.percentile(np.log(x), [25, 50, 75])
    for b in (0.5, 1.0, 2.0):
        for q in qs:
            starts.append(np.array([a0, b, float(q), d0]))
    out = []
    margin = 1e-9 * (ub[:4] - lb[:4])
    for s in starts:
        out.append(np.clip(s, lb[:4] + margin, ub[:4] - margin))
    return out


def _solve(x, y, w, q0, lb, ub, five):
    sw = np.sqrt(w)

    def resid(q):
        nat = _to_natural(q)
        return sw * (y - curve(x, *nat))

    def jac(q):
        nat = _to_natural(q)
        return -sw[:, None] * curve_grad(x, *nat, five=five)

    margin = 1e-12 * (ub - lb)
    q0 = np.clip(q0, lb + margin, ub - margin)
    res = optimize.least_squares(
        resid,
        q0,
        jac=jac,
        bounds=(lb, ub),
        method="trf",
        x_scale="jac",
        ftol=1e-14,
        xtol=1e-14,
        gtol=1e-14,
        max_nfev=20000,
    )
    return res


def _best(x, y, w, starts, lb, ub, five):
    best = None
    for q0 in starts:
        try:
            res = _solve(x, y, w, q0, lb, ub, five)
        except (ValueError, FloatingPointError):
            continue
        if not np.all(np.isfinite(res.fun)):
            continue
        obj = float(res.fun @ res.fun)
        # a later start must improve meaningfully: equal optima found from different starts
        # differ in the last digits, and flipping between them would keep the reweighting from
        # settling (the first start is the previous cycle's solution when there is one)
        if best is None or obj < best[1] * (1.0 - 1e-10):
            best = (res, obj)
    return best


G_GRID = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def _g_starts(q4: np.ndarray) -> list[np.ndarray]:
    """5PL starts from the 4PL optimum: one per g in G_GRID, c moved so that the 5PL's
    half-response point stays at the 4PL's c (half response at c·(2^(1/g) − 1)^(1/b))."""
    a, b, lnc, d = q4
    return [
        np.array([a, b, lnc - math.log(2.0 ** (1.0 / g) - 1.0) / b, d, math.log(g)]) for g in G_GRID
    ]


def top_share(fit: Curve) -> float | None:
    """(f(highest fitted standard) − a) / (d − a); under 0.5: warning top_not_reached."""
    if not fit.converged or fit.params is None or len(fit.x) == 0:
        return None
    a, _b, _c, d, _g = fit.params
    if d == a:
        return None
    return float((fit.f(np.max(fit.x)) - a) / (d - a))


def _theta_for(weighting: str, theta) -> float | str:
    if weighting == "none":
        return 0.0
    if weighting == "1/y":
        return 0.5
    if weighting == "1/y^2":
        return 1.0
    if weighting == "pom":
        return 1.0 if theta is None else theta
    raise ValueError(f"unknown weighting {weighting!r}")


def fit_curve(
    x, y, *, model: str = "4PL", weighting: str = "none", theta=None, blank: float = 0.0
) -> Curve:
    """Fit the 4PL/5PL to the points (x = nominal in-well concentration, y = corrected OD)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(y)
    levels = np.unique(x)
    message = ""
    if model == "5PL" and len(levels) < 6:
        model = "4PL"
        message = "5PL needs at least 6 levels; fell back to 4PL"
    five = model == "5PL"
    p = 5 if five else 4
    th = _theta_for(weighting, theta)
    estimate = th == "estimate"
    theta_val: float = 0.0 if estimate else float(th)

    def empty(msg):
        return Curve(
            model,
            weighting,
            None,
            None,
            None,
            None,
            None,
            None,
            n,
            p,
            False,
            msg,
            [],
            blank,
            1.0,
            x,
            y,
            np.ones(n),
        )

    if len(levels) < 5 or n <= p:
        return empty((message + "; " if message else "") + "too few standard levels or points")

    lb4, ub4 = _bounds(x, y, False)
    lb, ub = _bounds(x, y, five)
    w = np.ones(n)

    def fit_once(w, prev):
        starts4 = _starts(x, y, lb4, ub4)
        if prev is not None and not five:
            starts4 = [prev] + starts4
        best4 = _best(x, y, w, starts4, lb4, ub4, False)
        if not five:
            return best4
        if best4 is None:
            return None
        s5 = _g_starts(best4[0].x)
        if prev is not None:
            s5.insert(0, prev)
        return _best(x, y, w, s5, lb, ub, True)

    best = fit_once(w, None)
    if best is None:
        return empty("the fit failed")
    weighted = weighting != "none" and (estimate or theta_val != 0.0)
    norm = 1.0
    cycles, settled = 0, True
    if weighted:
        q = best[0].x
        settled = False
        for _cycle in range(50):
            cycles += 1
            nat = _to_natural(q)
            mu = np.maximum(curve(x, *nat) + blank, 1e-3)
            if estimate:
                r = np.abs(y - curve(x, *nat))
                ok = r > 0
                slope = np.polyfit(np.log(mu[ok]), np.log(r[ok]), 1)[0]
                theta_val = float(np.clip(slope, 0.0, 2.0))
            raw = mu ** (-2.0 * theta_val)
            norm = float(np.mean(raw))
            w = raw / norm
            best = fit_once(w, q)
            if best is None:
                return empty("the weighted fit failed")
            new = _to_natural(best[0].x)
            rel = np.abs(new - nat) / np.maximum(np.abs(nat), 1e-300)
            q = best[0].x
            if np.all(rel < 1e-8):
                settled = True
                break
        # normalise the weights with the final curve (the fixed point of the iteration)
        nat = _to_natural(q)
        mu = np.maximum(curve(x, *nat) + blank, 1e-3)
        norm = float(np.mean(mu ** (-2.0 * theta_val)))

    res, obj = best
    q = res.x
    nat = _to_natural(q)
    fitted = curve(x, *nat)
    r = y - fitted
    sigma2 = float(np.sum(w * r**2) / (n - p))
    J = curve_grad(x, *nat, five=five)
    JtWJ = J.T @ (w[:, None] * J)
    try:
        cov = sigma2 * np.linalg.inv(JtWJ)
    except np.linalg.LinAlgError:
        cov = np.full((p, p), np.nan)
    names = ["a", "b", "c", "d", "g"][:p]
    at_bound = [
        nm
        for nm, qi, lo, u in zip(names, q, lb, ub)
        if qi - lo <= 1e-6 * (u - lo) or u - qi <= 1e-6 * (u - lo)
    ]
    r2 = 1.0 - float(np.sum(r**2)) / float(np.sum((y - y.mean()) ** 2))
    converged = bool(res.status > 0)
    if five and at_bound:
        # the 5PL optimum needs a bound: the standards do not identify it, the 4PL is reported
        four = fit_curve(x, y, model="4PL", weighting=weighting, theta=theta, blank=blank)
        note = "5PL: " + ", ".join(f"{nm} reached its bound" for nm in at_bound)
        four.message = note + "; fitted 4PL instead" + ("; " + four.message if four.message else "")
        return four
    if not settled:
        message = (message + "; " if message else "") + "weights did not settle in 50 cycles"
    return Curve(
        model,
        weighting,
        theta_val if weighted else None,
        nat,
        cov,
        sigma2,
        math.sqrt(sigma2),
        r2,
        n,
        p,
        converged,
        message if converged else (message + "; " if message else "") + str(res.message),
        at_bound,
        blank,
        norm,
        x,
        y,
        w,
        obj,
        cycles,
        settled,
    )


# --------------------------------------------------------------------------------------------
# a plate


@dataclass
class PlateResult:
    plate_id: str
    analyte: str
    fit: Curve
    curve: dict[str, Any]
    standards: list[dict[str, Any]]
    samples: list[dict[str, Any]]
    wells: list[dict[str, Any]]
    run: dict[str, Any]
    blank_mean: float
    extra: dict[str, Any] = field(default_factory=dict)


def _unit_factor(layout_unit: str | None, analyte_unit: str) -> float:
    if layout_unit is None or layout_unit == analyte_unit:
        return 1.0
    table = {("ng/mL", "pg/mL"): 1000.0, ("pg/mL", "ng/mL"): 0.001}
    if (layout_unit, analyte_unit) in table:
        return table[(layout_unit, analyte_unit)]
    raise ValueError(f"no conversion from {layout_unit} to {analyte_unit}")


def _flags(names) -> str:
    return ";".join(sorted(set(names)))


def _cv(values) -> float | None:
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return None
    # relative to |mean|: a group below the blank has a negative mean OD, its CV stays positive
    return float(100.0 * np.std(v, ddof=1) / abs(np.mean(v)))


def _sort_key(well: str) -> tuple[int, int]:
    return _well_rc(well)


def compute_plate(
    csv_path: str | Path,
    layout_path: str | Path,
    *,
    analyte: str | None = None,
    model: str = "4PL",
    weighting: str = "none",
    theta=None,
    wavelength: int = 450,
) -> PlateResult:
    """Everything DESIGN section 4 computes for one plate (one grid export + one layout)."""
    csv_path, layout_path = Path(csv_path), Path(layout_path)
    grids = read_grid_csv(csv_path)
    if wavelength in grids:
        meas = grids[wavelength]
    elif None in grids:
        meas = grids[None]
    elif len(grids) == 1:
        meas = next(iter(grids.values()))
    else:
        raise ValueError(f"{csv_path}: no {wavelength} nm grid")
    refs = [wl for wl in grids if wl is not None and 540 <= wl <= 700]
    ref = grids[refs[0]] if refs else None
    nrow = 8 if len(meas) == 96 else 16
    ncol = 12 if len(meas) == 96 else 24
    expt, layout = read_layout(layout_path, nrow, ncol)

    analyte_name = canonical_analyte(analyte or expt.get("analyte"))
    unit, intra_limit, _aliases = ANALYTES[analyte_name]
    factor = _unit_factor(expt.get("unit"), unit)
    plate_id = str(expt.get("plate_id") or csv_path.stem)

    # ---- wells and OD
    wells: dict[str, dict[str, Any]] = {}
    for name, fields in layout.items():
        role = fields.get("role", "empty")
        if role == "empty":
            continue
        raw, sat = meas[name]
        if ref is not None:
            rref, rsat = ref[name]
            od_ref = raw - rref
            sat = sat or rsat
        else:
            od_ref = raw
        masked = bool(fields.get("mask"))
        usable = (not sat) and (not masked) and math.isfinite(od_ref)
        conc = fields.get("conc")
        wells[name] = dict(
            well=name,
            role=role,
            sample=fields.get("sample"),
            conc=None if conc is None else float(conc) * factor,
            conc_low=None if fields.get("conc_low") is None else float(fields["conc_low"]) * factor,
            conc_high=None
            if fields.get("conc_high") is None
            else float(fields["conc_high"]) * factor,
            dilution=float(fields.get("dilution", 1.0)),
            anchor=bool(fields.get("anchor", False)),
            masked=masked,
            mask_reason=fields.get("mask"),
            od_raw=raw,
            saturated=sat,
            od_ref=od_ref,
            usable=usable,
        )

    blank_vals = [
        w["od_ref"]
        for w in wells.values()
        if w["usable"] and (w["role"] == "blank" or (w["role"] == "standard" and w["conc"] == 0))
    ]
    blank_mean = float(np.mean(blank_vals)) if blank_vals else 0.0
    for w in wells.values():
        w["od"] = w["od_ref"] - blank_mean if math.isfinite(w["od_ref"]) else math.nan

    # ---- fit
    std_wells = [
        w for w in wells.values() if w["role"] == "standard" and w["conc"] and w["conc"] > 0
    ]
    pts = [w for w in std_wells if w["usable"]]
    x = np.array([w["conc"] for w in pts], dtype=float)
    y = np.array([w["od"] for w in pts], dtype=float)
    fit = fit_curve(x, y, model=model, weighting=weighting, theta=theta, blank=blank_mean)
    ok_fit = fit.converged and fit.params is not None

    def inv(yv):
        if not ok_fit or yv is None or not math.isfinite(yv):
            return None, None
        return fit.inverse(yv)

    # ---- standards
    levels = sorted({w["conc"] for w in std_wells})
    anchors = {lv: any(w["anchor"] for w in std_wells if w["conc"] == lv) for lv in levels}
    judged = [lv for lv in levels if not anchors[lv]]
    standards = []
    n_pass = 0
    for i, lv in enumerate(levels, start=1):
        lw = [w for w in std_wells if w["conc"] == lv]
        uw = [w for w in lw if w["usable"]]
        ods = [w["od"] for w in uw]
        od_mean = float(np.mean(ods)) if ods else None
        backfit, side = inv(od_mean)
        backfit = None if backfit is None else float(backfit)
        recovery = 100.0 * backfit / lv if backfit is not None else None
        flags = []
        if any(w["saturated"] for w in lw):
            flags.append("saturated")
        if any(w["masked"] for w in lw):
            flags.append("masked_well")
        if od_mean is not None and od_mean < 0:
            flags.append("below_blank")
        if od_mean is not None and ok_fit and backfit is None:
            flags.append("no_solution")
        if len(uw) == 1:
            flags.append("single_well")
        if anchors[lv]:
            passed = None
        else:
            tol = 25.0 if lv in (judged[0], judged[-1]) else 20.0
            passed = bool(recovery is not None and abs(recovery - 100.0) <= tol)
            n_pass += bool(passed)
        standards.append(
            dict(
                plate_id=plate_id,
                analyte=analyte_name,
                level=i,
                nominal=lv,
                n_wells=len(uw),
                od_mean=od_mean,
                od_cv_pct=_cv(ods),
                backfit=backfit,
                recovery_pct=recovery,
                anchor=anchors[lv],
                passed=passed,
                flags=_flags(flags),
            )
        )
    passing = [s["nominal"] for s in standards if s["passed"]]
    standards_ok = bool(judged) and n_pass >= 0.75 * len(judged) and n_pass >= 6
    has_range = ok_fit and len(passing) >= 2
    lloq = min(passing) if has_range else None
    uloq = max(passing) if has_range else None
    nonzero = [lv for lv in levels if lv > 0]
    xmin_std, xmax_std = (min(nonzero), max(nonzero)) if nonzero else (None, None)

    # ---- groups
    groups: dict[tuple, list[dict]] = {}
    for w in sorted(wells.values(), key=lambda w: _sort_key(w["well"])):
        if w["role"] in ("sample", "control"):
            groups.setdefault((w["role"], w["sample"], w["dilution"]), []).append(w)
    sample_counts = [
        sum(w["usable"] for w in g) for (role, _s, _d), g in groups.items() if role == "sample"
    ]
    if sample_counts:
        counts = Counter(sample_counts)
        top = max(counts.values())
        m_plate = max(k for k, v in counts.items() if v == top)
    else:
        m_plate = 2

    # precision profile
    lloq_profile = uloq_profile = None
    if ok_fit and nonzero:
        grid = np.logspace(math.log10(xmin_std), math.log10(xmax_std), 1001)
        with np.errstate(all="ignore"):
            cvs = fit.cv_x(grid, m_plate)
        good = grid[np.isfinite(cvs) & (cvs <= 0.20)]
        if len(good):
            lloq_profile, uloq_profile = float(good.min()), float(good.max())

    tcrit = float(stats.t.ppf(0.975, fit.n - fit.p)) if fit.n > fit.p else math.nan
    samples = []
    # per-well concentrations: sample, control and non-zero standard wells (blank wells and zero
    # standards define the zero and get none); conc_well is after dilution
    well_conc: dict[str, float | None] = {}
    well_nosol: dict[str, bool] = {}
    well_extrap: dict[str, bool] = {}
    for w in wells.values():
        well_conc[w["well"]] = None
        well_nosol[w["well"]] = False
        well_extrap[w["well"]] = False
        is_zero = w["role"] == "blank" or (w["role"] == "standard" and not w["conc"])
        if (
            w["usable"]
            and ok_fit
            and w["role"] in ("sample", "control", "standard")
            and not is_zero
        ):
            xv, _side = inv(w["od"])
            well_nosol[w["well"]] = xv is None
            if xv is not None:
                # extrapolated is for sample and control results outside the standards
                # (DESIGN 4.4, issue 9); a standard well is the curve's own data point
                well_extrap[w["well"]] = w["role"] in ("sample", "control") and (
                    xv < xmin_std or xv > xmax_std
                )
                mult = w["dilution"] if w["role"] in ("sample", "control") else 1.0
                well_conc[w["well"]] = xv * mult

    control_results: dict[str, list[bool]] = {}
    intra_terms = []
    n_high, n_assessed = 0, 0
    for (role, sample, dil), gw in sorted(
        groups.items(),
        key=lambda kv: (0 if kv[0][0] == "control" else 1, _sort_key(kv[1][0]["well"])),
    ):
        uw = [w for w in gw if w["usable"]]
        ods = [w["od"] for w in uw]
        od_mean = float(np.mean(ods)) if ods else None
        xw, side = inv(od_mean)
        cw = [well_conc[w["well"]] for w in uw]
        any_nosol = any(well_nosol[w["well"]] for w in uw)
        conc_sd = conc_cv = None
        if len(uw) >= 2 and ok_fit and not any_nosol:
            conc_sd = float(np.std(cw, ddof=1))
            conc_cv = float(100.0 * conc_sd / np.mean(cw))
        rng = None
        conc = conc_se = ci_lo = ci_hi = None
        flags = []
        if ok_fit and od_mean is not None:
            if xw is None:
                flags.append("no_solution")
                rng = side if has_range else None
            elif has_range:
                rng = "below" if xw < lloq else ("above" if xw > uloq else "in")
                conc = xw * dil
                se_w = float(math.sqrt(fit.var_x(xw, len(uw))[0]))
                conc_se = dil * se_w
                half = tcrit * conc_se / conc
                with np.errstate(over="ignore"):
                    ci_lo = float(np.exp(math.log(conc) - half))
                    ci_hi = float(np.exp(math.log(conc) + half))
                if xw < xmin_std or xw > xmax_std:
                    flags.append("extrapolated")
        if any(w["saturated"] for w in gw):
            flags.append("saturated")
        if any(w["masked"] for w in gw):
            flags.append("masked_well")
        if od_mean is not None and od_mean < 0:  # the group's corrected OD is below the blank
            flags.append("below_blank")
        if len(uw) == 1:
            flags.append("single_well")
        if ok_fit and has_range and not uw and any(w["saturated"] for w in gw):
            # only saturated wells: the response is beyond the top of the reader, on the side of
            # the curve with the higher OD
            rng = "above" if fit.params[3] > fit.params[0] else "below"
        high = False
        judged_cv = role == "control" or rng == "in"
        if judged_cv and ok_fit:
            if any_nosol:
                high = True
            elif conc_cv is not None and xw is not None:
                cv1 = 100.0 * float(fit.cv_x(xw, 1)[0])
                high = conc_cv > 2.576 * max(intra_limit, cv1)
            if high or conc_cv is not None:
                n_assessed += 1
                n_high += high
            if conc_cv is not None and not high:
                intra_terms.append((len(uw) - 1, conc_cv))
        if high:
            flags.append("high_cv")
        reportable = bool(
            rng == "in"
            and ok_fit
            and not high
            and not any(w["saturated"] for w in gw)
            and len(uw) >= 2
        )
        # control acceptance
        c0 = gw[0]
        if role == "control" and (c0["conc"] is not None or c0["conc_low"] is not None):
            if c0["conc_low"] is not None and c0["conc_high"] is not None:
                lo, hi = c0["conc_low"], c0["conc_high"]
            else:
                lo, hi = 0.8 * c0["conc"], 1.2 * c0["conc"]
            res = control_results.setdefault(sample, [])
            for w in gw:
                if w["masked"]:
                    continue
                if w["saturated"]:
                    res.append(False)
                elif w["usable"]:
                    v = well_conc[w["well"]]
                    res.append(v is not None and lo <= v <= hi)
        samples.append(
            dict(
                plate_id=plate_id,
                analyte=analyte_name,
                unit=unit,
                kind=role,
                sample_id=sample,
                dilution=dil,
                n_wells=len(uw),
                od_mean=od_mean,
                od_cv_pct=_cv(ods),
                conc=conc,
                conc_sd=conc_sd,
                conc_cv_pct=conc_cv,
                conc_se=conc_se,
                conc_ci_low=ci_lo,
                conc_ci_high=ci_hi,
                range=rng,
                reportable=reportable,
                flags=_flags(flags),
                x_w=xw,
                first_well=gw[0]["well"],
            )
        )

    # ---- wells table
    well_rows = []
    for w in sorted(wells.values(), key=lambda w: _sort_key(w["well"])):
        flags = []
        if w["saturated"]:
            flags.append("saturated")
        if w["masked"]:
            flags.append("masked_well")
        if w["usable"] and w["od"] < 0:
            flags.append("below_blank")
        if well_nosol[w["well"]]:
            flags.append("no_solution")
        if well_extrap[w["well"]]:
            flags.append("extrapolated")
        well_rows.append(
            dict(
                plate_id=plate_id,
                well=w["well"],
                role=w["role"],
                sample_id=w["sample"],
                conc_nominal=w["conc"],
                dilution=w["dilution"],
                od_raw=w["od_raw"],
                od=w["od"] if math.isfinite(w["od"]) else None,
                conc_well=well_conc[w["well"]],
                saturated=w["saturated"],
                masked=w["masked"],
                flags=_flags(flags),
            )
        )

    # ---- plate QC
    reasons, warnings = [], []
    if not fit.converged:
        reasons.append("fit_not_converged")
    if ok_fit and fit.at_bound:
        reasons.append("parameter_at_bound")
    if not has_range:
        reasons.append("range_not_established")
    if not standards_ok:
        reasons.append("standards_failed")
    all_res = [r for rs in control_results.values() for r in rs]
    if control_results:
        ctl_ok = (
            len(all_res) > 0
            and sum(all_res) >= (2.0 / 3.0) * len(all_res)
            and all(sum(rs) >= 0.5 * len(rs) for rs in control_results.values() if rs)
        )
        if not ctl_ok:
            reasons.append("controls_failed")
    else:
        warnings.append("controls_not_judged")
    intra = None
    if intra_terms:
        k = sum(t[0] for t in intra_terms)
        intra = math.sqrt(sum(t[0] * t[1] ** 2 for t in intra_terms) / k)
        if intra > intra_limit:
            warnings.append("intra_cv_above_limit")
        if k * intra**2 / intra_limit**2 > stats.chi2.ppf(0.99, k):
            reasons.append("intra_cv_fail")
    else:
        warnings.append("intra_cv_not_assessable")
    share = top_share(fit) if ok_fit else None
    if share is not None and share < 0.5:
        warnings.append("top_not_reached")
    if n_assessed and n_high > 0.10 * n_assessed:
        reasons.append("too_many_high_cv")
    reasons = [c for c in FAIL_ORDER if c in reasons]
    warnings = [c for c in WARNING_ORDER if c in warnings]

    prm = [float(v) for v in fit.params] if fit.params is not None else [None] * 5
    ses = [None] * 5
    if fit.cov is not None and ok_fit:
        sd = np.sqrt(np.diag(fit.cov))
        ses = [
            float(sd[0]),
            float(sd[1]),
            float(prm[2] * sd[2]),
            float(sd[3]),
            float(prm[4] * sd[4]) if fit.five else None,
        ]
    curve_row = dict(
        plate_id=plate_id,
        analyte=analyte_name,
        model=fit.model,
        weighting=weighting,
        theta=fit.theta,
        a=prm[0],
        b=prm[1],
        c=prm[2],
        d=prm[3],
        g=prm[4],
        se_a=ses[0],
        se_b=ses[1],
        se_c=ses[2],
        se_d=ses[3],
        se_g=ses[4],
        r_squared=fit.r_squared,
        rmse=fit.rmse,
        lloq=lloq,
        uloq=uloq,
        lloq_profile=lloq_profile,
        uloq_profile=uloq_profile,
        converged=fit.converged,
        message=fit.message,
    )
    run = dict(
        plate_id=plate_id,
        analyte=analyte_name,
        verdict="fail" if reasons else "pass",
        reasons=";".join(reasons),
        warnings=";".join(warnings),
        intra_cv_pct=intra,
        intra_cv_limit_pct=intra_limit,
        standards_passed=n_pass,
        standards_total=len(judged),
        controls_passed=int(sum(all_res)),
        controls_total=len(all_res),
    )
    return PlateResult(
        plate_id,
        analyte_name,
        fit,
        curve_row,
        standards,
        samples,
        well_rows,
        run,
        blank_mean,
        extra=dict(m_plate=m_plate, n_high=n_high, n_assessed=n_assessed),
    )
