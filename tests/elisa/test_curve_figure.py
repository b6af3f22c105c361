"""The standard curve written as SVG text (issue 11): every mark where the axes say it is.

Positions are checked against the figure's own tick labels: two labelled ticks of an axis give
its pixel mapping, independently of the code that placed the marks.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from elisa.report.curve_figure import NOT_CONVERGED, _broken_path, _curve_path, curve_svg
from elisa.report.figures import logistic
from elisa.report.svg_axes import (
    Axis,
    linear_ticks,
    log_ticks,
    nice_step,
    number,
    numbers,
    padded_range,
)
from elisa.results import TABLE_COLUMNS

A, B, C, D = 0.05, 1.2, 200.0, 2.5
LEVELS = [15.6, 31.25, 62.5, 125.0, 250.0, 500.0, 1000.0, 2000.0]
CURVE = dict(a=A, b=B, c=C, d=D, g=1.0, converged=True, lloq=15.6, uloq=2000.0)


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    cols = TABLE_COLUMNS[name]
    return pd.DataFrame([{c: r.get(c, math.nan) for c in cols} for r in rows], columns=cols)


def _standards(levels=LEVELS, failing=(3,), anchor_level=None, cv=4.0) -> pd.DataFrame:
    return _frame(
        "standards",
        [
            dict(
                level=i,
                nominal=x,
                od_mean=float(logistic(x, A, B, C, D)),
                od_cv_pct=cv,
                anchor=i == anchor_level,
                passed=None if i == anchor_level else i not in failing,
            )
            for i, x in enumerate(levels, start=1)
        ],
    )


def _samples(rows=None) -> pd.DataFrame:
    rows = rows or [
        ("sample", "S-1", 240.0, 2.0, float(logistic(120.0, A, B, C, D)), "in"),
        ("control", "QC-1", 40.0, 1.0, float(logistic(40.0, A, B, C, D)), "in"),
        ("sample", "S-high", math.nan, 1.0, 2.45, "above"),
        ("sample", "S-low", math.nan, 1.0, 0.02, "below"),
    ]
    return _frame(
        "samples",
        [
            dict(kind=k, sample_id=s, conc=c, dilution=d, od_mean=od, range=r)
            for k, s, c, d, od, r in rows
        ],
    )


def _root(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # the figure must be well-formed XML to be valid inline SVG


def _axis_maps(root: ET.Element):
    """(x → px, od → px) from the two outermost plain-number tick labels of each axis."""

    def two(cls: str, attr: str) -> list[tuple[float, float]]:
        group = next(g for g in root.iter("g") if g.get("class") == cls)
        ticks = [
            (float("".join(t.itertext()).replace("−", "-")), float(t.get(attr)))
            for t in group.iter("text")
            if t.find("tspan") is None
        ]
        return [ticks[0], ticks[-1]]

    (x0, p0), (x1, p1) = two("x-ticks", "x")
    (y0, q0), (y1, q1) = two("y-ticks", "y")

    def x_px(x: float) -> float:
        return p0 + (math.log10(x) - math.log10(x0)) / (math.log10(x1) - math.log10(x0)) * (p1 - p0)

    def y_px(y: float) -> float:
        return q0 + (y - y0) / (y1 - y0) * (q1 - q0)

    return x_px, y_px


def _marks(root: ET.Element, group_id: str) -> list[tuple[float, float]]:
    group = next((g for g in root.iter("g") if g.get("id") == group_id), None)
    if group is None:
        return []
    out = []
    for path in group.findall("path"):
        if path.get("class") != "error-bars":
            x, y = re.match(r"M(-?[\d.]+),(-?[\d.]+)", path.get("d")).groups()
            out.append((float(x), float(y)))
    return out


def test_standards_samples_and_edges_land_where_the_axes_say():
    svg = curve_svg(CURVE, _standards(anchor_level=8), _samples(), "pg/mL", prefix="f")
    root = _root(svg)
    x_px, y_px = _axis_maps(root)
    passed = _marks(root, "f-standards-passed")
    expected = [(x, float(logistic(x, A, B, C, D))) for x in LEVELS if x not in (62.5, 2000.0)]
    assert len(passed) == 6
    for (px, py), (x, od) in zip(passed, expected):
        assert px == pytest.approx(x_px(x), abs=0.3) and py == pytest.approx(y_px(od), abs=0.3)
    ((fx, fy),) = _marks(root, "f-standards-failed")  # level 3, 62.5
    assert fx == pytest.approx(x_px(62.5), abs=0.3)
    assert fy == pytest.approx(y_px(float(logistic(62.5, A, B, C, D))), abs=0.3)
    ((ax, _),) = _marks(root, "f-anchors")
    assert ax == pytest.approx(x_px(2000.0), abs=0.3)
    ((sx, sy),) = _marks(root, "f-samples")  # conc 240 at dilution 2: 120 in the well
    assert sx == pytest.approx(x_px(120.0), abs=0.3)
    assert sy == pytest.approx(y_px(float(logistic(120.0, A, B, C, D))), abs=0.3)
    ((cx, _),) = _marks(root, "f-controls")
    assert cx == pytest.approx(x_px(40.0), abs=0.3)
    frame = next(r for r in root.iter("rect") if r.get("stroke") == "#444")
    left, right = float(frame.get("x")), float(frame.get("x")) + float(frame.get("width"))
    ((hx, hy),) = _marks(root, "f-no-conc-above")
    ((lx, ly),) = _marks(root, "f-no-conc-below")
    assert (hx, lx) == (pytest.approx(right), pytest.approx(left))
    assert hy == pytest.approx(y_px(2.45), abs=0.3) and ly == pytest.approx(y_px(0.02), abs=0.3)


def test_error_bars_span_plus_minus_one_sd():
    root = _root(curve_svg(CURVE, _standards(failing=(), cv=10.0), _samples([]), "", prefix="e"))
    _, y_px = _axis_maps(root)
    group = next(g for g in root.iter("g") if g.get("id") == "e-standards-passed")
    bars = group.find("path[@class='error-bars']").get("d")
    verticals = re.findall(r"M[\d.]+,([\d.]+)V([\d.]+)", bars)
    od = float(logistic(1000.0, A, B, C, D))  # level 7
    top, bottom = sorted(float(v) for v in verticals[6])
    assert bottom - top == pytest.approx(y_px(od * 0.9) - y_px(od * 1.1), abs=0.3)


def test_fitted_curve_follows_the_parameters_and_limits_are_placed():
    root = _root(curve_svg(dict(CURVE, g=1.7), _standards(), _samples(), "pg/mL", prefix="c"))
    x_px, y_px = _axis_maps(root)
    d = next(p for p in root.iter("path") if p.get("id") == "c-fit").get("d")
    vertices = [(float(x), float(y)) for x, y in re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", d)]
    assert len(vertices) > 100
    vx, vy = np.array(vertices).T
    for x in np.geomspace(8.0, 3900.0, 40):  # inside the axis: 7.8 to 4000
        between = np.interp(x_px(x), vx, vy)  # the path between its vertices
        assert between == pytest.approx(y_px(float(logistic(x, A, B, C, D, 1.7))), abs=0.5)
    for name, value in (("lloq", 15.6), ("uloq", 2000.0)):
        group = next(g for g in root.iter("g") if g.get("id") == f"c-{name}")
        line_x = float(re.match(r"M([\d.]+),", group.find("path").get("d")).group(1))
        assert line_x == pytest.approx(x_px(value), abs=0.3)
        assert "".join(group.find("text").itertext()) == f"{name.upper()} {value:.4g}".replace(
            "15.6", "15.60"
        )


def test_not_converged_has_title_and_no_curve():
    svg = curve_svg({"converged": False, "a": A}, _standards(), _samples(), "", prefix="n")
    root = _root(svg)
    assert NOT_CONVERGED in ["".join(t.itertext()) for t in root.iter("text")]
    assert not any(p.get("id") == "n-fit" for p in root.iter("path"))
    assert len(_marks(root, "n-standards-passed")) == 7  # the standards are still drawn


def test_unit_is_escaped_and_nothing_active_or_remote():
    unit = "<b>µg</b> & $\\frac{1}{2}$"
    svg = curve_svg(CURVE, _standards(), _samples(), unit, prefix="u")
    root = _root(svg)
    title = next(t for t in root.iter("text") if t.get("class") == "x-title")
    assert title.text == f"concentration in well ({unit})"
    assert "<b>" not in svg and "&lt;b&gt;µg&lt;/b&gt; &amp; $\\frac{1}{2}$" in svg
    evil = _samples([("sample", "<script>alert(1)</script>", 100.0, 1.0, 1.0, "in")])
    svg = curve_svg(CURVE, _standards(), evil, unit, prefix="u")
    assert "<script" not in svg.lower() and "&lt;script&gt;" in svg
    assert "http" not in svg and "href" not in svg and "xmlns" not in svg


def test_ids_unique_within_and_across_figures():
    figures = [
        curve_svg(CURVE, _standards(anchor_level=8), _samples(), "pg/mL", prefix=f"p{i}-curve")
        for i in range(2)
    ]
    id_sets = []
    for svg in figures:
        ids = re.findall(r'\bid="([^"]+)"', svg)
        assert len(ids) == len(set(ids)) and len(ids) >= 8
        for ref in re.findall(r"url\(#([^)]+)\)", svg):
            assert ref in ids  # the clip path is the figure's own
        id_sets.append(set(ids))
    assert not id_sets[0] & id_sets[1]


def test_no_positive_concentrations_and_nan_ods():
    standards = _standards(levels=[0.0, math.nan, -1.0])
    root = _root(curve_svg(None, standards, _samples()[2:], "", prefix="z"))
    labels = [
        "".join(t.itertext()) for g in root.iter("g") if g.get("class") == "x-ticks" for t in g
    ]
    assert labels == ["0.1", "1", "10", "100", "1000"]  # the default 0.1–1000 range
    assert len(_marks(root, "z-no-conc-above")) == 1 and not _marks(root, "z-standards-passed")
    nan_ods = _standards().assign(od_mean=math.nan)
    root = _root(curve_svg(CURVE, nan_ods, _samples().assign(od_mean=math.nan), "", prefix="q"))
    assert not any(_marks(root, f"q-{k}") for k in ("standards-passed", "samples"))
    assert any(p.get("id") == "q-fit" for p in root.iter("path"))


def test_missing_text_cells_are_not_errors():
    samples = _samples()
    samples["sample_id"] = pd.array([pd.NA, "a", "b", "c"], dtype="string")
    samples["kind"] = pd.array(["sample", pd.NA, "sample", "sample"], dtype="string")
    root = _root(curve_svg(CURVE, _standards(), samples, "", prefix="m"))
    assert len(_marks(root, "m-samples")) == 1 and not _marks(root, "m-controls")


def test_one_standard_still_has_two_labelled_ticks_on_each_axis():
    root = _root(curve_svg(None, _standards(levels=[300.0]), _samples([]), "", prefix="o"))
    x_px, y_px = _axis_maps(root)  # needs two labels per axis
    ((px, py),) = _marks(root, "o-standards-passed")
    assert px == pytest.approx(x_px(300.0), abs=0.3)
    assert py == pytest.approx(y_px(float(logistic(300.0, A, B, C, D))), abs=0.3)


def test_a_far_asymptote_does_not_squash_the_points():
    far = dict(CURVE, d=50.0, c=5000.0)
    root = _root(curve_svg(far, _standards(), _samples([]), "", prefix="a"))
    group = next(g for g in root.iter("g") if g.get("class") == "y-ticks")
    top = max(float("".join(t.itertext())) for t in group)
    assert top <= 5.0  # the points reach 2.4; the curve may add half their span, clipped


def test_log_ticks():
    labelled = {t.value: t.label for t in log_ticks(2.6, 2900.0) if t.label}
    assert labelled == {10.0: "10", 100.0: "100", 1000.0: "1000"}
    assert [t.label for t in log_ticks(150.0, 600.0) if t.label] == ["200", "500"]
    wide = [t for t in log_ticks(1e-3, 1e9) if t.label]
    assert len(wide) <= 8 and wide[-1].label == '10<tspan dy="-6" font-size="80%">9</tspan>'


def test_linear_ticks_and_ranges():
    assert [t.label for t in linear_ticks(-0.1, 3.1)] == [
        "0.0",
        "0.5",
        "1.0",
        "1.5",
        "2.0",
        "2.5",
        "3.0",
    ]
    assert [t.label for t in linear_ticks(-0.26, 0.26)][:2] == ["−0.2", "−0.1"]
    assert nice_step(1.0) == 0.2 and nice_step(15.0) == 2.5
    assert padded_range(np.array([math.nan])) == (0.0, 1.0)
    assert padded_range(np.array([1.0, 1.0])) == (0.9, 1.1)
    assert padded_range(np.array([0.0, 2.0, math.inf])) == (-0.1, 2.1)


def test_numbers_is_number_of_each():
    rng = np.random.default_rng(3)
    values = [*(rng.normal(0, 400, 5000)).tolist(), -0.04, 0.04, -0.05, 0.05, 0.25, -0.0, 2.96]
    values += [math.nan, math.inf, -math.inf, 1e20, -1e-20]
    assert numbers(values) == [number(v) for v in values]


def test_a_finite_curve_is_the_path_with_no_breaks():
    grid = np.geomspace(0.1, 1000, 240)
    x_axis, y_axis = Axis(0.1, 1000, 70, 664, log=True), Axis(0.0, 3.0, 330, 30)
    curve_y = logistic(grid, 0.05, 1.2, 40.0, 2.8)
    d = re.search(r' d="([^"]*)"', _curve_path(grid, curve_y, x_axis, y_axis, "p")).group(1)
    assert d == _broken_path(x_axis.px(grid).tolist(), y_axis.px(curve_y).tolist())
    assert d.count("M") == 1 and d.count("L") == 239
    curve_y[100] = math.nan  # a point the curve cannot take lifts the pen there
    d = re.search(r' d="([^"]*)"', _curve_path(grid, curve_y, x_axis, y_axis, "p")).group(1)
    assert d.count("M") == 2 and d.count("L") == 237
