"""The toolkit's concentrations against SoftMax Pro's own results in ELISAtools__Assay_2.txt
(issue 3, "What it must show" item 2).

The file is a real sandwich ELISA read at 450 and 620 nm. Its groups give the layout (standards
3000 → 0 pg/mL in triplicate, 15 samples at dilution 10, one control, 8 wells masked in SoftMax
Pro) and SoftMax's per-well results: ``BackCalcConc`` (standards), ``Result`` (samples, in-well)
and ``Results`` (control). SoftMax's ``Value`` column is OD450 − OD620.

The settings differ, and the test says where:

1. SoftMax fits the 4PL to the *means* of the standard levels, each level once whatever its
   number of unmasked wells; the toolkit fits the individual wells (DESIGN 4.2), so a level with
   3 wells weighs 3/2 of one with 2 after masking.
2. SoftMax keeps the 0 pg/mL standard as a curve point and subtracts no blank; the toolkit
   treats a standard with conc 0 as a blank (DESIGN 3.2): its mean OD is subtracted from every
   well and it is not a curve point.
3. Neither bounds the asymptotes in practice: SoftMax's unbounded fit puts D at about 6.4 OD for a
   top standard at 2.4 OD, the toolkit's d is 6.6 (its bounds allow ten response spans beyond
   the data; the first bounds, one span, held d at 5.2 and failed the plate with
   parameter_at_bound until issue 9). The top standard covers 36 % of the a → d span, so the plate
   warns top_not_reached.

With the toolkit's defaults (``test_default_pipeline_against_softmax``) the numbers agree where
the curve is well determined: the control (≈850 pg/mL) within 0.1 %, the standard wells at
750–3000 pg/mL within 0.2 %; the middle standards (93.75–375 pg/mL) differ by up to 3.3 %, and
the low end (the 46.875 pg/mL standard, and every sample: in-well 13–84 pg/mL, ODs within 0.04 of
the zero standard) by up to 15 % (standards) and 46 % (samples, all higher than SoftMax's),
because there the curve's shape rests on how the zero standard is used (setting 2).

Under SoftMax's settings (``test_softmax_settings_reproduce_backcalcconc``: the toolkit's 4PL
model and inverse fitted to the level means with the zero standard as a point, no blank, the
asymptote bounds widened) every SoftMax value is reproduced within 0.1 % (the 3-decimal rounding
of the file), i.e. the differences above are entirely those settings.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def _text(cell) -> str:
    """A text cell of a result table ("" when missing: the tables hold pd.NA there)."""
    return "" if pd.isna(cell) else str(cell)


SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "formats"
FILE = SHARED / "molecular_devices_softmax_pro" / "ELISAtools__Assay_2.txt"
ANALYTE = "SMP-Assay2"

#: wells SoftMax Pro masked ("Masked" in the Value column of the groups)
MASKED = {"C1", "E1", "F1", "G2", "B6", "E4", "D4", "D9"}


@pytest.fixture(scope="module")
def plate():
    if not FILE.is_file():
        pytest.skip("../shared/formats/molecular_devices_softmax_pro is not present")
    from plates.readers import read_export

    return read_export(FILE).plates[0]


@pytest.fixture(scope="module")
def results(plate):
    from elisa import process
    from elisa.config import parse_config

    config = parse_config({"analytes": {ANALYTE: {"unit": "pg/mL"}}})
    return process(FILE, layout_from_export=True, analyte=ANALYTE, config=config)


def _rc(well: str) -> tuple[int, int]:
    return "ABCDEFGH".index(well[0]), int(well[1:]) - 1


def _vendor(plate, role: str) -> np.ndarray:
    key = {
        "standard": "Standards: BackCalcConc",
        "sample": "Unk_Dilution: Result",
        "control": "Control: Results",
    }[role]
    return plate.derived[key]


def _differences(plate, results) -> list[tuple[str, str, float, float, float]]:
    """(well, role, nominal, SoftMax, toolkit) for every unmasked well SoftMax gave a number."""
    out = []
    for _, row in results.wells.iterrows():
        if row["role"] not in ("standard", "sample", "control") or row["masked"]:
            continue
        vendor = float(_vendor(plate, row["role"])[_rc(row["well"])])
        if not math.isfinite(vendor) or vendor <= 0:
            continue  # "Range?" (H3) or the zero standard's own back-calculation
        ours = row["conc_well"]
        if ours is None or not math.isfinite(ours):
            continue  # no solution in the toolkit (a mean OD below its curve's a)
        if row["role"] == "sample":
            ours = ours / row["dilution"]  # SoftMax's Result is in-well; conc_well is neat
        nominal = row["conc_nominal"] if row["role"] == "standard" else math.nan
        out.append((row["well"], row["role"], float(nominal or math.nan), vendor, float(ours)))
    return out


def test_same_masked_wells_and_reference_correction(plate, results):
    wells = results.wells.set_index("well")
    assert set(wells.index[wells["masked"].astype(bool)]) == MASKED
    # the toolkit paired 450 with the 620 nm reference read, as SoftMax does
    assert results.provenance["plates"][0]["reference_nm"] == 620
    # corrected OD + the blank mean (the toolkit subtracts the 0 pg/mL standard) is SoftMax's
    # Value = OD450 - OD620, written with 3 decimals: "1\t3000\t2595.358\tA1\t2.204..."
    blank = np.mean([plate.od[0][_rc(w)] - plate.od[1][_rc(w)] for w in ("H1", "H2", "H3")])
    assert float(wells.loc["A1", "od"]) + blank == pytest.approx(2.204, abs=5e-4)
    assert float(wells.loc["B5", "od"]) + blank == pytest.approx(0.042, abs=5e-4)


def test_default_pipeline_against_softmax(plate, results):
    diffs = _differences(plate, results)
    rel = {w: ours / vendor - 1 for w, _, _, vendor, ours in diffs}
    roles = {w: role for w, role, *_ in diffs}
    nominal = {w: nom for w, _, nom, *_ in diffs}
    assert len(diffs) == 3 + 17 + 41  # controls, standards (not H1-H3), every unmasked sample
    controls = [abs(rel[w]) for w in rel if roles[w] == "control"]
    assert max(controls) < 0.002  # F11 880.296 vs 880.94, G10, G11: within 0.1 %
    high = [abs(rel[w]) for w in rel if roles[w] == "standard" and nominal[w] >= 750]
    assert len(high) == 8 and max(high) < 0.005  # A2: 3474.07 vs 3467.27 (0.2 %)
    middle = [abs(rel[w]) for w in rel if roles[w] == "standard" and 90 < nominal[w] < 750]
    assert max(middle) < 0.04  # F3: 91.864 vs 94.87 (3.3 %), settings 1-2
    # the low end is where the settings matter: documented, not a bug
    low = [abs(rel[w]) for w in rel if roles[w] == "standard" and nominal[w] < 90]
    assert 0.1 < max(low) < 0.2  # G1: 33.762 vs 38.62
    samples = [rel[w] for w in rel if roles[w] == "sample"]
    assert all(r > 0 for r in samples)  # the toolkit's curve lies lower at the bottom
    assert max(abs(r) for r in samples) < 0.5  # D5: 12.971 vs 18.91 (OD 0.037 - 0.0372)
    # every unmasked sample well has a solution (with d held at one span, 7 wells were below a)
    wells = results.wells
    none = wells[
        (wells["role"] == "sample") & ~wells["masked"].astype(bool) & wells["conc_well"].isna()
    ]
    assert none.empty
    # the toolkit's d is free (setting 3), near SoftMax's D, and the plate says the top is far
    curve = results.curves.iloc[0]
    assert _text(curve["message"]) == "" and 6.0 < float(curve["d"]) < 7.0
    assert "top_not_reached" in results.runs.iloc[0]["warnings"]
    # no fit failure (its replicate CV, 7.7 % against this config's 5 % limit, fails intra_cv_fail)
    assert results.runs.iloc[0]["reasons"] == "intra_cv_fail"


def test_softmax_settings_reproduce_backcalcconc(plate):
    from elisa.fit.logistic import inverse_logistic5
    from elisa.fit.model import Bounds, LogisticModel

    od = plate.od[0] - plate.od[1]  # OD450 - OD620, no blank subtraction
    layout = plate.layout
    levels: dict[float, list[float]] = {}
    for well, fields in layout.items():
        if fields["role"] == "standard" and "mask" not in fields:
            levels.setdefault(fields["conc"], []).append(od[_rc(well)])
    x = np.array(sorted(levels))
    y = np.array([np.mean(levels[c]) for c in x])  # level means, the zero standard included
    assert x[0] == 0.0 and len(x) == 8
    x[0] = 1e-9  # the zero standard as a curve point (log(x/c) in the Jacobian needs x > 0)
    model = LogisticModel(five=False)
    span = float(np.ptp(y))
    bounds = Bounds(
        {"a": -span, "b": 0.1, "log_c": math.log(1.0), "d": -span, "log_g": math.log(0.05)},
        {
            "a": 10 * span,
            "b": 10.0,
            "log_c": math.log(1e7),
            "d": 10 * span,
            "log_g": math.log(20.0),
        },
    )
    start = {
        "a": float(y[0]),
        "b": 1.0,
        "log_c": math.log(float(np.median(x[1:]))),
        "d": float(2 * y[-1]),
        "log_g": 0.0,
    }
    fit = model.fit_weighted(x, y, np.ones_like(y), model.make_bounded_params(start, bounds))
    v = fit.params.valuesdict()
    a, b, c, d = v["a"], v["b"], math.exp(v["log_c"]), v["d"]
    assert d > 6.0  # beyond the toolkit's default bound (max mean + span ≈ 4.8)

    worst = 0.0
    for well, fields in layout.items():
        if "mask" in fields or fields["role"] not in ("standard", "sample", "control"):
            continue
        vendor = float(_vendor(plate, fields["role"])[_rc(well)])
        if not math.isfinite(vendor):
            continue
        ours = float(inverse_logistic5(od[_rc(well)], a, b, c, d))
        # SoftMax writes 3 decimals: compare within rounding, or within 0.1 %
        assert ours == pytest.approx(vendor, rel=1e-3, abs=1e-3), well
        worst = max(worst, abs(ours / vendor - 1))
    assert worst < 1e-3
