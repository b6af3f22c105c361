"""QC across runs end to end: the 40-run series through `elisa run` into a store, then `elisa qc`.

Truth: fixtures/series/expected_rules.csv, written by the series generator from its own numbers.
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import numpy as np
import pytest

from elisa.cli.main import main
from qc.inter_assay import one_way_anova
from qc.rule_sets import default_rule_set

SERIES = Path(__file__).resolve().parents[2] / "fixtures" / "series"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expected_rules() -> dict[str, set[str]]:
    by_plate: dict[str, set[str]] = {}
    for row in read_csv(SERIES / "expected_rules.csv"):
        by_plate.setdefault(row["plate_id"], set()).add(f"{row['rule']}:{row['controls']}")
    return by_plate


#: The warning rules of the default three-control set (1-2s, 10-x): they gate nothing.
WARNINGS = {r.name for r in default_rule_set(3).warning_rules}


def reject(label: str) -> bool:
    return label.split(":")[0] not in WARNINGS


def load_series(db: Path, work: Path, monkeypatch, order: list[int]) -> None:
    monkeypatch.chdir(work)
    for n in order:
        name = f"FKN-R{n:02d}"
        code = main(
            [
                "run",
                str(SERIES / f"{name}.csv"),
                "--layout",
                str(SERIES / f"{name}.toml"),
                "--db",
                str(db),
                "--out",
                str(work / "runs" / name),
            ]
        )
        assert code in (0, 1)


@pytest.fixture(scope="module")
def shuffled_store(tmp_path_factory):
    work = tmp_path_factory.mktemp("series")
    db = work / "series.sqlite"
    order = list(range(1, 41))
    random.Random(7).shuffle(order)
    with pytest.MonkeyPatch.context() as monkeypatch:
        load_series(db, work, monkeypatch, order)
        code = main(["qc", "--db", str(db), "--out", str(work / "qc")])
    return work, db, code


def test_every_expected_rule_fires_at_its_run_in_shuffled_order(shuffled_store):
    work, _, code = shuffled_store
    rows = read_csv(work / "qc" / "qc_runs.csv")
    assert [r["plate_id"] for r in rows] == [f"FKN-R{n:02d}" for n in range(1, 41)]
    expected = expected_rules()
    for row in rows:
        fired = set(filter(None, row["rules"].split(";")))
        assert fired == expected.get(row["plate_id"], set()), row["plate_id"]
        assert (row["out_of_spec"] == "true") == any(reject(r) for r in fired), row["plate_id"]
    out_of_spec = [r["plate_id"] for r in rows if r["out_of_spec"] == "true"]
    assert out_of_spec == ["FKN-R22"] + [f"FKN-R{n}" for n in range(27, 41)]
    assert code == 1


def test_reject_rules_are_listed_first(shuffled_store):
    work, _, _ = shuffled_store
    for row in read_csv(work / "qc" / "qc_runs.csv"):
        labels = [x for x in row["rules"].split(";") if x]
        flags = [reject(x) for x in labels]
        assert flags == sorted(flags, reverse=True), row["rules"]


def test_runs_csv_of_elisa_run_carries_the_westgard_outcome(tmp_path, monkeypatch):
    db = tmp_path / "s.sqlite"
    load_series(db, tmp_path, monkeypatch, list(range(1, 23)))
    runs = read_csv(tmp_path / "runs" / "FKN-R22" / "runs.csv")[0]
    assert runs["out_of_spec"] == "true" and runs["rules"].startswith("1-3s:QC-high")
    quiet = read_csv(tmp_path / "runs" / "FKN-R21" / "runs.csv")[0]
    assert quiet["out_of_spec"] == "false"


def test_variance_components_match_a_hand_written_anova(shuffled_store):
    work, _, _ = shuffled_store
    controls = {r["control"]: r for r in read_csv(work / "qc" / "qc_controls.csv")}
    assert set(controls) == {"QC-low", "QC-mid", "QC-high"}
    for name, row in controls.items():
        ids, values = [], []
        for n in range(1, 41):
            for well in read_csv(work / "runs" / f"FKN-R{n:02d}" / "wells.csv"):
                if well["role"] == "control" and well["sample_id"] == name and well["conc_well"]:
                    ids.append(n)
                    values.append(float(well["conc_well"]))
        y, g = np.array(values), np.array(ids)
        groups = [y[g == k] for k in np.unique(g)]
        grand = y.mean()
        p, total_n = len(groups), len(y)
        ss_b = sum(len(x) * (x.mean() - grand) ** 2 for x in groups)
        ss_w = sum(((x - x.mean()) ** 2).sum() for x in groups)
        ms_b, ms_w = ss_b / (p - 1), ss_w / (total_n - p)
        n0 = (total_n - sum(len(x) ** 2 for x in groups) / total_n) / (p - 1)
        s_b2 = max(0.0, (ms_b - ms_w) / n0)
        assert float(row["cv_repeatability_pct"]) == pytest.approx(
            100 * np.sqrt(ms_w) / grand, rel=1e-9
        )
        assert float(row["cv_between_pct"]) == pytest.approx(100 * np.sqrt(s_b2) / grand, rel=1e-9)
        assert float(row["cv_total_pct"]) == pytest.approx(
            100 * np.sqrt(ms_w + s_b2) / grand, rel=1e-9
        )
        assert row["limit_pct"] == "6.0" and row["n_runs"] == "40" and row["passed"] == "true"
        table = one_way_anova([str(i) for i in ids], y)
        assert table.ms_between == pytest.approx(ms_b, rel=1e-9)


def test_inter_assay_is_judged_only_from_five_runs(tmp_path, monkeypatch):
    db = tmp_path / "s.sqlite"
    load_series(db, tmp_path, monkeypatch, [1, 2, 3, 4])
    assert main(["qc", "--db", str(db), "--out", str(tmp_path / "qc4")]) == 0
    assert {r["passed"] for r in read_csv(tmp_path / "qc4" / "qc_controls.csv")} == {""}
    load_series(db, tmp_path, monkeypatch, [5])
    main(["qc", "--db", str(db), "--out", str(tmp_path / "qc5")])
    assert {r["passed"] for r in read_csv(tmp_path / "qc5" / "qc_controls.csv")} == {"true"}


def test_review_shows_in_qc_runs_and_report(tmp_path, monkeypatch):
    db = tmp_path / "s.sqlite"
    load_series(db, tmp_path, monkeypatch, list(range(1, 23)))
    assert (
        main(["review", "FKN-R22", "--accept", "--reason", "pipetting checked", "--db", str(db)])
        == 0
    )
    assert (
        main(["review", "FKN-R05", "--reject", "--reason", "wrong lot used", "--db", str(db)]) == 0
    )
    code = main(["qc", "--db", str(db), "--out", str(tmp_path / "qc")])
    rows = {r["plate_id"]: r for r in read_csv(tmp_path / "qc" / "qc_runs.csv")}
    assert rows["FKN-R22"]["review"] == "accepted" and rows["FKN-R22"]["out_of_spec"] == "false"
    assert rows["FKN-R05"]["review"] == "rejected" and rows["FKN-R05"]["out_of_spec"] == "true"
    assert code == 1  # a rejected run in scope never counts as in spec
    page = (tmp_path / "qc" / "qc_report.html").read_text(encoding="utf-8")
    assert "FKN-R05" in page and "rejected" in page and "accepted" in page
    assert (
        main(["qc", "--db", str(db), "--since", "2025-01-13", "--out", str(tmp_path / "qc2")]) == 0
    )
    scoped = read_csv(tmp_path / "qc2" / "qc_runs.csv")
    assert scoped[0]["plate_id"] == "FKN-R06" and len(scoped) == 17


def test_qc_report_is_self_contained_and_charts_every_control(shuffled_store):
    work, _, _ = shuffled_store
    page = (work / "qc" / "qc_report.html").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)\s*=\s*[\"']?https?:|url\(\s*https?:|@import", page)
    assert "<script" not in page
    assert page.count("<svg") == 4  # three LJ charts and the power curves
    for label in ("mean", "±1 SD", "±2 SD", "±3 SD"):
        assert label in page
    for n in [22] + list(range(27, 41)):
        assert f"FKN-R{n}" in page


def test_a_dollar_sign_in_the_unit_does_not_break_the_charts(tmp_path, monkeypatch):
    # on main matplotlib parsed "$\frac{...$" as mathtext and `elisa qc` crashed
    (tmp_path / "elisa.toml").write_text(
        '[analytes.FKN]\nunit = "$\\\\frac{pg$/mL"\n', encoding="utf-8"
    )
    db = tmp_path / "s.sqlite"
    load_series(db, tmp_path, monkeypatch, [1, 2, 3])
    assert main(["qc", "--db", str(db), "--out", str(tmp_path / "qc")]) == 0
    page = (tmp_path / "qc" / "qc_report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "frac" in page
