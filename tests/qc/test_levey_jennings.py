"""Levey-Jennings limits: configuration, baseline of the first 20 qualifying runs, provisional."""

import numpy as np
import pytest

from qc.errors import QCError
from qc.levey_jennings import (
    LJLimits,
    baseline_limits,
    lj_series,
    lj_westgard,
    provisional_limits,
    z_scores,
)
from qc.westgard import rule_label

NAN = np.nan


def test_provisional_limits():
    lim = provisional_limits(150.0, 6.0)
    assert lim == LJLimits(150.0, pytest.approx(9.0, rel=1e-12), "provisional")
    assert np.isnan(provisional_limits(NAN, 6.0).sd)  # a control without conc: no limits
    with pytest.raises(QCError):
        provisional_limits(150.0, 0.0)


def test_baseline_uses_the_first_n_qualifying_runs():
    means = np.arange(30, dtype=float)
    ok = np.ones(30, bool)
    ok[[2, 5]] = False
    means[7] = NAN  # a run without this control does not count
    lim = baseline_limits(means, ok, n_baseline=20)
    chosen = [m for i, m in enumerate(range(30)) if i not in (2, 5, 7)][:20]
    assert lim.source == "baseline"
    assert lim.mean == pytest.approx(np.mean(chosen), rel=1e-12)
    assert lim.sd == pytest.approx(np.std(chosen, ddof=1), rel=1e-12)
    assert baseline_limits(means[:22], ok[:22]) is None  # 19 qualifying runs
    with pytest.raises(QCError):
        baseline_limits(means, ok[:5])
    with pytest.raises(QCError):
        baseline_limits(means, ok, n_baseline=1)


def in_control_means(n, expected=100.0, sd=3.0, seed=1):
    # alternating above/below the mean: no Westgard rule under either limits
    offsets = np.array([0.4, -0.7, 0.2, -0.5, 0.6, -0.3, 0.5, -0.6, 0.3, -0.4])
    return expected + sd * offsets[np.arange(n) % offsets.size]


def test_lj_series_provisional_until_twenty_qualifying_runs_then_baseline_for_all():
    means = in_control_means(25)
    lots = ["L1"] * 25
    passed = np.ones(25, bool)
    out = lj_series(means[:19], passed[:19], lots[:19], 100.0, 6.0)
    assert {lim.source for lim in out} == {"provisional"}
    assert out[0] == provisional_limits(100.0, 6.0)
    out = lj_series(means, passed, lots, 100.0, 6.0)
    assert {lim.source for lim in out} == {"baseline"}  # the first 20 included
    assert out[0].mean == pytest.approx(np.mean(means[:20]), rel=1e-12)
    assert out[0].sd == pytest.approx(np.std(means[:20], ddof=1), rel=1e-12)


def test_lj_series_config_wins():
    cfg = LJLimits(31.0, 1.2, "config")
    out = lj_series(in_control_means(25), np.ones(25, bool), ["L"] * 25, 100.0, 6.0, cfg)
    assert out == [LJLimits(31.0, 1.2, "config")] * 25


def test_lj_series_per_lot():
    means = in_control_means(45)
    lots = ["A"] * 22 + ["B"] * 23
    out = lj_series(means, np.ones(45, bool), lots, 100.0, 6.0)
    assert out[0].source == "baseline" and out[0].mean == pytest.approx(np.mean(means[:20]))
    assert out[22].source == "baseline"
    assert out[22].mean == pytest.approx(np.mean(means[22:42]))
    out = lj_series(means[:40], np.ones(40, bool), lots[:40], 100.0, 6.0)
    assert out[30].source == "provisional"  # lot B has 18 runs


def test_failed_and_rejected_runs_do_not_enter_the_baseline():
    means = in_control_means(24)
    passed = np.ones(24, bool)
    passed[3] = False
    means[5] = 100.0 + 3.5 * 6.0  # 1-3s under provisional limits (SD 6 = 6 % of 100)
    out = lj_series(means, passed, ["L"] * 24, 100.0, 6.0)
    chosen = np.delete(means, [3, 5])[:20]
    assert out[0].mean == pytest.approx(chosen.mean(), rel=1e-12)
    assert out[0].sd == pytest.approx(np.std(chosen, ddof=1), rel=1e-12)
    assert lj_series(means[:21], passed[:21], ["L"] * 21, 100.0, 6.0)[0].source == "provisional"
    # an explicit no_reject (from all controls of the run) replaces the single-control judgement
    no_reject = np.ones(24, bool)
    no_reject[7] = False
    out = lj_series(means, passed, ["L"] * 24, 100.0, 6.0, no_reject=no_reject)
    chosen = np.delete(means, [3, 7])[:20]
    assert out[0].mean == pytest.approx(chosen.mean(), rel=1e-12)


def test_lj_series_misuse():
    with pytest.raises(QCError):
        lj_series([1.0, 2.0], [True], ["L", "L"], 1.0, 6.0)
    with pytest.raises(QCError):
        lj_series([1.0, 2.0], [True, True], ["L"], 1.0, 6.0)


def test_z_scores():
    lims = [LJLimits(10.0, 2.0, "config"), LJLimits(10.0, 0.0, "config"), LJLimits(10.0, 2.0, "x")]
    z = z_scores([14.0, 11.0, NAN], lims)
    assert z[0] == 2.0 and np.isnan(z[1]) and np.isnan(z[2])


