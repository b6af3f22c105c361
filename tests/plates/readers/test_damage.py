"""Damaged exports are refused, never read as other numbers (issue 14, findings 1, 3, 4, 8):
short or cut rows in every text reader, corrupt values carried in exports' layouts, implausible
and non-ASCII ODs, file size and plates per file."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from plates.errors import AssayError, LayoutError, PlateError
from plates.layout.loader import carried_layout
from plates.limits import InputLimits
from plates.readers import read_export
from tests.plates.readers.mutations import shared
from tests.plates.readers.test_bmg import HEAD, grid, plain

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "fixtures"
# fkn_clean's row F starts "0.4809, 0.4886, 1.1944" in every export: F3 is 1.1944
TEXT_EXPORTS = [
    "plates/fkn_clean.csv",
    "exports/bmg/fkn_clean.csv",
    "exports/envision/fkn_clean_enspire.csv",
    "exports/envision/fkn_clean_envision.csv",
    "exports/envision/fkn_clean_kaleido.csv",
    "exports/gen5/fkn_clean.txt",
    "exports/skanit/fkn_clean.txt",
    "exports/softmax/fkn_clean_plateformat.txt",
    "exports/softmax/fkn_clean_timeformat.txt",
    "exports/tecan/fkn_clean_icontrol.csv",
]
_CELL = re.compile(r"([,;\t])1\.1944(?=[,;\t])")


def _damaged(tmp_path: Path, relative: str, damage) -> tuple[Path, int]:
    data = (FIXTURES / relative).read_bytes()
    encoding = "utf-16" if data[:2] == b"\xff\xfe" else "utf-8"
    text = data.decode(encoding, errors="surrogateescape")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    k = next(i for i, line in enumerate(lines) if _CELL.search(line))
    lines[k] = damage(lines[k])
    path = tmp_path / Path(relative).name
    path.write_bytes(newline.join(lines).encode(encoding, errors="surrogateescape"))
    return path, k + 1


@pytest.mark.parametrize("relative", TEXT_EXPORTS)
def test_a_row_with_a_lost_cell_is_refused_naming_the_line(tmp_path, relative):
    # on main the rest of row F shifted one well left (F3 read as F4's value) and passed
    path, line = _damaged(tmp_path, relative, lambda text: _CELL.sub("", text, count=1))
    with pytest.raises(PlateError, match=rf"line {line}\b") as info:
        read_export(path)
    assert path.name in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("relative", TEXT_EXPORTS)
def test_a_row_cut_short_is_refused_naming_the_line(tmp_path, relative):
    # the line cut right after F2 (a file cut mid-row, or a line that lost its end)
    path, line = _damaged(tmp_path, relative, lambda text: text[: _CELL.search(text).start()])
    with pytest.raises(PlateError, match=rf"line {line}\b"):
        read_export(path)


@pytest.mark.parametrize("relative", TEXT_EXPORTS)
def test_a_row_with_an_added_cell_is_refused(tmp_path, relative):
    path, line = _damaged(
        tmp_path, relative, lambda text: _CELL.sub(r"\g<1>1.1944\g<1>1.1944", text, count=1)
    )
    with pytest.raises(PlateError, match=rf"line {line}\b"):
        read_export(path)


# ---------------------------------------------------------------- implausible ODs


@pytest.mark.parametrize(
    "value", ["-0.9", "-1e5", "99999", "1e300", "1e200", "10.5", "1e999", "𝟏.𝟐", "١.٢", "１.２"]
)
def test_an_implausible_or_non_ascii_od_is_refused_naming_the_well(tmp_path, value):
    # on main: -0.9 ... 1e300 read as ODs (1e200 and up then crashed the fit), Unicode
    # digits parsed as 1.2
    path, _ = _damaged(
        tmp_path, "plates/fkn_clean.csv", lambda text: _CELL.sub(rf"\g<1>{value}", text, 1)
    )
    with pytest.raises(PlateError, match=r"F3|well F3") as info:
        read_export(path)
    assert "\n" not in str(info.value)


def test_saturation_markers_stay_saturated_wells(tmp_path):
    path, _ = _damaged(
        tmp_path, "plates/fkn_clean.csv", lambda text: _CELL.sub(r"\g<1>OVRFLW", text, 1)
    )
    plate = read_export(path).plates[0]
    assert plate.saturated[0, 5, 2] and np.isnan(plate.od[0, 5, 2])


def test_the_od_range_is_configurable(tmp_path):
    path, _ = _damaged(
        tmp_path, "plates/fkn_clean.csv", lambda text: _CELL.sub(r"\g<1>12.5", text, 1)
    )
    with pytest.raises(PlateError, match=r"OD 12.5 is outside the plausible absorbance range"):
        read_export(path)
    plate = read_export(path, limits=InputLimits(od_max=20.0)).plates[0]
    assert plate.od[0, 5, 2] == 12.5


def test_limits_from_elisa_toml(tmp_path):
    from elisa.config import load_config
    from elisa.errors import ConfigError

    config = tmp_path / "elisa.toml"
    config.write_text("[limits]\nod_min = -1.0\nod_max = 20\nmax_file_mb = 5\n")
    limits = load_config(config).limits
    assert (limits.od_min, limits.od_max, limits.max_file_bytes) == (-1.0, 20.0, 5_000_000)
    config.write_text("[limits]\nod_min = 5\nod_max = 1\n")
    with pytest.raises(ConfigError, match=r"od_min .* must be below od_max"):
        load_config(config)
    config.write_text("[limits]\nod_max = 'high'\n")
    with pytest.raises(ConfigError, match=r"\[limits\] od_max must be a number"):
        load_config(config)


# ---------------------------------------------------------------- sizes


def test_a_file_above_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 2_000_001)
    with pytest.raises(PlateError, match=r"2.0 MB, above the 1 MB limit"):
        read_export(path, limits=InputLimits(max_file_mb=1))


def test_too_many_plates_in_one_file_are_refused(tmp_path):
    one = (FIXTURES / "plates" / "fkn_clean.csv").read_text(encoding="utf-8")
    path = tmp_path / "stacked.csv"
    named = [one.replace("450,", f"P{k},", 1) for k in range(4)]  # four named plates
    path.write_text("\n".join(named), encoding="utf-8")
    assert len(read_export(path).plates) == 4
    with pytest.raises(PlateError, match=r"4 plates in one file, above the limit of 3"):
        read_export(path, limits=InputLimits(max_plates_per_file=3))


# ---------------------------------------------------------------- values carried in exports

GEN5 = "agilent_biotek_gen5/allotropy__endpoint_stdcurve_singleplate_2.txt"


@pytest.mark.parametrize("value", ["abc", "-inf", "0", "-1", "nan", "1e308", "inf"])
@pytest.mark.parametrize("well, column", [("A4", 4), ("A1", 1)])  # SPL1:1 dilution, STD1 conc
def test_gen5_corrupt_conc_dil_is_refused_naming_the_well(tmp_path, value, well, column):
    # line 32: "\t1000\t1000\t1000\t1\t1...\tConc/Dil"; on main a corrupt dilution became 1
    # (the well joined another sample's group) and 1e308 was accepted
    if well == "A1" and value == "0":
        return  # a standard at conc 0 is a blank standard: legal
    lines = shared(GEN5).read_bytes().decode("latin-1").split("\n")
    cells = lines[31].split("\t")
    assert cells[-1].strip() == "Conc/Dil"
    cells[column] = value
    lines[31] = "\t".join(cells)
    path = tmp_path / "gen5.txt"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    plate = read_export(path).plates[0]
    with pytest.raises(LayoutError, match=rf"well {well}: (dilution|conc)") as info:
        carried_layout(plate.layout, path, plate.n_rows, plate.n_cols)
    assert "gen5.txt" in str(info.value)


@pytest.mark.parametrize("value", ["abc", "nan", "-1", "1e308"])
def test_bmg_corrupt_content_values_are_refused_naming_the_well(tmp_path, value):
    content = [["S1"] * 12] + [["X1"] * 12] * 7
    conc = [["100"] * 12] + [[""] * 12] * 7
    dilution = [[""] * 12] + [["2"] * 12] * 7
    conc[0][4] = value
    dilution[3][6] = value if value != "-1" else "0"
    text = (
        HEAD
        + grid("Raw Data (450)", plain("0.5"))
        + grid("Content", content)
        + grid("Standard Concentrations in pg/mL", conc)
        + grid("Dilutions", dilution)
    )
    path = tmp_path / "bmg.csv"
    path.write_text(text)
    plate = read_export(path).plates[0]
    assert plate.layout["A1"]["conc"] == 100 and plate.layout["B1"]["dilution"] == 2
    with pytest.raises(LayoutError, match=r"well (A5: conc|D7: dilution)"):
        carried_layout(plate.layout, path, plate.n_rows, plate.n_cols)


SOFTMAX = "molecular_devices_softmax_pro/ELISAtools__Assay_2.txt"


@pytest.mark.parametrize(
    "damage, message",
    [
        # line 55 "P2\tE4\tMasked..." lost: E5, E6 would continue P1 (name and dilution)
        (lambda lines: lines.__delitem__(54), r"line 52: .*sample 'P1' \(lines 52-56\)"),
        # P1's second row repeated: a set of four
        (lambda lines: lines.insert(53, lines[53]), r"sample 'P1'|is in group"),
        # a blank line inside the table: the rows after it would be lost
        (lambda lines: lines.insert(53, ""), r"line 55: .*a blank line inside its table"),
        # P5's first row lost: its continuation rows would join P4
        (lambda lines: lines.__delitem__(63), r"sample 'P4'"),
    ],
    ids=["name-row-lost", "row-repeated", "blank-line", "other-name-row-lost"],
)
def test_softmax_group_rows_cannot_inherit_another_sample(tmp_path, damage, message):
    lines = shared(SOFTMAX).read_bytes().decode("latin-1").split("\n")
    assert lines[51].startswith("P1\tB4") and lines[54].startswith("P2\tE4")
    assert lines[63].startswith("P5\tD4")
    damage(lines)
    path = tmp_path / "softmax.txt"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(PlateError, match=message):
        read_export(path)


def test_softmax_group_values_are_validated_like_a_layout(tmp_path):
    lines = shared(SOFTMAX).read_bytes().decode("latin-1").split("\n")
    cells = lines[51].split("\t")
    assert cells[8] == "10"  # P1's dilution
    cells[8] = "1e308"
    lines[51] = "\t".join(cells)
    path = tmp_path / "softmax.txt"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    plate = read_export(path).plates[0]
    with pytest.raises(AssayError, match=r"well B4: dilution = 1e\+308 is not a plausible"):
        carried_layout(plate.layout, path, plate.n_rows, plate.n_cols)


@pytest.mark.parametrize("damage", ["empty row", "damaged well name"])
def test_an_interrupted_magellan_list_is_refused(tmp_path, damage):
    # on main the list ended at the damaged row: the wells after it became unread wells
    import openpyxl

    book = openpyxl.load_workbook(FIXTURES / "exports" / "tecan" / "fkn_clean_magellan.xlsx")
    sheet = book.worksheets[0]
    assert sheet.cell(20, 1).value == "B5"
    if damage == "empty row":
        sheet.insert_rows(20)
    else:
        sheet.cell(20, 1).value = "B?"
    path = tmp_path / "magellan.xlsx"
    book.save(path)
    with pytest.raises(PlateError, match=r"cell A20: the well list is interrupted"):
        read_export(path)
