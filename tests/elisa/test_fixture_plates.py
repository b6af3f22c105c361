"""Issue 2, "what it must show" item 2: the bundled fixture plates through `elisa run`.

The expectations come from the fixtures themselves (fixtures/plates/expected.csv and each plate's
.truth.csv, written by the generator from the known curves), never from the toolkit's output.
"""

from __future__ import annotations

import math
import statistics
import tomllib

import pytest

from tests.conftest import CLEAN_PLATES, FIXTURE_DIR, plate_paths, read_rows

MEDIAN_REL_ERROR_MAX = 0.05
CI_COVERAGE_MIN = 0.90


def _expected(name: str) -> dict[str, str]:
    path = FIXTURE_DIR / "expected.csv"
    if not path.is_file():
        pytest.skip("fixtures/plates/expected.csv is missing")
    rows = {r["name"]: r for r in read_rows(path)}
    assert name in rows, f"{name} is not in expected.csv"
    return rows[name]


def _truth(name: str) -> list[dict[str, str]]:
    return read_rows(FIXTURE_DIR / f"{name}.truth.csv")


def _codes(cell: str) -> set[str]:
    return {c for c in cell.split(";") if c}


def _float(cell: str) -> float:
    return float(cell) if cell != "" else math.nan


def _joined(run, name: str) -> list[tuple[dict[str, str], dict[str, str]]]:
    """(samples.csv row, truth row) pairs, matched on kind, sample id and dilution."""
    truth = {(t["kind"], t["sample_id"], float(t["dilution"])): t for t in _truth(name)}
    rows = run.rows("samples")
    keys = [(r["kind"], r["sample_id"], float(r["dilution"])) for r in rows]
    assert sorted(keys) == sorted(truth), "samples.csv groups differ from the truth file's"
    return [(r, truth[k]) for r, k in zip(rows, keys)]


def _standard_concs(name: str) -> list[float]:
    """Distinct nominal concentrations of the layout's standards (read from the TOML)."""
    _, layout = plate_paths(name)
    doc = tomllib.loads(layout.read_text(encoding="utf-8"))
    found: set[float] = set()

    def walk(node):
        if isinstance(node, dict):
            if node.get("role") == "standard" and "conc" in node and not node.get("anchor"):
                found.add(float(node["conc"]))
            for value in node.values():
                walk(value)

    walk(doc)
    return sorted(c for c in found if c > 0)


def _verdict_and_code(run, expected: dict[str, str]) -> None:
    runs = run.rows("runs")
    assert len(runs) == 1
    assert runs[0]["verdict"] == expected["verdict"], runs[0]
    assert run.result.code == (0 if expected["verdict"] == "pass" else 1), run.result
    required = _codes(expected["required_reasons"])
    assert required <= _codes(runs[0]["reasons"]), runs[0]["reasons"]


# ---------------------------------------------------------------- the clean plates


@pytest.mark.parametrize("name", CLEAN_PLATES)
def test_clean_plate_passes(name, plate_outputs):
    run = plate_outputs(name)
    expected = _expected(name)
    assert expected["verdict"] == "pass"
    _verdict_and_code(run, expected)
    assert run.rows("runs")[0]["reasons"] == ""


@pytest.mark.parametrize("name", CLEAN_PLATES)
def test_clean_plate_accuracy_and_coverage(name, plate_outputs):
    run = plate_outputs(name)
    pairs = [(r, t) for r, t in _joined(run, name) if r["kind"] == "sample" and r["range"] == "in"]
    assert len(pairs) >= 20, f"only {len(pairs)} in-range samples"
    errors = [abs(float(r["conc"]) / float(t["true_conc"]) - 1.0) for r, t in pairs]
    median = statistics.median(errors)
    assert median <= MEDIAN_REL_ERROR_MAX, f"median |relative error| {median:.2%}"
    inside = [
        _float(r["conc_ci_low"]) <= float(t["true_conc"]) <= _float(r["conc_ci_high"])
        for r, t in pairs
    ]
    coverage = sum(inside) / len(inside)
    missed = [r["sample_id"] for (r, _), ok in zip(pairs, inside) if not ok]
    assert coverage >= CI_COVERAGE_MIN, f"95 % CI coverage {coverage:.1%}; missed {missed}"


