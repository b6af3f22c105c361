"""A large run renders each plate's report body while the store judges the runs' statuses
(`elisa.run`): the bodies show no status, so pages built from them are the pages rendered after
the statuses are known."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import elisa
import elisa.report.plate_report as plate_report
from elisa.across_runs.status import STATUS_COLUMNS
from elisa.report.plate_report import plate_bodies, render_report_pages
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
    runs["verdict"] = pd.array(
        ["pass" if f else "fail" for f in failed], dtype=runs["verdict"].dtype
    )
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
def test_pages_from_bodies_rendered_before_the_statuses_are_the_pages_rendered_after(
    results, monkeypatch, paged
):
    if paged:
        monkeypatch.setattr(plate_report, "MAX_PLATES_ON_ONE_PAGE", 1)
    bodies = plate_bodies(results)
    again = judged_again(results)
    assert plate_bodies(again) == bodies
    pages = render_report_pages(again)
    assert len(pages) == (1 + len(NAMES) if paged else 1)
    assert render_report_pages(again, bodies) == pages
    assert pages != render_report_pages(results)  # the statuses do show, in the heads
    assert all("Westgard rules fired: 1-3s, R-4s" in p for n, p in pages.items() if "plates/" in n)


def test_bodies_of_other_runs_are_refused(results):
    with pytest.raises(ValueError, match="2 plate bodies for 3 runs"):
        render_report_pages(results, plate_bodies(results)[:2])
