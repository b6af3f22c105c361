"""The faster paths of a plate's reduction give the very numbers of the general ones (issue 11).

- `inwell_se_each` sums the covariance term for all groups at once in the order einsum takes for
  one row: element i equals a one-x `inwell_se` call to the last bit, for fits of every model
  and weighting, and for a covariance held in either memory order;
- `typed_columns` makes the table `typed_table` makes of the same cells given as rows;
- replicate groups know whether a well of theirs is saturated, masked or an anchor;
- the precision profile's grid is `np.geomspace`, shared between plates and read-only.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from elisa.fit.fitter import fit_standard_curve
from elisa.fit.logistic import logistic5
from elisa.fit.uncertainty import inwell_se, inwell_se_each, profile_grid
from elisa.reduction.replicate_groups import replicate_groups
from elisa.reduction.wells import correct_wells
from elisa.results import TABLE_COLUMNS, typed_columns, typed_table

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning:lmfit.minimizer")

LEVELS = 15.625 * 2.0 ** np.arange(8)
CURVES = [  # model, weighting, theta, g, increasing
    ("4PL", "none", 1.0, 1.0, True),
    ("4PL", "1/y^2", 1.0, 1.0, False),
    ("5PL", "pom", 0.7, 0.6, True),
    ("5PL", "1/y", 1.0, 0.6, False),
]


def _fit(model, weighting, theta, g, increasing, seed):
    a, d = (0.05, 2.8) if increasing else (2.8, 0.05)
    x = np.repeat(LEVELS, 2)
    mu = logistic5(x, a, 1.3, 120.0, d, g)
    y = mu * (1 + 0.03 * np.random.default_rng(seed).standard_normal(x.size))
    fit = fit_standard_curve(x, y, model=model, weighting=weighting, theta=theta)
    assert fit.converged, fit.message
    return fit


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("curve", CURVES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_each_se_is_the_se_of_that_x_alone_to_the_last_bit(curve, order):
    fit = _fit(*curve, seed=11)
    fit = dataclasses.replace(fit, covariance=np.asarray(fit.covariance, order=order))
    rng = np.random.default_rng(3)
    x = np.concatenate([np.exp(rng.uniform(np.log(5.0), np.log(3000.0), 60)), [np.nan, -1.0]])
    m = rng.integers(0, 5, x.size).astype(float)
    each = inwell_se_each(fit, x, m)
    alone = np.array([inwell_se(fit, xi, mi)[0] for xi, mi in zip(x, m)])
    assert np.isfinite(each).sum() > 40  # mostly real SEs, not NaN on both sides
    assert each.tobytes() == alone.tobytes()


def _cells(rows: list[dict], name: str) -> dict[str, list]:
    return {column: [row[column] for row in rows] for column in TABLE_COLUMNS[name]}


def test_columns_make_the_table_the_rows_make():
    rows = [
        {
            "plate_id": "P1",
            "analyte": "IL-6",
            "level": level,
            "nominal": nominal,
            "n_wells": n,
            "od_mean": od,
            "od_cv_pct": None,
            "backfit": math.inf if level == 2 else 1.5,
            "recovery_pct": np.float64(98.5),
            "anchor": level == 3,
            "passed": None if level == 1 else bool(level % 2),
            "flags": "" if level != 2 else "saturated",
        }
        for level, nominal, n, od in [(1, 3.9, 2, None), (2, 7.8, 0, math.nan), (3, 15.6, 1, 0.5)]
    ]
    by_rows = typed_table("standards", rows)
    by_columns = typed_columns("standards", _cells(rows, "standards"))
    pd.testing.assert_frame_equal(by_columns, by_rows, check_dtype=True, check_exact=True)
    assert isinstance(by_columns.index, pd.RangeIndex)
    assert by_columns["od_mean"].isna().tolist() == [True, True, False]


@pytest.mark.parametrize("name", list(TABLE_COLUMNS))
def test_an_empty_table_by_columns_is_the_empty_table_by_rows(name):
    by_columns = typed_columns(name, _cells([], name))
    pd.testing.assert_frame_equal(by_columns, typed_table(name, []), check_exact=True)


def test_groups_know_their_saturated_masked_and_anchor_wells():
    layout = pd.DataFrame(
        {
            "well": ["A1", "A2", "A3", "A4", "A5", "A6"],
            "row": ["A"] * 6,
            "col": list(range(1, 7)),
            "role": ["standard", "standard", "sample", "sample", "sample", "sample"],
            "conc": [10.0, 10.0, math.nan, math.nan, math.nan, math.nan],
            "conc_low": [math.nan] * 6,
            "conc_high": [math.nan] * 6,
            "sample": [None, None, "S1", "S1", "S2", "S2"],
            "dilution": [1.0, 1.0, 2.0, 2.0, 2.0, 2.0],
            "anchor": [False, True, False, False, False, False],
            "mask": [None, None, None, "bubble", None, None],
        }
    )
    od = np.array([1.0, 1.1, 0.5, 0.6, np.nan, 0.7])
    saturated = np.array([False, False, False, False, True, False])
    wells = correct_wells(layout, od, None, saturated).wells
    (standard,) = replicate_groups(wells, "standard")
    s1, s2 = replicate_groups(wells, "sample")
    assert (standard.anchor, standard.saturated, standard.masked) == (True, False, False)
    assert (s1.sample_id, s1.masked, s1.saturated, s1.usable) == ("S1", True, False, (2,))
    assert (s2.sample_id, s2.masked, s2.saturated, s2.usable) == ("S2", False, True, (5,))


def test_profile_grid_is_geomspace_shared_and_read_only():
    grid = profile_grid(np.concatenate([[0.0], LEVELS]))
    assert grid.tobytes() == np.geomspace(LEVELS[0], LEVELS[-1], 1001).tobytes()
    assert profile_grid(LEVELS[::-1]) is grid  # the same standards: the same array
    with pytest.raises(ValueError):
        grid[0] = 1.0