@pytest.mark.parametrize("name", CLEAN_PLATES)
def test_clean_plate_range_as_expected(name, plate_outputs):
    run = plate_outputs(name)
    expected = _expected(name)
    curve = run.rows("curves")[0]
    assert curve["converged"] == "true"
    assert float(curve["lloq"]) == pytest.approx(float(expected["lloq"]), rel=1e-12)
    assert float(curve["uloq"]) == pytest.approx(float(expected["uloq"]), rel=1e-12)
    runs = run.rows("runs")[0]
    assert int(runs["standards_passed"]) == int(expected["standards_passed"])
    pairs = _joined(run, name)
    agree = sum(r["range"] == t["expected_range"] for r, t in pairs) / len(pairs)
    assert agree >= 0.9, f"range agrees with the truth file for only {agree:.0%} of groups"
    for needed in ("below", "above"):
        assert any(t["expected_range"] == needed for _, t in pairs), (
            f"the fixture should have samples {needed} the range"
        )


# ---------------------------------------------------------------- the planted problems


def test_bad_curve_fails_standards(plate_outputs):
    run = plate_outputs("fkn_bad_curve")
    expected = _expected("fkn_bad_curve")
    assert "standards_failed" in _codes(expected["required_reasons"])
    _verdict_and_code(run, expected)
    assert "standards_failed" in _codes(run.rows("runs")[0]["reasons"])
    assert run.result.code == 1
    assert any(r["passed"] == "false" for r in run.rows("standards"))


def test_noisy_plate_fails_intra_cv(plate_outputs):
    run = plate_outputs("il6_noisy")
    expected = _expected("il6_noisy")
    assert "intra_cv_fail" in _codes(expected["required_reasons"])
    _verdict_and_code(run, expected)
    runs = run.rows("runs")[0]
    assert "intra_cv_fail" in _codes(runs["reasons"])
    assert float(runs["intra_cv_pct"]) > float(runs["intra_cv_limit_pct"])
    assert run.result.code == 1


def test_discordant_duplicate_flagged_and_reassayed(plate_outputs):
    name = "fkn_discordant"
    run = plate_outputs(name)
    expected = _expected(name)
    planted = _codes(expected["high_cv_samples"])
    assert planted, "expected.csv names the planted discordant sample"
    assert planted == {
        t["sample_id"] for t in _truth(name) if "high_cv" in _codes(t["expected_flags"])
    }
    _verdict_and_code(run, expected)
    assert run.result.code == 0
    samples = {r["sample_id"]: r for r in run.rows("samples") if r["kind"] == "sample"}
    for sample_id in planted:
        assert "high_cv" in _codes(samples[sample_id]["flags"]), samples[sample_id]
        assert samples[sample_id]["reportable"] == "false"
    reassay = {(r["sample_id"], r["reason"]) for r in run.rows("reassay")}
    for sample_id in planted:
        assert (sample_id, "high_cv") in reassay, reassay
    flagged = {s for s, r in samples.items() if "high_cv" in _codes(r["flags"])}
    assert flagged == planted, f"high_cv on {flagged}, planted {planted}"


def test_saturated_top_standard(plate_outputs):
    name = "tracp5b_saturated"
    run = plate_outputs(name)
    expected = _expected(name)
    _verdict_and_code(run, expected)
    saturated_wells = _codes(expected["saturated_wells"])
    assert saturated_wells
    levels = _standard_concs(name)
    top, second = levels[-1], levels[-2]

    wells = {r["well"]: r for r in run.rows("wells")}
    for well in saturated_wells:
        assert wells[well]["saturated"] == "true", wells[well]
        assert wells[well]["role"] == "standard"
        assert float(wells[well]["conc_nominal"]) == top, "the planted wells are the top standard"
    others = {w for w, r in wells.items() if r["saturated"] == "true"} - saturated_wells
    assert not others, f"unexpected saturated wells {sorted(others)}"

    standards = {float(r["nominal"]): r for r in run.rows("standards")}
    assert standards[top]["passed"] == "false", standards[top]
    assert "saturated" in _codes(standards[top]["flags"])
    assert all(standards[c]["passed"] == "true" for c in levels[:-1])

    uloq = float(run.rows("curves")[0]["uloq"])
    assert uloq == float(expected["uloq"]) == second
    clean = plate_outputs("tracp5b_clean")
    clean_uloq = float(clean.rows("curves")[0]["uloq"])
    assert clean_uloq == float(_expected("tracp5b_clean")["uloq"])
    assert uloq < clean_uloq