def test_lj_westgard_two_controls_judged_together():
    n = 30
    controls = ["QC-low", "QC-high"]
    expected = np.array([40.0, 500.0])
    means = np.column_stack([in_control_means(n, 40.0, 1.2), in_control_means(n, 500.0, 15.0)])
    # run 4: both controls at +2.5 provisional SD -> 2-2s across the two controls in that run;
    # neither control alone fires a reject rule, so only the joint judgement excludes run 4
    means[4] = expected * (1 + 2.5 * 0.06)
    out = lj_westgard(means, np.ones(n, bool), ["L"] * n, expected, 6.0, controls)
    assert not out.qualifies[4] and out.qualifies.sum() == n - 1
    chosen = np.delete(means[:, 0], 4)[:20]
    low = out.limits[0][0]
    assert low.source == "baseline" and low.mean == pytest.approx(chosen.mean(), rel=1e-12)
    assert low.sd == pytest.approx(np.std(chosen, ddof=1), rel=1e-12)
    assert out.z[4, 0] == pytest.approx((means[4, 0] - low.mean) / low.sd, rel=1e-12)
    labels = [(h.run, rule_label(h)) for h in out.hits if h.reject]
    assert (4, "1-3s:QC-high") in labels and (4, "1-3s:QC-low") in labels  # under the baseline


def test_lj_westgard_config_limits_and_no_baseline():
    means = np.column_stack([in_control_means(10, 40.0, 1.2), in_control_means(10, 500.0, 15.0)])
    cfg = [LJLimits(40.0, 1.0, "config"), None]
    out = lj_westgard(
        means, np.ones(10, bool), ["L"] * 10, [40.0, 500.0], 6.0, ["QC-low", "QC-high"], cfg
    )
    assert out.limits[0][3] == LJLimits(40.0, 1.0, "config")
    assert out.limits[1][3] == provisional_limits(500.0, 6.0)
    assert out.z.shape == (10, 2)
    with pytest.raises(QCError):
        lj_westgard(means, np.ones(10, bool), ["L"] * 10, [40.0], 6.0, ["QC-low", "QC-high"])


# ---- the 40-run fixture series (fixtures/series, written by fixtures/generate_series.py)

SERIES = __import__("pathlib").Path(__file__).resolve().parents[2] / "fixtures" / "series"


def _read_csv(name):
    import csv

    with (SERIES / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_fixture_series_expected_rules_follow_from_its_run_means():
    rows = _read_csv("controls.csv")
    controls = ["QC-low", "QC-mid", "QC-high"]
    means = np.full((40, 3), NAN)
    z = np.full((40, 3), NAN)
    for row in rows:
        r, j = int(row["run"]) - 1, controls.index(row["control"])
        means[r, j] = float(row["run_mean"])
        z[r, j] = float(row["z"])
    assert np.isfinite(means).all()
    out = lj_westgard(
        means, np.ones(40, bool), ["FKN-2412B"] * 40, [40.0, 120.0, 250.0], 6.0, controls
    )
    assert out.qualifies[:20].all()  # the baseline is runs 1-20
    base = {row["control"]: row for row in _read_csv("lj_baseline.csv")}
    for j, name in enumerate(controls):
        lim = out.limits[j][0]
        assert lim.source == "baseline" and {x.source for x in out.limits[j]} == {"baseline"}
        assert lim.mean == pytest.approx(float(base[name]["mean"]), abs=2e-6)
        assert lim.sd == pytest.approx(float(base[name]["sd"]), abs=2e-6)
    assert np.allclose(out.z, z, atol=1e-4)
    expected = [
        (int(r["run"]) - 1, r["rule"], r["controls"]) for r in _read_csv("expected_rules.csv")
    ]
    assert [(h.run, h.rule, "+".join(h.controls)) for h in out.hits] == expected
    # the promises of fixtures/series/README.md
    reject_runs = sorted({h.run + 1 for h in out.hits if h.reject})
    assert reject_runs == [22, *range(27, 41)]
    assert {rule_label(h) for h in out.hits if h.reject and h.run + 1 == 22} == {"1-3s:QC-high"}
    assert {rule_label(h) for h in out.hits if h.reject and h.run + 1 == 27} == {"2of3-2s:QC-low"}
    gaps = np.min(np.abs(out.z[..., None] - np.arange(-3.0, 4.0)), axis=-1)
    assert gaps.min() > 0.3


def test_fixture_series_inter_assay_table():
    from qc.inter_assay import inter_assay_cv

    rows = _read_csv("controls.csv")
    for expected in _read_csv("inter_assay.csv"):
        mine = [r for r in rows if r["control"] == expected["control"]]
        ids = [r["plate_id"] for r in mine for _ in range(2)]
        values = [float(r[k]) for r in mine for k in ("conc_well_1", "conc_well_2")]
        out = inter_assay_cv(ids, values, 6.0)
        assert out.n_runs == int(expected["n_runs"]) == 40
        for name in (
            "cv_repeatability_pct",
            "cv_between_pct",
            "cv_total_pct",
            "cv_total_ci_low",
            "cv_total_ci_high",
        ):
            assert getattr(out, name) == pytest.approx(float(expected[name]), abs=2e-3), name
        assert out.passed is (expected["passed"] == "true")
