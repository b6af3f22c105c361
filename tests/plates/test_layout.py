"""The wellmap layout loader."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest

from plates.errors import LayoutError
from plates.layout.loader import ROLES, PlateLayout, layout_for_plate, load_layout

GOOD = """
[expt]
analyte = "FKN"
date = 2024-03-01
lot = "L123"
operator = "JS"            # unknown fields are fine

[block.1x2.A1]             # width 1, height 2: A1 and B1
role = "standard"
conc = 1000
[block.1x2.A2]
role = "standard"
conc = 0
anchor = true

[row.B]
role = "blank"

[well.D5]
role = "blank"

[well.C1]
role = "control"
sample = "QC-low"
conc_low = 20
conc_high = 40

[well.C2]
role = "sample"
sample = 1001
dilution = 2
mask = "bubble"
"""


def write(tmp_path: Path, text: str, name: str = "layout.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_layout(tmp_path):
    path = write(tmp_path, GOOD)
    layouts = load_layout(path)
    assert list(layouts) == [None]
    lay = layouts[None]
    assert isinstance(lay, PlateLayout) and lay.plate is None and lay.source == path
    assert lay.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert dict(lay.expt) == {"analyte": "FKN", "date": "2024-03-01", "lot": "L123"}
    w = lay.wells.set_index("well")
    assert list(lay.wells.columns) == [
        "well",
        "row",
        "col",
        "role",
        "conc",
        "conc_low",
        "conc_high",
        "sample",
        "dilution",
        "anchor",
        "mask",
    ]
    assert len(w) == 96 and list(w.index[:13]) == [f"A{i}" for i in range(1, 13)] + ["B1"]
    assert w.loc["A1", "role"] == "standard" and w.loc["B1", "conc"] == 1000
    assert w.loc["A2", "anchor"] and w.loc["B2", "conc"] == 0 and not w.loc["A1", "anchor"]
    # wellmap spreads [row.B] over the columns the layout uses (1-5), not the whole plate;
    # [block] beats [row]
    assert list(w.loc[[f"B{i}" for i in range(1, 7)], "role"]) == ["standard"] * 2 + [
        "blank"
    ] * 3 + ["empty"]
    assert w.loc["C1", "conc_low"] == 20 and w.loc["C1", "conc_high"] == 40
    assert math.isnan(w.loc["C1", "conc"])
    assert w.loc["C2", "sample"] == "1001" and w.loc["C2", "dilution"] == 2.0
    assert w.loc["C2", "mask"] == "bubble" and w.loc["C1", "mask"] is None
    assert w.loc["H12", "role"] == "empty" and w.loc["H12", "sample"] is None
    assert w.loc["H12", "dilution"] == 1.0 and w.loc["H12", "row"] == "H"
    assert w.loc["H12", "col"] == 12
    assert "operator" not in lay.wells.columns and "analyte" not in lay.wells.columns
    assert set(lay.wells["role"]) <= set(ROLES)


def test_384_plate(tmp_path):
    path = write(tmp_path, '[well.P24]\nrole = "blank"\n')
    lay = load_layout(path, n_rows=16, n_cols=24)[None]
    assert len(lay.wells) == 384 and lay.wells.iloc[-1]["well"] == "P24"
    assert lay.wells.iloc[-1]["role"] == "blank"


def test_named_plates_keep_their_own_fields(tmp_path):
    text = """
