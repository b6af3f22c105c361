"""Issue 10 end to end: 100 in-control FKN runs with three controls and a 2 % run-to-run SD, then
10 runs shifted by 3 run-SD, made with the series generator's plate model, processed with
elisa.process, kept in a store and judged across runs as `elisa run` does."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pytest

from elisa.across_runs.status import (
    AUDIT_IN,
    AUDIT_OUT,
    CAUSE_BASELINE,
    CAUSE_REVIEW,
    CAUSE_RUN,
    refresh_statuses,
)
from elisa.config import Config
from elisa.pipeline import process
from elisa.store.annotations import review_plate
from elisa.store.audit import audit_log
from elisa.store.database import open_store
from elisa.store.versions import RunOptions, read_inputs, record_results

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
sys.path.insert(0, str(FIXTURES))
import generate as plate_model  # noqa: E402  (fixtures/generate.py)
import generate_series as series  # noqa: E402  (fixtures/generate_series.py)

N_IN_CONTROL, N_SHIFTED, N_BASELINE = 100, 10, 20
BETWEEN_CV = 0.02


def run_mean_sd(control: str) -> float:
    """SD of a control's run mean, as a fraction of its conc: between-run and duplicate noise."""
    x = series.NOMINAL[series.CONTROLS.index(control)]
    return float(np.hypot(BETWEEN_CV, series.conc_cv(x) / np.sqrt(2)))


def write_plates(
    folder: Path, seed: int, runs: range = range(1, N_IN_CONTROL + N_SHIFTED + 1), offset=None
) -> tuple[list[str], list[str]]:
    """Plates of ``runs``: controls at conc · (1 + 2 % · N(0, 1)) each, independently; from run
    101 on also shifted up by 3 run-mean SD on every control. ``offset(run, control)``, when
    given, replaces the random part (in run-mean SD)."""
    rng = np.random.default_rng(seed)
    exports, layouts = [], []
    day = dt.date(2024, 1, 1)
    for r in runs:
        run = series.Run(r)
        for control, conc in zip(series.CONTROLS, series.NOMINAL):
            shift = 3 * run_mean_sd(control) if r > N_IN_CONTROL else 0.0
            if offset is None:
                true = conc * (1 + BETWEEN_CV * rng.standard_normal() + shift)
            else:
                true = conc * (1 + offset(r, control) * run_mean_sd(control))
            for well in series.CONTROL_WELLS[control]:
                run.od[well] = run._od(well, true)
        export, layout = folder / f"R{r:03d}.csv", folder / f"R{r:03d}.toml"
        plate_model.write_grid(export, {w: f"{v:.4f}" for w, v in run.od.items()})
        series.write_layout(layout, r, day + dt.timedelta(days=r), run.groups)
        exports.append(str(export))
        layouts.append(str(layout))
    return exports, layouts


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    exports, layouts = write_plates(folder, seed=10)
    config = Config()
    results = process(exports, layouts, config=config)
    with open_store(folder / "e2e.sqlite") as store:
        record_results(store, results, read_inputs(results, config), RunOptions())
        outcome, statuses = refresh_statuses(store, config, {"FKN"}, CAUSE_RUN)["FKN"]
    return outcome, statuses


def test_in_control_runs_after_the_baseline_are_rarely_out_of_spec(judged):
    outcome, statuses = judged
    assert [s.plate_id for s in statuses] == [f"FKN-R{r:02d}" for r in range(1, 111)]
    assert all(c.limits[-1].source == "baseline" for c in outcome.charts)
    after = statuses[N_BASELINE:N_IN_CONTROL]
    assert len(after) == 80
    assert sum(s.out_of_spec for s in after) <= 6
    # the baseline SD reflects the designed run-mean SD (2 % between runs plus duplicates)
    for chart in outcome.charts:
        cv = chart.limits[-1].sd / chart.limits[-1].mean
        assert 0.6 * run_mean_sd(chart.control) < cv < 1.6 * run_mean_sd(chart.control)


def test_a_3_sd_shift_is_flagged_in_at_least_8_of_10_runs(judged):
    _, statuses = judged
    shifted = statuses[N_IN_CONTROL:]
    assert len(shifted) == 10
    assert sum(s.out_of_spec for s in shifted) >= 8
    assert all(
        s.verdict == "fail" and "westgard_reject" in s.reasons for s in shifted if s.out_of_spec
    )


def _drift(run: int, control: str) -> float:
    """Runs 5 and 6: QC-low 12 % high, under 2 provisional SD (6 % of conc) but over 2 SD of the
    baseline (run-mean SD about 2-3.5 %) once it exists: 2of3-2s fires at run 6 only then.
    Other results at their conc (the plates add their own noise)."""
    if control == "QC-low" and run in (5, 6):
        return 0.12 / run_mean_sd(control)
    return 0.0


def test_a_baseline_set_or_a_review_that_changes_a_status_is_audited(tmp_path):
    config = Config()
    with open_store(tmp_path / "a.sqlite") as store:
        for runs in (range(1, 20), range(20, 21)):  # the 20th run completes the baseline
            exports, layouts = write_plates(tmp_path, 0, runs, _drift)
            results = process(exports, layouts, config=config)
            record_results(store, results, read_inputs(results, config), RunOptions())
            _, statuses = refresh_statuses(store, config, {"FKN"}, CAUSE_RUN)["FKN"]
            if runs.stop == 20:
                assert not any(s.out_of_spec for s in statuses)  # provisional limits: in spec
        assert statuses[5].rules.startswith("2of3-2s:QC-low") and statuses[5].out_of_spec
        (out,) = [e for e in audit_log(store, "FKN-R06") if e.action == AUDIT_OUT]
        assert out.details["cause"] == CAUSE_BASELINE
        review_plate(store, "FKN-R06", "accept", "drift checked: calibrator lot")
        _, statuses = refresh_statuses(store, config, {"FKN"}, CAUSE_REVIEW)["FKN"]
        assert not statuses[5].out_of_spec and statuses[5].verdict == "pass"
        (back,) = [e for e in audit_log(store, "FKN-R06") if e.action == AUDIT_IN]
        assert back.details["cause"] == CAUSE_REVIEW
        # nothing changed, nothing added
        count = len(audit_log(store))
        refresh_statuses(store, config, {"FKN"}, CAUSE_RUN)
        assert len(audit_log(store)) == count
