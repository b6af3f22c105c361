"""The report's findings of issue 9 (section 6), each checked on the rendered report.html, and
the smaller gaps of section 7 (re-assay of failed plates, the run date's source)."""

from __future__ import annotations

import math
import re
from html import unescape
from pathlib import Path

import pytest

from elisa.report.values import percent, supported_range
from elisa.run_date import (
    FROM_LAYOUT,
    FROM_PROCESSING,
    FROM_READ_TIME,
    FROM_SAVE_TIME,
    FROM_STORED,
    choose_run_date,
)
from tests.conftest import FIXTURE_DIR, read_rows, run_elisa

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "formats"
ASSAY_2 = SHARED / "molecular_devices_softmax_pro" / "ELISAtools__Assay_2.txt"
WELL = re.compile(r"<g><title>([A-P]\d{1,2}) · (.*?)</title>(.*?)</g>", re.S)


def _html(run) -> str:
    return (run.out_dir / "report.html").read_text(encoding="utf-8")


def _sample_rows(html: str) -> dict[str, list[str]]:
    """Cells of the samples table by sample id (tags kept)."""
    table = html.split("<h3>Samples and controls</h3>")[1].split("</table>")[0]
    rows = {}
    for row in re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", table, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows[unescape(cells[1])] = cells
    return rows


def _map_wells(html: str) -> dict[str, str]:
    """Each plate-map well's SVG by well name."""
    return {m.group(1): m.group(0) for m in WELL.finditer(html)}


@pytest.fixture(scope="module")
def shared_assay_2(tmp_path_factory):
    if not ASSAY_2.is_file():
        pytest.skip("../shared/formats is absent")
    work = tmp_path_factory.mktemp("assay2")
    done = run_elisa(["run", ASSAY_2, "--layout-from-export", "--analyte", "FKN", "--no-db"], work)
    assert done.code in (0, 1), done.err
    return work / "results"


def test_a_warning_never_contradicts_the_verdict(plate_outputs):
    run = plate_outputs("il6_noisy")
    (verdict,) = run.rows("runs")
    assert "intra_cv_fail" in verdict["reasons"] and "intra_cv_above_limit" in verdict["warnings"]
    html = _html(run)
    assert "not significantly" not in html
    assert "significantly so: the plate failed for it" in html


def test_values_outside_the_range_are_shown_as_beyond_lloq_or_uloq(plate_outputs):
    run = plate_outputs("fkn_bad_curve")
    rows = _sample_rows(_html(run))
    sides = {"below": "&lt; LLOQ", "above": "&gt; ULOQ"}
    seen = set()
    for sample in run.rows("samples"):
        conc_cell = rows[sample["sample_id"]][6]
        if sample["range"] in sides:
            seen.add(sample["range"])
            assert conc_cell.startswith(sides[sample["range"]])
            if sample["conc"]:
                number = re.search(r"<small[^>]*>(.*?)</small>", conc_cell).group(1)
                assert float(number) == pytest.approx(float(sample["conc"]), rel=1e-3)
        else:
            assert "LLOQ" not in conc_cell and "ULOQ" not in conc_cell
    assert seen == {"below", "above"}


def test_intervals_the_curve_cannot_resolve_are_unbounded(plate_outputs):
    run = plate_outputs("fkn_bad_curve")
    (curve,) = run.rows("curves")
    sample = next(s for s in run.rows("samples") if s["sample_id"] == "S035")
    low, high = float(sample["conc_ci_low"]), float(sample["conc_ci_high"])
    assert high / low > 1000  # 44 – 52,267 pg/mL around 1,515: no information
    # the curve's response is within 1 % of its span from an asymptote beyond these
    b, c = float(curve["b"]), float(curve["c"])
    assert supported_range(curve) == pytest.approx((c * 99 ** (-1 / b), c * 99 ** (1 / b)))
    cell = _sample_rows(_html(run))["S035"][8]
    assert "unbounded" in cell and "52267" not in cell.split("title")[0]
    in_range = next(s for s in run.rows("samples") if s["range"] == "in" and s["conc_ci_low"])
    ci = unescape(_sample_rows(_html(run))[in_range["sample_id"]][8])
    assert "unbounded" not in ci and "∞" not in ci and " – " in ci


