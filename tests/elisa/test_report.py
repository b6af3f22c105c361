"""report.html: a self-contained, escaped page with verdicts, curves, plate maps and tables."""

from __future__ import annotations

import math
import re
from html import escape

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from elisa.report.curve_figure import curve_svg
from elisa.report.figures import clean_svg, fmt, logistic, plate_map_svg
from elisa.report.plate_report import REASONS, WARNINGS, render_report
from elisa.results import TABLE_COLUMNS, Results

EVIL = "<script>alert(1)</script>"
A, B, C, D = 0.05, 1.2, 200.0, 2.5
LEVELS = [15.6, 31.25, 62.5, 125.0, 250.0, 500.0, 1000.0, 2000.0]


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    cols = TABLE_COLUMNS[name]
    return pd.DataFrame([{c: r.get(c, math.nan) for c in cols} for r in rows], columns=cols)


def _plate(plate_id: str, converged: bool, failing_levels: set[int]) -> dict[str, list[dict]]:
    common = {"plate_id": plate_id, "analyte": "FKN"}
    standards = []
    for i, nom in enumerate(LEVELS, start=1):
        od = float(logistic(nom, A, B, C, D))
        passed = i not in failing_levels
        standards.append(
            {
                **common,
                "level": i,
                "nominal": nom,
                "n_wells": 2,
                "od_mean": od,
                "od_cv_pct": 3.0,
                "backfit": nom * (1.0 if passed else 1.4),
                "recovery_pct": 100.0 if passed else 140.0,
                "anchor": False,
                "passed": passed,
                "flags": "",
            }
        )
    standards.append(
        {
            **common,
            "level": 9,
            "nominal": 4000.0,
            "n_wells": 2,
            "od_mean": float(logistic(4000.0, A, B, C, D)),
            "od_cv_pct": 2.0,
            "backfit": 3900.0,
            "recovery_pct": 97.5,
            "anchor": True,
            "passed": None,
            "flags": "",
        }
    )
    samples = []
    for kind, sid, xw, dil in (
        ("control", "QC-low", 40.0, 1.0),
        ("sample", "S-001", 120.0, 2.0),
        ("sample", EVIL, 700.0, 4.0),
        ("sample", "S-003", math.nan, 1.0),
    ):
        od = float(logistic(xw, A, B, C, D)) if math.isfinite(xw) else 2.7
        samples.append(
            {
                **common,
                "unit": "pg/mL",
                "kind": kind,
                "sample_id": sid,
                "dilution": dil,
                "n_wells": 2,
                "od_mean": od,
                "od_cv_pct": 2.5,
                "conc": xw * dil,
                "conc_sd": 1.0,
                "conc_cv_pct": 3.1,
                "conc_se": 0.8,
                "conc_ci_low": xw * dil * 0.9,
                "conc_ci_high": xw * dil * 1.1,
                "range": "in" if math.isfinite(xw) else "above",
                "reportable": bool(math.isfinite(xw)),
                "flags": "" if math.isfinite(xw) else "no_solution;saturated",
            }
        )
    params = (
        dict(a=A, b=B, c=C, d=D, g=1.0)
        if converged
        else dict(a=math.nan, b=math.nan, c=math.nan, d=math.nan)
    )
    curves = [
        {
            **common,
            "model": "4PL",
            "weighting": "none",
            **params,
            "se_a": 0.01,
            "se_b": 0.02,
            "se_c": 3.0,
            "se_d": 0.03,
            "r_squared": 0.999,
            "rmse": 0.02,
            "lloq": 15.6 if converged else math.nan,
            "uloq": 2000.0 if converged else math.nan,
            "lloq_profile": 12.0,
            "uloq_profile": 2500.0,
            "converged": converged,
            "message": "" if converged else "no convergence after restarts <b>x</b>",
        }
    ]
    wells = []
    for r_i, row in enumerate("ABCDEFGH"):
        for col in range(1, 13):
            rec = {
                "plate_id": plate_id,
                "well": f"{row}{col}",
                "role": "empty",
                "sample_id": None,
                "saturated": False,
                "masked": False,
                "flags": "",
                "dilution": 1.0,
            }
            if col in (1, 2):
                rec.update(
                    role="standard",
                    conc_nominal=LEVELS[r_i],
                    od=float(logistic(LEVELS[r_i], A, B, C, D)),
                )
            elif col == 3 and r_i < 2:
                rec.update(role="blank", od=0.001)
            elif col == 4:
                s = samples[r_i // 2]
                rec.update(
                    role="control" if s["kind"] == "control" else "sample",
                    sample_id=s["sample_id"],
                    dilution=s["dilution"],
                    od=s["od_mean"],
                )
            rec["od_raw"] = rec.get("od", math.nan) + 0.05
            wells.append(rec)
    wells[3 * 12 + 3].update(flags="high_cv")  # D4
    wells[6 * 12 + 3].update(
        saturated=True, od=math.nan, od_raw=math.nan, flags="no_solution;saturated"
    )  # G4
    wells[0 * 12 + 4].update(
        role="sample", sample_id="S-009", masked=True, od=0.8, flags="masked_well"
    )  # A5
    reasons = "standards_failed;controls_failed" if failing_levels else ""
    if not converged:
        reasons = "fit_not_converged;range_not_established"
    runs = [
        {
            **common,
            "run_date": "2024-03-01",
            "lot": "L123",
            "source_file": f"{plate_id}.csv",
            "source_sha256": "ab" * 32,
            "verdict": "fail" if reasons else "pass",
            "reasons": reasons,
            "warnings": "intra_cv_above_limit" if reasons else "",
            "out_of_spec": None,
            "rules": "",
            "intra_cv_pct": 5.1 if reasons else 3.2,
            "intra_cv_limit_pct": 4.3,
            "standards_passed": 8 - len(failing_levels),
            "standards_total": 8,
            "controls_passed": 1,
            "controls_total": 2,
        }
    ]
    reassay = [
        {
            "plate_id": plate_id,
            "sample_id": "S-003",
            "dilution": 1.0,
            "reason": "saturated",
            "suggested_dilution": 10.0,
        },
        {
            "plate_id": plate_id,
            "sample_id": EVIL,
            "dilution": 4.0,
            "reason": "high_cv",
            "suggested_dilution": math.nan,
        },
    ]
    return dict(
        samples=samples, standards=standards, curves=curves, wells=wells, runs=runs, reassay=reassay
    )


def _results(*plates: dict[str, list[dict]]) -> Results:
    tables = {name: _frame(name, [r for p in plates for r in p[name]]) for name in TABLE_COLUMNS}
    prov = {
        "version": "0.1.0",
        "time": "2024-03-01T10:00:00Z",
        "inputs": [{"path": f"exports/{EVIL}.csv", "sha256": "cd" * 32}],
        "settings": {"weighting": "none", "model": "4PL", "note": EVIL},
    }
    return Results(**tables, plates=xr.Dataset(), provenance=prov)


@pytest.fixture(scope="module")
def page() -> str:
    return render_report(
        _results(
            _plate("P-pass", True, set()),
            _plate("P-fail", True, {3, 5}),
            _plate("P-noconv", False, set()),
        )
    )


def test_no_script_and_user_text_escaped(page):
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_no_network_reference(page):
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "url(http" not in page.lower() and "@import" not in page.lower()
    assert "http" not in page.lower()
    assert "<!doctype svg" not in page.lower() and "<?xml" not in page
    assert "<link" not in page.lower() and "<img" not in page.lower()
    for href in re.findall(r'href="([^"]*)"', page):
        assert href.startswith("#")


def test_one_curve_and_one_plate_map_per_plate(page):
    assert page.count("<svg") == 6
    assert page.count('class="platemap"') == 3
    for i in range(3):
        assert f'id="plate-{i}"' in page and f'href="#plate-{i}"' in page


def test_svg_ids_unique(page):
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for ref in set(re.findall(r'(?:href="|url\()#([^")]+)', page)):
        assert ref in ids


def test_verdicts_reasons_and_warnings(page):
    assert page.count(">PASS<") >= 1 and page.count(">FAIL<") >= 2
    for code in (
        "standards_failed",
        "controls_failed",
        "fit_not_converged",
        "range_not_established",
        "intra_cv_above_limit",
    ):
        assert code in page
    for code in ("standards_failed", "fit_not_converged"):
        assert escape(REASONS[code]) in page
    assert escape(WARNINGS["intra_cv_above_limit"]) in page
    assert "5.10 %" in page and "limit 4.30 %" in page
    assert "6 of 8 passed" in page and "8 of 8 passed" in page and "1 of 2 passed" in page


def test_lloq_uloq_shown(page):
    assert "LLOQ 15.60" in page and "ULOQ 2000" in page  # on the figure
    assert "15.60 – 2000" in page  # in the curve table


def test_non_converged_curve_still_renders(page):
    section = page[page.index('id="plate-2"') :]
    assert "did not converge" in section
    assert "<svg" in section
    svg = curve_svg(
        {"converged": False},
        pd.DataFrame(columns=TABLE_COLUMNS["standards"]),
        pd.DataFrame(columns=TABLE_COLUMNS["samples"]),
        "",
    )
    assert svg.startswith("<svg") and "did not converge" in svg


def test_tables_present(page):
    assert "QC-low" in page and "S-001" in page and "S-003" in page
    assert "suggested dilution" in page
    assert "a well was saturated" in page
    assert "not judged" in page  # the anchor
    assert page.count("<h3>Standards</h3>") == 3


def test_provenance_at_bottom(page):
    prov = page[page.index("<h2>Provenance</h2>") :]
    assert "cd" * 32 in prov and "weighting" in prov and "0.1.0" in prov
    assert "&lt;script&gt;" in prov


def test_curve_points_from_parameters():
    x = np.array([C])
    assert logistic(x, A, B, C, D)[0] == pytest.approx((A + D) / 2)
    assert logistic(x, A, B, C, D, 2.0)[0] == pytest.approx(D + (A - D) / 4)


def test_plate_map_marks_and_384():
    wells = _frame(
        "wells",
        [
            {"plate_id": "P", "well": "A1", "role": "standard", "od": 0.123, "flags": "high_cv"},
            {
                "plate_id": "P",
                "well": "B1",
                "role": "sample",
                "sample_id": EVIL,
                "saturated": True,
                "flags": "saturated",
            },
            {
                "plate_id": "P",
                "well": "C1",
                "role": "sample",
                "masked": True,
                "od": 1.0,
                "flags": "masked_well",
            },
        ],
    )
    svg = plate_map_svg(wells)
    assert "0.123" in svg and "OVER" in svg and "CV" in svg and "<script" not in svg
    assert 'viewBox="0 0 746' in svg  # 12 columns
    big = _frame("wells", [{"plate_id": "P", "well": "P24", "role": "sample", "od": 0.5}])
    svg = plate_map_svg(big)
    assert ">P</text>" in svg and ">24</text>" in svg


def test_clean_svg_strips_prolog_and_prefixes_ids():
    raw = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n'
        '<!-- c --><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/'
        '1999/xlink"><metadata>m</metadata><defs><path id="m1"/></defs>'
        '<use xlink:href="#m1"/><g clip-path="url(#m1)"/></svg>'
    )
    out = clean_svg(raw, "f")
    assert out.startswith("<svg>") and "http" not in out and "metadata" not in out
    assert 'id="f-m1"' in out and '"#f-m1"' in out and "url(#f-m1)" in out


