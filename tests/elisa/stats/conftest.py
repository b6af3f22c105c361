"""The study cohort of fixtures/cohort built once per session (21 plates into a store, the NTX
analyser file imported, `elisa cohort build` as CSV and, with --below lloq/2, as Parquet), and
`elisa stats` run once on it within PMOP adjusted for age and BMI."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import read_rows, run_elisa

COHORT = Path(__file__).resolve().parents[3] / "fixtures" / "cohort"
STATS_ARGS = ("--group", "group", "--within", "PMOP", "--adjust", "age,bmi")


@dataclass(frozen=True)
class Study:
    work: Path
    csv: Path  # built without a fill policy
    parquet: Path  # built with --below lloq/2
    stats: Path  # `elisa stats` output folder (STATS_ARGS)

    def table(self, name: str) -> list[dict[str, str]]:
        return read_rows(self.stats / f"{name}.csv")


@pytest.fixture(scope="session")
def study(tmp_path_factory) -> Study:
    work = tmp_path_factory.mktemp("study")
    with open(COHORT / "plates.csv", newline="", encoding="utf-8") as handle:
        plates = list(csv.DictReader(handle))
    db = work / "study.sqlite"
    args = ["run", *[COHORT / p["export"] for p in plates]]
    for p in plates:
        args += ["--layout", COHORT / p["layout"]]
    assert run_elisa(args + ["--db", db, "--out", "plates"], work).code == 1  # one plate fails
    ntx = ["cohort", "import-analyser", COHORT / "ntx_analyser.csv", "--analyte", "NTX"]
    assert run_elisa(ntx + ["--db", db], work).code == 0
    build = ["cohort", "build", "--clinical", COHORT / "clinical.csv", "--db", db]
    build += ["--manifest", COHORT / "manifest.csv", "--visit", "baseline"]
    assert run_elisa(build + ["--out", "cohort.csv"], work).code == 0
    built = run_elisa(build + ["--out", "filled.parquet", "--below", "lloq/2"], work)
    assert built.code == 0, built.err
    stats = run_elisa(["stats", "--cohort", "cohort.csv", *STATS_ARGS, "--out", "stats"], work)
    assert stats.code == 0, stats.err
    return Study(work, work / "cohort.csv", work / "filled.parquet", work / "stats")
