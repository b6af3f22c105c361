"""A large run renders the report's status-free parts (`report_parts`) while the store judges
the runs' statuses (`elisa.run`): the parts show no status, so the report built from them is the
report rendered after the statuses are known."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import elisa
import elisa.report.plate_report as plate_report
from elisa.across_runs.status import STATUS_COLUMNS
from elisa.report.plate_report import render_report, report_files, report_parts
from tests.conftest import plate_paths

NAMES = ("fkn_clean", "tracp5b_saturated", "fkn_bad_curve")


@pytest.fixture(scope="module")
def results():
    exports, layouts = zip(*(plate_paths(name) for name in NAMES), strict=True)
    return elisa.process(list(exports), layout=list(layouts))


def judged_again(results):
    """``results`` with every status column changed, as a store's history could change them."""
    runs = results.runs.copy()
    failed = runs["verdict"] != "pass"
    verdicts = ["pass" if f else "fail" for f in failed]
    runs["verdict"] = pd.array(verdicts, dtype=runs["verdict"].dtype)
    runs["reasons"] = pd.array(["westgard_reject"] * len(runs), dtype=runs["reasons"].dtype)
    runs["warnings"] = pd.array(["westgard_warning"] * len(runs), dtype=runs["warnings"].dtype)
    runs["out_of_spec"] = pd.array([True] * len(runs), dtype=runs["out_of_spec"].dtype)
    runs["rules"] = pd.array(["1-3s;R-4s"] * len(runs), dtype=runs["rules"].dtype)
    return dataclasses.replace(results, runs=runs)


def test_the_changed_columns_are_the_status_columns(results):
    again = judged_again(results)
    changed = [c for c in results.runs.columns if not results.runs[c].equals(again.runs[c])]
    assert sorted(changed) == sorted(STATUS_COLUMNS)


@pytest.mark.parametrize("paged", [False, True], ids=["one page", "a page per plate"])
def test_a_report_from_parts_rendered_before_the_statuses_is_the_report_rendered_after(
    results, monkeypatch, paged
):
    if paged:
        monkeypatch.setattr(plate_report, "MAX_PLATES_ON_ONE_PAGE", 1)
    parts = report_parts(results)
    again = judged_again(results)
    assert report_parts(again) == parts
    files = report_files(again)
    assert len(files) == (1 + len(NAMES) if paged else 1)
    assert report_files(again, parts) == files
    assert files != report_files(results)  # the statuses do show, in the sections' heads
    pages = [page.decode() for name, page in files.items() if paged == ("plates/" in name)]
    assert all(
        page.count("Westgard rules fired: 1-3s, R-4s") == (1 if paged else 3) for page in pages
    )


def test_the_one_page_report_holds_every_plate_however_many(results, monkeypatch):
    monkeypatch.setattr(plate_report, "MAX_PLATES_ON_ONE_PAGE", 1)
    page = render_report(results)
    assert page.count("<section id=") == len(NAMES) and page.count("<svg") == 2 * len(NAMES)
    assert page.encode() == report_files(results, report_parts(results, paged=False))["report.html"]


def test_parts_of_other_runs_are_refused(results):
    parts = report_parts(results)
    fewer = dataclasses.replace(parts, around=parts.around[:2])
    with pytest.raises(ValueError, match="report parts of 2 plates for 3 runs"):
        report_files(results, fewer)