def test_fmt():
    assert fmt(15.6) == "15.60" and fmt(2000.0) == "2000" and fmt(math.nan) == ""
    assert fmt(None) == "" and fmt(0.012345) == "0.01235" and fmt(1.5e7) == "1.500e+07"


def _fmt_formula(v: float, sig: int) -> str:
    """fmt as its docstring defines it, written out with no cached format spec."""
    if not math.isfinite(v):
        return ""
    if v == 0:
        return "0"
    mag = math.floor(math.log10(abs(v)))
    if mag >= 6 or mag < -3:
        return f"{v:.{sig - 1}e}"
    return f"{v:.{max(0, sig - 1 - mag)}f}"


def test_fmt_with_cached_formats_matches_its_formula():
    rng = np.random.default_rng(11)
    values = rng.lognormal(0.0, 8.0, 20_000) * rng.choice([-1.0, 1.0], 20_000)
    edges = [999.95, 999.9999999, 1e6, 999_999.5, 1e-3, 9.99995e-4, 5e-324, 1.7e308, -0.0]
    for v in [*values.tolist(), *edges]:
        for sig in (3, 4, 5, 6):
            assert fmt(v, sig) == _fmt_formula(v, sig), (v, sig)


def test_plate_map_grid_follows_each_plates_size():
    small = [{"well": "C1", "role": "sample", "od": 0.5, "masked": True}]
    big = [{"well": "P24", "role": "sample", "od": 0.5}]
    for wells, n_wells, width in ((small, 96, 746), (big, 384, 986), (small, 96, 746)):
        svg = plate_map_svg(wells)
        assert svg.count('stroke="#dddddd"') == n_wells  # one empty rectangle per well
        assert f'viewBox="0 0 {width} ' in svg
    svg = plate_map_svg(small)
    # C1: third row of 42 px below an 18 px margin, first column after 22 px
    assert '<rect x="23" y="103" width="58" height="40" rx="3" fill="#c7e9c0"' in svg
    assert '<path d="M25,105 L79,141 M79,105 L25,141"' in svg  # masked: crossed out


def test_sparse_inputs_render():
    empty = Results(**{n: _frame(n, []) for n in TABLE_COLUMNS}, plates=xr.Dataset())
    assert "<html" in render_report(empty)
    run = {
        "plate_id": "X",
        "analyte": "IL-6",
        "verdict": "fail",
        "reasons": "fit_not_converged;some_new_code",
    }
    only_run = Results(
        **{n: _frame(n, [run] if n == "runs" else []) for n in TABLE_COLUMNS}, plates=xr.Dataset()
    )
    page = render_report(only_run)
    assert "some_new_code" in page and "no description" in page
    assert page.count("<svg") == 2 and "<script" not in page


def test_range_not_established_said(page):
    section = page[page.index('id="plate-2"') :]
    assert "not established" in section
