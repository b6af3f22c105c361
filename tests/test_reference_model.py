"""Checks of the test-side reference implementation (tests/reference_model.py) against truth.

The reference is only useful if it is right on its own: it must recover known curves exactly from
noise-free plates, its analytic derivatives must match finite differences, and on the fixture plates
its in-range concentrations must be close to the generator's true values.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests import reference_model as ref

ROOT = Path(__file__).resolve().parents[1]
PLATES = ROOT / "fixtures" / "plates"
FIXTURES = sorted(PLATES.glob("*.toml"))

TRUE_4PL = dict(a=0.045, b=1.15, c=160.0, d=2.95)
LEVELS = [1000.0 / 2**i for i in range(7)]  # 1000 .. 15.625
BLANK_OD = 0.052


def write_plate(
    tmp_path: Path,
    params: dict,
    *,
    levels=LEVELS,
    samples=None,
    blank=BLANK_OD,
    analyte="FKN",
    saturate=(),
    name="synthetic",
) -> tuple[Path, Path]:
    """A noise-free 8x12 plate: standards in duplicate down columns 1-2, blank H1/H2, samples
    (in-well concentration, dilution) in duplicate from A3 on. Returns (csv, toml)."""
    samples = samples if samples is not None else [(20.0, 1), (90.0, 1), (400.0, 2), (700.0, 5)]
    a, b, c, d = params["a"], params["b"], params["c"], params["d"]
    g = params.get("g", 1.0)
    od = {}
    lines = ["[expt]", f'analyte = "{analyte}"', f'plate_id = "{name}"', ""]
    for i, lv in enumerate(levels):
        row = "ABCDEFG"[i]
        lines += [f"[block.2x1.{row}1]", 'role = "standard"', f"conc = {lv!r}", ""]
        od[f"{row}1"] = od[f"{row}2"] = float(ref.curve(lv, a, b, c, d, g)) + blank
    lines += ["[block.2x1.H1]", 'role = "blank"', ""]
    od["H1"] = od["H2"] = blank
    for k, (x_in, dil) in enumerate(samples):
        row, col = "ABCDEFGH"[k // 5], 3 + 2 * (k % 5)
        lines += [
            f"[block.2x1.{row}{col}]",
            'role = "sample"',
            f'sample = "S{k:03d}"',
            f"dilution = {dil}",
            "",
        ]
        od[f"{row}{col}"] = od[f"{row}{col + 1}"] = float(ref.curve(x_in, a, b, c, d, g)) + blank
    csv_path, toml_path = tmp_path / f"{name}.csv", tmp_path / f"{name}.toml"
    with open(csv_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["450"] + [str(k) for k in range(1, 13)])
        for row in "ABCDEFGH":
            cells = []
            for col in range(1, 13):
                well = f"{row}{col}"
                cells.append(
                    "OVRFLW" if well in saturate else (repr(od[well]) if well in od else "")
                )
            w.writerow([row] + cells)
    toml_path.write_text("\n".join(lines) + "\n")
    return csv_path, toml_path


# ------------------------------------------------------------------------------------ readers


def test_grid_reader_markers(tmp_path):
    p = tmp_path / "g.csv"
    rows = [",1,2,3,4,5,6,7,8,9,10,11,12"]
    for r in "ABCDEFGH":
        rows.append(r + ",0.1,OVRFLW,,0.4,0.5,0.6,0.7,0.8,0.9,1.0,1.1,1.2")
    p.write_text("\n".join(rows) + "\n")
    grids = ref.read_grid_csv(p)
    assert list(grids) == [None]
    g = grids[None]
    assert g["A1"] == (0.1, False)
    assert math.isnan(g["B2"][0]) and g["B2"][1] is True
    assert math.isnan(g["C3"][0]) and g["C3"][1] is False
    assert g["H12"] == (1.2, False)


def test_layout_reader_precedence(tmp_path):
    p = tmp_path / "l.toml"
    p.write_text(
        '[expt]\nanalyte = "FKN"\ndilution = 1\n'
        '[row.A]\nrole = "sample"\nsample = "r"\n'
        "[col.12]\ndilution = 3\n"
        '[block.2x2.A1]\nsample = "blk"\n'
        '[block.2x1.A1]\nsample = "small"\n'
        '[well.A1]\nsample = "w"\ndilution = 4\n'
    )
    expt, wells = ref.read_layout(p)
    assert expt["analyte"] == "FKN"
    assert wells["A1"] == {"analyte": "FKN", "dilution": 4, "role": "sample", "sample": "w"}
    assert wells["A2"]["sample"] == "small"
    assert wells["B1"]["sample"] == "blk" and "role" not in wells["B1"]
    assert wells["A5"]["sample"] == "r" and wells["A5"]["dilution"] == 1
    assert wells["A12"]["dilution"] == 3 and wells["A12"]["role"] == "sample"
    assert wells["H12"] == {"analyte": "FKN", "dilution": 3}
    assert "H11" not in wells
    p.write_text('[row.A]\nrole = "sample"\n[col.1]\nrole = "blank"\n')
    with pytest.raises(ValueError, match="both a row and a col"):
        ref.read_layout(p)


# ------------------------------------------------------------------------------ derivatives


@pytest.mark.parametrize(
    "params, five",
    [
        ((0.05, 1.3, 120.0, 2.8, 1.0), False),
        ((2.6, 0.8, 35.0, 0.06, 1.0), False),
        ((0.04, 1.1, 80.0, 3.0, 0.4), True),
        ((2.8, 1.7, 80.0, 0.04, 2.5), True),
    ],
)
def test_inverse_gradient_matches_finite_differences(params, five):
    q = [params[0], params[1], math.log(params[2]), params[3]] + (
        [math.log(params[4])] if five else []
    )

    def natural(qq):
        return qq[0], qq[1], math.exp(qq[2]), qq[3], (math.exp(qq[4]) if five else 1.0)

    for x0 in (5.0, 37.0, 300.0):
        y0 = float(ref.curve(x0, *params))
        assert ref.curve_inverse(y0, *params)[0] == pytest.approx(x0, rel=1e-10)
        analytic = -ref.curve_grad(x0, *params, five=five)[0] / ref.curve_dx(x0, *params)
        for i in range(len(q)):
            h = 1e-6 * max(1.0, abs(q[i]))
            qp, qm = list(q), list(q)
            qp[i] += h
            qm[i] -= h
            fd = (
                ref.curve_inverse(y0, *natural(qp))[0] - ref.curve_inverse(y0, *natural(qm))[0]
            ) / (2 * h)
            assert analytic[i] == pytest.approx(fd, rel=1e-5, abs=1e-9)


def test_inverse_beyond_asymptotes():
    a, b, c, d = 0.05, 1.2, 100.0, 2.9
    assert ref.curve_inverse(0.01, a, b, c, d) == (None, "below")
    assert ref.curve_inverse(3.5, a, b, c, d) == (None, "above")
    assert ref.curve_inverse(3.5, d, b, c, a) == (None, "below")  # decreasing curve
    assert ref.curve_inverse(0.01, d, b, c, a) == (None, "above")


# ------------------------------------------------------------------------- noise-free recovery


@pytest.mark.parametrize(
    "params, model",
    [
        (dict(a=0.045, b=1.15, c=160.0, d=2.95), "4PL"),
        (dict(a=2.7, b=0.9, c=90.0, d=0.08), "4PL"),
        (dict(a=0.04, b=1.4, c=120.0, d=2.9, g=0.5), "5PL"),
        (dict(a=2.9, b=1.2, c=60.0, d=0.05, g=1.8), "5PL"),
    ],
)
@pytest.mark.parametrize(
    "weighting, theta",
    [
        ("none", None),
        ("1/y", None),
        ("1/y^2", None),
        ("pom", 0.7),
    ],
)
def test_fit_recovers_noise_free_parameters(params, model, weighting, theta):
    x = np.repeat(LEVELS, 2)
    y = ref.curve(x, params["a"], params["b"], params["c"], params["d"], params.get("g", 1.0))
    fit = ref.fit_curve(x, y, model=model, weighting=weighting, theta=theta, blank=BLANK_OD)
    assert fit.converged, fit.message
    assert fit.model == model
    truth = [params["a"], params["b"], params["c"], params["d"], params.get("g", 1.0)]
    assert np.allclose(fit.params, truth, rtol=1e-6, atol=0)
    assert fit.at_bound == []


def test_5pl_falls_back_to_4pl_on_five_levels():
    x = np.repeat(LEVELS[:5], 2)
    y = ref.curve(x, 0.05, 1.2, 200.0, 2.9)
    fit = ref.fit_curve(x, y, model="5PL")
    assert fit.model == "4PL" and fit.p == 4 and fit.converged
    assert "4PL" in fit.message


def test_too_few_levels_is_not_converged():
    x = np.repeat(LEVELS[:4], 2)
    y = ref.curve(x, 0.05, 1.2, 200.0, 2.9)
    fit = ref.fit_curve(x, y)
    assert not fit.converged and fit.message


def test_noisy_fit_within_three_standard_errors():
    rng = np.random.default_rng(20240304)
    x = np.repeat(LEVELS, 3)
    true = np.array([0.045, 1.15, 160.0, 2.95])
    y = ref.curve(x, *true) + 0.01 * rng.standard_normal(len(x))
    fit = ref.fit_curve(x, y)
    se = np.sqrt(np.diag(fit.cov))
    est = np.array([fit.params[0], fit.params[1], math.log(fit.params[2]), fit.params[3]])
    tru = np.array([true[0], true[1], math.log(true[2]), true[3]])
    assert np.all(np.abs(est - tru) <= 3 * se)


def test_synthetic_plate_recovers_curve_and_concentrations(tmp_path):
    samples = [(20.0, 1), (90.0, 1), (400.0, 2), (700.0, 5), (5.0, 1), (3000.0, 1)]
    csv_path, toml_path = write_plate(tmp_path, TRUE_4PL, samples=samples)
    res = ref.compute_plate(csv_path, toml_path)
    cur = res.curve
    for k in "abcd":
        assert cur[k] == pytest.approx(TRUE_4PL[k], rel=1e-6)
    assert res.blank_mean == pytest.approx(BLANK_OD, rel=1e-12)
    assert cur["converged"] and cur["lloq"] == LEVELS[-1] and cur["uloq"] == LEVELS[0]
    assert cur["r_squared"] == pytest.approx(1.0, abs=1e-12)
    by_id = {s["sample_id"]: s for s in res.samples}
    for k, (x_in, dil) in enumerate(samples):
        s = by_id[f"S{k:03d}"]
        assert s["conc"] == pytest.approx(x_in * dil, rel=1e-6)
    assert [by_id[f"S{k:03d}"]["range"] for k in range(6)] == ["in"] * 4 + ["below", "above"]
    assert by_id["S004"]["flags"] == "extrapolated"
    assert by_id["S005"]["flags"] == "extrapolated"
    assert all(s["recovery_pct"] == pytest.approx(100.0, rel=1e-6) for s in res.standards)
    assert all(s["passed"] for s in res.standards)
    assert res.run["standards_passed"] == 7 and res.run["standards_total"] == 7
    # no noise: every CV is 0, so the pooled intra-assay CV is 0 and the plate passes
    assert res.run["intra_cv_pct"] == pytest.approx(0.0, abs=1e-6)
    assert res.run["verdict"] == "pass"
    assert res.run["warnings"] == "controls_not_judged"


def test_saturated_top_standard_moves_uloq_down(tmp_path):
    csv_path, toml_path = write_plate(tmp_path, TRUE_4PL, saturate={"A1", "A2"})
    res = ref.compute_plate(csv_path, toml_path)
    top = res.standards[-1]
    assert top["nominal"] == 1000.0 and top["n_wells"] == 0 and top["passed"] is False
    assert top["flags"] == "saturated"
    assert res.curve["uloq"] == 500.0 and res.curve["lloq"] == LEVELS[-1]
    assert res.run["standards_passed"] == 6 and res.run["verdict"] == "pass"
    for k in "abcd":
        assert res.curve[k] == pytest.approx(TRUE_4PL[k], rel=1e-6)


def test_delta_method_se_matches_monte_carlo():
    """The delta-method SE of x_w agrees with the spread of refits on simulated plates."""
    rng = np.random.default_rng(7)
    x = np.repeat(LEVELS, 2)
    true = (0.045, 1.15, 160.0, 2.95)
    sigma = 0.01
    x0, m = 100.0, 2
    y0 = float(ref.curve(x0, *true))
    est = []
    for _ in range(300):
        y = ref.curve(x, *true) + sigma * rng.standard_normal(len(x))
        fit = ref.fit_curve(x, y)
        ybar = y0 + sigma * rng.standard_normal(m).mean()
        est.append(fit.inverse(ybar)[0])
    fit0 = ref.fit_curve(x, ref.curve(x, *true) + sigma * rng.standard_normal(len(x)))
    fit0.sigma2 = sigma**2
    fit0.cov = fit0.cov / (fit0.rmse**2) * sigma**2
    se = float(np.sqrt(fit0.var_x(x0, m))[0])
    assert np.std(est, ddof=1) == pytest.approx(se, rel=0.15)


# --------------------------------------------------------------------------- fixture plates


def _expected() -> pd.DataFrame:
    path = PLATES / "expected.csv"
    return pd.read_csv(path, dtype=str).fillna("") if path.exists() else pd.DataFrame()


@pytest.mark.skipif(not FIXTURES, reason="no fixture plates in fixtures/plates yet")
@pytest.mark.parametrize("layout", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_in_range_concentrations_near_truth(layout):
    exp = _expected()
    row = exp[exp["name"] == layout.stem] if len(exp) else exp
    if len(row) and "standards_failed" in row.iloc[0]["required_reasons"]:
        pytest.skip("a plate built to fail its standards has no trustworthy concentrations")
    res = ref.compute_plate(layout.with_suffix(".csv"), layout)
    truth = pd.read_csv(layout.with_name(layout.stem + ".truth.csv"))
    got = pd.DataFrame(res.samples)
    m = got.merge(truth, on=["kind", "sample_id", "dilution"], how="inner")
    assert len(m) == len(truth)
    inr = m[m["range"] == "in"]
    assert len(inr) >= 10
    rel = (inr["conc"] / inr["true_conc"] - 1.0).abs()
    assert rel.median() <= 0.05