[expt]
analyte = "IL-6"
[plate.P1]
plate_id = "run-12"
[plate.P1.well.A1]
role = "standard"
conc = 5
mask = "scratch"
[plate.P2.well.A1]
role = "blank"
"""
    layouts = load_layout(write(tmp_path, text))
    assert list(layouts) == ["P1", "P2"]
    p1 = layouts["P1"]
    assert p1.plate == "P1" and dict(p1.expt) == {"analyte": "IL-6", "plate_id": "run-12"}
    a1 = p1.wells.set_index("well").loc["A1"]
    assert a1["conc"] == 5 and a1["mask"] == "scratch"  # wellmap alone drops these
    assert layouts["P2"].wells.set_index("well").loc["A1", "role"] == "blank"
    assert layout_for_plate(layouts, "P2") is layouts["P2"]
    with pytest.raises(LayoutError, match="P1, P2") as info:
        layout_for_plate(layouts, "P3")
    assert "layout.toml" in str(info.value) and "'P3'" in str(info.value)


def test_layout_for_plate_falls_back_to_unnamed(tmp_path):
    layouts = load_layout(write(tmp_path, '[well.A1]\nrole = "blank"\n'))
    assert layout_for_plate(layouts, "anything") is layouts[None]
    assert layout_for_plate(layouts, None) is layouts[None]


def test_include_is_followed(tmp_path):
    sub = tmp_path / "shared"
    sub.mkdir()
    write(sub, '[row.A]\nrole = "blank"\n[well.A7]\nrole = "blank"\n', "base.toml")
    path = write(tmp_path, '[meta]\ninclude = "shared/base.toml"\n[well.B1]\nrole = "blank"\n')
    wells = load_layout(path)[None].wells.set_index("well")
    assert wells.loc["A7", "role"] == "blank" and wells.loc["B1", "role"] == "blank"
    assert wells.loc["A4", "role"] == "blank" and wells.loc["B4", "role"] == "empty"


# ------------------------------------------------------------------ errors

BAD = [
    ('[well.I5]\nrole = "blank"\n', "well I5", "off the plate"),
    ('[well.A13]\nrole = "blank"\n', "well A13", "off the plate"),
    (
        '[well.A1]\nrole = "std"\n',
        "well A1",
        "unknown role 'std'.*standard, blank, control, sample, empty",
    ),
    (
        '[well.A1]\nrole = "sample"\nsample = "S1"\ndillution = 2\n',
        "well A1",
        "did you mean 'dilution'",
    ),
    (
        '[well.A1]\nrole = "standard"\nconc_hi = 2\nconc = 1\n',
        "well A1",
        "did you mean 'conc_high'",
    ),
    ('[well.B2]\nrole = "standard"\n', "well B2", "needs conc"),
    ('[well.B2]\nrole = "standard"\nconc = -1\n', "well B2", "conc must be a number >= 0"),
    ('[well.B2]\nrole = "standard"\nconc = "10"\n', "well B2", "conc must be a number"),
    (
        '[well.C3]\nrole = "control"\nsample = "Q"\nconc_low = 5\nconc_high = 2\n',
        "well C3",
        "conc_low .* above conc_high",
    ),
    ('[well.C3]\nrole = "control"\nsample = "Q"\nconc_low = 5\n', "well C3", "no conc_high"),
    ('[well.C3]\nrole = "control"\nsample = "Q"\nconc_high = 5\n', "well C3", "no conc_low"),
    (
        '[well.D4]\nrole = "sample"\nsample = "S"\ndilution = 0\n',
        "well D4",
        "dilution must be a number > 0",
    ),
    (
        '[well.D4]\nrole = "sample"\nsample = "S"\ndilution = "1:10"\n',
        "well D4",
        "dilution must be a number",
    ),
    (
        '[well.D4]\nrole = "sample"\nsample = "S"\ndilution = true\n',
        "well D4",
        "dilution must be a number",
    ),
    ('[well.D4]\nrole = "sample"\n', "well D4", "needs sample"),
    ('[well.D4]\nrole = "control"\nconc = 3\n', "well D4", "needs sample"),
    (
        '[well.E5]\nrole = "standard"\nconc = 1\nanchor = "yes"\n',
        "well E5",
        "anchor must be true or false",
    ),
    ('[well.E5]\nrole = "blank"\nmask = ""\n', "well E5", "mask must be a reason"),
    ('[well.E5]\nrole = "blank"\nmask = true\n', "well E5", "mask must be a reason"),
    ("[well.F6]\nconc = 3\n", "well F6", "no role"),
    ('[expt]\ndate = "01/03/2024"\n[well.A1]\nrole = "blank"\n', None, "ISO 8601"),
    ('[well.A1\nrole = "blank"\n', None, "not valid TOML"),
    ('[block.0x1.A1]\nrole = "blank"\n', None, "wellmap"),
    ('[expt]\nanalyte = "FKN"\n', None, "wellmap"),
]


@pytest.mark.parametrize("text, well, match", BAD)
def test_layout_errors(tmp_path, text, well, match):
    with pytest.raises(LayoutError, match=match) as info:
        load_layout(write(tmp_path, text, "bad.toml"))
    message = str(info.value)
    assert str(tmp_path / "bad.toml") in message and "\n" not in message
    if well:
        assert f"bad.toml: {well}:" in message


def test_error_in_named_plate_names_the_plate(tmp_path):
    path = write(
        tmp_path, '[plate.X.well.A1]\nrole = "sample"\n[plate.Y.well.A1]\nrole = "blank"\n'
    )
    with pytest.raises(LayoutError, match=r"\[plate.X\] well A1: a sample needs sample"):
        load_layout(path)


@pytest.mark.parametrize("kind", ["missing", "dir", "binary"])
def test_not_a_layout_file(tmp_path, kind):
    path = tmp_path / "lay.toml"
    if kind == "dir":
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    assert "lay.toml" in str(info.value)


def test_date_kept_as_string(tmp_path):
    text = '[expt]\ndate = "2024-03-01T09:30:00"\nplate_id = 7\n[well.A1]\nrole = "blank"\n'
    lay = load_layout(write(tmp_path, text))[None]
    assert lay.expt["date"] == "2024-03-01T09:30:00" and lay.expt["plate_id"] == "7"


def test_plate_without_wells_is_named(tmp_path):
    """wellmap alone would drop the plate names here and return one unnamed layout."""
    path = write(tmp_path, '[plate.P1.well.A1]\nrole = "blank"\n[plate.P2]\nlot = "L1"\n')
    with pytest.raises(LayoutError, match=r"\[plate.P2\]: .*No wells") as info:
        load_layout(path)
    assert "layout.toml" in str(info.value)
    assert list(load_layout(write(tmp_path, '[plate.P1.well.A1]\nrole = "blank"\n'))) == ["P1"]


@pytest.mark.parametrize(
    "text, message",
    [
        # a row's wells share their fields: the first of them in the layout's order is named
        (
            '[well.A1]\nrole = "blank"\n[well.A3]\nrole = "blank"\n[row.C]\nrole = "sample"\n',
            "well C1: a sample needs sample",
        ),
        # so are a block's wells, after every well before them
        (
            '[block.2x1.B5]\nrole = "standard"\n[block.2x1.A1]\nrole = "sample"\n',
            "well B5: a standard needs conc",
        ),
        (
            '[well.H1]\nrole = "blank"\ndilution = 0\n[block.2x1.A1]\nrole = "standard"\n',
            "well H1: dilution must be a number > 0",
        ),
    ],
)
def test_shared_fields_name_their_first_well(tmp_path, text, message):
    with pytest.raises(LayoutError, match=message):
        load_layout(write(tmp_path, text, "bad.toml"))


def test_differing_experiment_fields_are_listed_in_the_layouts_order(tmp_path):
    """wellmap lists [well] tables' wells before blocks' wells."""
    text = (
        '[block.2x1.A1]\nrole = "blank"\nanalyte = "IL6"\n'
        '[block.2x1.B1]\nrole = "blank"\nanalyte = "FKN"\n'
        '[well.C1]\nrole = "blank"\nanalyte = "IL6"\n[well.C2]\nrole = "blank"\nanalyte = "TNF"\n'
    )
    with pytest.raises(LayoutError, match=r"analyte differs between wells \(IL6, TNF, FKN\)"):
        load_layout(write(tmp_path, text, "bad.toml"))


def test_wells_sharing_fields_get_equal_rows(tmp_path):
    text = '[expt]\nlot = "L1"\n[block.2x2.A1]\nrole = "sample"\nsample = " S7 "\ndilution = 4\n'
    wells = load_layout(write(tmp_path, text))[None].wells.set_index("well")
    block = wells.loc[["A1", "A2", "B1", "B2"]]
    assert list(block["sample"]) == ["S7"] * 4 and list(block["dilution"]) == [4.0] * 4
    assert (wells.drop(index=["A1", "A2", "B1", "B2"])["role"] == "empty").all()