def test_no_absurd_interval_or_cv_on_a_real_plate(shared_assay_2):
    html = (shared_assay_2 / "report.html").read_text(encoding="utf-8")
    samples = {r["sample_id"]: r for r in read_rows(shared_assay_2 / "samples.csv")}
    assert float(samples["P2"]["od_cv_pct"]) < 1e-10  # two identical ODs, floating-point noise
    assert _sample_rows(html)["P2"][5] == "0"
    for cell in re.findall(r"<td class=\"n\">(.*?)</td>", html):
        shown = re.sub(r"<[^>]+>", "", cell)  # the visible text (a tooltip keeps the numbers)
        assert not re.search(r"e[-+]?[1-9]\d", shown), cell  # no 1.358e-35 – 1.349e+38
    assert "unbounded" in html


def test_percent_format():
    assert [percent(v) for v in (6.13e-14, 0.004, 0.0449, 1.234, 12.34, 123.4, math.nan)] == [
        "0",
        "0",
        "0.0449",
        "1.23",
        "12.3",
        "123",
        "",
    ]


@pytest.mark.parametrize("name", ["fkn_clean", "il6_clean", "tracp5b_clean", "il1b_clean"])
def test_no_negative_zero_on_the_plate_map(plate_outputs, name):
    run = plate_outputs(name)
    wells = {w["well"]: w for w in run.rows("wells")}
    near_zero = [w for w, r in wells.items() if r["od"] and -0.0005 < float(r["od"]) < 0]
    if name == "fkn_clean":
        assert near_zero, "fkn_clean has a well just below zero (it read -0.000 before)"
    html = _html(run)
    assert ">-0.000</text>" not in html
    for well in near_zero:
        assert ">0.000</text>" in _map_wells(html)[well]


@pytest.mark.parametrize(
    "name", ["fkn_clean", "il6_clean", "tracp5b_clean", "il1b_clean", "fkn_bad_curve"]
)
def test_standard_wells_are_never_extrapolated(plate_outputs, name):
    run = plate_outputs(name)
    wells = run.rows("wells")
    standards = [w for w in wells if w["role"] == "standard"]
    assert standards and not any("extrapolated" in w["flags"] for w in standards)
    html_wells = _map_wells(_html(run))
    assert not any("EXT" in html_wells[w["well"]] for w in standards)


def test_samples_outside_the_standards_stay_extrapolated(plate_outputs):
    run = plate_outputs("fkn_bad_curve")
    extrapolated = [w["well"] for w in run.rows("wells") if "extrapolated" in w["flags"]]
    assert extrapolated and all(
        w["role"] in ("sample", "control") for w in run.rows("wells") if w["well"] in extrapolated
    )


def test_high_cv_groups_are_marked_on_the_plate_map(plate_outputs):
    run = plate_outputs("fkn_discordant")
    high = [s for s in run.rows("samples") if "high_cv" in s["flags"]]
    assert [s["sample_id"] for s in high] == ["S029"]
    wells = _map_wells(_html(run))
    s029 = [w["well"] for w in run.rows("wells") if w["sample_id"] == "S029"]
    marked = [w for w, svg in wells.items() if "mark-high-cv" in svg]
    assert sorted(marked) == sorted(s029) and len(s029) == 2


