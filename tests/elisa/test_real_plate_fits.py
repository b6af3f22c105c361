"""Every real ELISA plate in ../shared/formats is read and fitted without a fit failure under the
default settings (issue 9, "What it must show" item 1).

Eight plates: the five ELISAtools plates (SoftMax Pro, sandwich ELISAs, standards 3000 → 47 pg/mL
in triplicate plus a zero standard), the HEK293 host-cell-protein plate and the c258061 plate
(SoftMax Pro, 5 non-zero standard levels each) and the SkanIt APOE plate. Each is run as a user
would: ``elisa.process(..., layout_from_export=True)`` with the layout the export carries.

``Assay_3``/``Assay_4`` and ``Assay_11``/``Assay_12`` come as two exports concatenated in one file,
which the reader refuses until it learns to tell them apart (another part of issue 9). Here they
are split by hand into two files (see `_split_two_plate_export`).

With the first bounds (asymptotes within one response span of the data) five of these plates
failed ``parameter_at_bound``; the unbounded optimum puts d at 2.4–5.9× the top standard's OD.
They now pass the fit and carry the warning ``top_not_reached`` instead (docs/computation.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import elisa
from elisa.config import parse_config
from elisa.fit.fitter import TOP_REACHED_FRACTION


def _text(cell) -> str:
    """A text cell of a result table ("" when missing: the tables hold pd.NA there)."""
    return "" if pd.isna(cell) else str(cell)


SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "formats"
SOFTMAX = SHARED / "molecular_devices_softmax_pro"
ANALYTE = "REAL"

#: plate -> (file, which export of a two-plate file (None: the file is one export), unit,
#: verdict, reasons, warnings)
PLATES = {
    "Assay_2": ("ELISAtools__Assay_2.txt", None, "pg/mL", "pass", "", "top_not_reached"),
    "Assay_3": ("ELISAtools__Assay_3_and_4.txt", 0, "pg/mL", "pass", "", "top_not_reached"),
    "Assay_4": ("ELISAtools__Assay_3_and_4.txt", 1, "pg/mL", "pass", "", ""),
    "Assay_11": (
        "ELISAtools__Assay_11_and_12.txt",
        0,
        "pg/mL",
        "pass",
        "",
        "intra_cv_above_limit",
    ),
    "Assay_12": ("ELISAtools__Assay_11_and_12.txt", 1, "pg/mL", "pass", "", "top_not_reached"),
    # HEK-HCP: all 5 non-zero standard levels recover within 94-115 %, but DESIGN 4.5 needs at
    # least 6 passing levels: the kit's 5-level curve fails `standards_failed` by the rule, not
    # by the fit. Its pooled sample CV (12.3 %) is above the 10 % limit set here, not significantly.
    "HEK-HCP": (
        "allotropy__group_with_partial_rows.txt",
        None,
        "ng/mL",
        "fail",
        "standards_failed",
        "intra_cv_above_limit;top_not_reached",
    ),
    # c258061: 5 non-zero levels as well (standards_failed by the 6-level rule, every level
    # recovers within 95-106 %), and its replicates disagree: control "Controls 02" has a CV of
    # 41 % and the pooled CV is 18.9 %, significantly above the 10 % limit (intra_cv_fail).
    "c258061": (
        "allotropy__softmaxpro_example_group_with_missing_calc_column.txt",
        None,
        "ng/mL",
        "fail",
        "standards_failed;intra_cv_fail",
        "intra_cv_above_limit;controls_not_judged;top_not_reached",
    ),
    "SkanIt APOE": (
        "../thermo_fisher_skanit/allotropy__skanit_data.xlsx",
        None,
        "ug/mL",
        "pass",
        "",
        "intra_cv_above_limit;controls_not_judged",
    ),
}
# Only the control of the HEK-HCP plate has a target value; the ELISAtools "Control" groups carry
# no expected concentration, so their plates also warn controls_not_judged.
NOT_JUDGED = {"Assay_2", "Assay_3", "Assay_4", "Assay_11", "Assay_12"}


_NAME_ONLY = re.compile(rb"^[^\t]+\t*$")  # a first field and nothing else
_WELL_ROW = re.compile(rb"^[^\t]*\t[A-H]\d{1,2}\t")  # a group row naming a well


def _split_two_plate_export(raw: bytes, which: int) -> bytes:
    """One export of a file holding two SoftMax exports one after the other (Latin-1, CRLF).

    The file has one ``##BLOCKS= N`` line for both; each export starts at its ``Plate:`` block
    and is followed by its ``Group:`` blocks. The part gets its own ``##BLOCKS`` count and the
    file's closing ``Original Filename`` line. A sample row with a name and no wells
    (``P15`` in Assay_12's ``Unk_Dilution``) becomes the empty line that ends a group's table.
    """
    lines = raw.split(b"\r\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(b"Plate:")]
    end = next(i for i, line in enumerate(lines) if line.startswith(b"Original Filename"))
    assert len(starts) == 2, "expected two Plate: blocks"
    part = lines[starts[which] : starts[1] if which == 0 else end]
    part = [
        b"" if _NAME_ONLY.match(line) and _WELL_ROW.match(before) else line
        for before, line in zip([b"", *part], part)
    ]
    blocks = sum(1 for line in part if line.startswith(b"~End"))
    return b"\r\n".join([b"##BLOCKS= %d" % blocks, *part, lines[end], b""])


def _export(name: str, tmp_path: Path) -> Path:
    file, which, *_ = PLATES[name]
    path = (SOFTMAX / file).resolve()
    if not path.is_file():
        pytest.skip("../shared/formats is not present")
    if which is None:
        return path
    part = tmp_path / f"{name}.txt"
    part.write_bytes(_split_two_plate_export(path.read_bytes(), which))
    return part


def process_real_plate(name: str, tmp_path: Path) -> elisa.Results:
    """The plate processed with default settings and the layout its export carries."""
    unit = PLATES[name][2]
    config = parse_config(
        {
            "analytes": {
                ANALYTE: {"unit": unit, "intra_cv_limit_pct": 10.0, "inter_cv_limit_pct": 15.0}
            }
        }
    )
    return elisa.process(
        _export(name, tmp_path), layout_from_export=True, analyte=ANALYTE, config=config
    )


@pytest.mark.parametrize("name", list(PLATES))
def test_real_plate_fits_without_a_fit_failure(name, tmp_path):
    results = process_real_plate(name, tmp_path)
    run = results.runs.iloc[0]
    curve = results.curves.iloc[0]
    reasons = _text(run["reasons"])
    assert "fit_not_converged" not in reasons and "parameter_at_bound" not in reasons
    assert bool(curve["converged"]) and "bound" not in _text(curve["message"])
    _file, _which, _unit, verdict, expected_reasons, expected_warnings = PLATES[name]
    warnings = set(filter(None, str(expected_warnings).split(";")))
    if name in NOT_JUDGED:
        warnings.add("controls_not_judged")
    assert (run["verdict"], reasons) == (verdict, expected_reasons)
    assert set(filter(None, _text(run["warnings"]).split(";"))) == warnings


@pytest.mark.parametrize("name", list(PLATES))
def test_top_not_reached_is_the_share_of_the_span_at_the_top_standard(name, tmp_path):
    """The warning follows the rule: the fitted response at the highest standard covers less
    than half of a → d; and where it is given, d lies beyond the top standard's OD."""
    results = process_real_plate(name, tmp_path)
    c = results.curves.iloc[0]
    standards = results.standards
    top = float(standards["nominal"].astype(float).max())
    b, ec50, d = (float(c[k]) for k in ("b", "c", "d"))
    share = (top / ec50) ** b / (1 + (top / ec50) ** b)  # 4PL: (f(top) − a) / (d − a)
    warned = "top_not_reached" in str(results.runs.iloc[0]["warnings"])
    assert warned == (share < TOP_REACHED_FRACTION)
    if warned:
        wells = results.wells
        top_od = wells[(wells["role"] == "standard") & (wells["conc_nominal"] == top)]["od"]
        assert d > 2.0 * float(np.nanmean(top_od))  # d 2.4-5.9x the top OD on these plates
        # the range stays the standards' own: the precision at the top standard is good enough
        assert float(c["uloq_profile"]) == pytest.approx(top)