def test_failed_standards_and_controls_are_marked_on_the_plate_map(plate_outputs):
    run = plate_outputs("fkn_bad_curve")
    failed_levels = {float(s["nominal"]) for s in run.rows("standards") if s["passed"] == "false"}
    assert failed_levels
    wells = run.rows("wells")
    expected = {
        w["well"]
        for w in wells
        if w["role"] == "standard"
        and w["conc_nominal"]
        and float(w["conc_nominal"]) in failed_levels
    }
    # a control result fails outside ±20 % of its expected value (no kit range on this plate)
    for w in wells:
        if w["role"] == "control" and w["masked"] != "true":
            value, target = float(w["conc_well"] or "nan"), float(w["conc_nominal"])
            if not abs(value - target) <= 0.2 * target:
                expected.add(w["well"])
    assert any(w["role"] == "control" for w in wells if w["well"] in expected)
    marked = {w for w, svg in _map_wells(_html(run)).items() if "mark-failed" in svg}
    assert marked == expected


def test_a_failed_plate_puts_every_sample_on_the_reassay_list(plate_outputs):
    run = plate_outputs("fkn_bad_curve")
    (verdict,) = run.rows("runs")
    assert verdict["verdict"] == "fail"
    samples = {
        (s["sample_id"], s["dilution"]) for s in run.rows("samples") if s["kind"] == "sample"
    }
    reassay = run.rows("reassay")
    listed = {(r["sample_id"], r["dilution"]) for r in reassay if r["sample_id"].startswith("S")}
    assert listed == samples and len(reassay) >= len(samples)
    by_id = {r["sample_id"]: r for r in reassay}
    flags = {s["sample_id"]: s for s in run.rows("samples")}
    for sample_id, row in by_id.items():
        sample = flags[sample_id]
        own = "no_solution" in sample["flags"] or sample["range"] == "above"
        assert (row["reason"] != "plate_failed") == own, (sample_id, row["reason"])
    assert by_id["S035"]["reason"] == "above" and by_id["S035"]["suggested_dilution"]


def test_a_passing_plate_lists_only_samples_with_a_reason(plate_outputs):
    run = plate_outputs("fkn_discordant")
    assert run.rows("runs")[0]["verdict"] == "pass"
    assert "plate_failed" not in {r["reason"] for r in run.rows("reassay")}


def test_run_date_order_of_sources():
    assert choose_run_date({"date": "2024-01-02"}, {"read_time": "2023-05-06T07:08:09"}, "now") == (
        choose_run_date({"date": "2024-01-02"}, {}, "now")
    )
    assert choose_run_date({"date": "2024-01-02"}, {}, "now").source == FROM_LAYOUT
    read = choose_run_date({}, {"read_time": "2023-05-06T07:08:09", "date_last_saved": "x"}, "now")
    assert (read.value, read.source) == ("2023-05-06T07:08:09", FROM_READ_TIME)
    saved = choose_run_date({}, {"date_last_saved": "2017-10-04T14:05:49"}, "now", "2020-01-01")
    assert (saved.value, saved.source) == ("2017-10-04T14:05:49", FROM_SAVE_TIME)
    assert choose_run_date({}, {}, "now", "2020-01-01").source == FROM_STORED
    assert choose_run_date({}, {}, "now") == choose_run_date({}, {}, "now", None)
    assert choose_run_date({}, {}, "now").source == FROM_PROCESSING


def test_the_run_date_comes_from_the_export_and_the_report_says_so(shared_assay_2):
    (run,) = read_rows(shared_assay_2 / "runs.csv")
    assert run["run_date"] == "2017-10-04T14:05:49"  # SoftMax 'Date Last Saved'
    html = (shared_assay_2 / "report.html").read_text(encoding="utf-8")
    assert "2017-10-04T14:05:49 <span" in html and unescape(FROM_SAVE_TIME) in unescape(html)


def test_a_layout_date_is_named_as_the_source(plate_outputs):
    html = _html(plate_outputs("fkn_clean"))
    layout_date = read_rows(plate_outputs("fkn_clean").out_dir / "runs.csv")[0]["run_date"]
    assert f"{layout_date} <span" in html and "(from the layout&#x27;s [expt] date)" in html
    assert (FIXTURE_DIR / "fkn_clean.toml").read_text().count(layout_date) == 1
