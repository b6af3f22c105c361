"""Expanding common layouts without wellmap gives exactly wellmap's layouts."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from plates.errors import LayoutError
from plates.layout.document import check_document
from plates.layout.expand import expand_document
from plates.layout.loader import layouts_by_expansion, layouts_by_wellmap, load_layout
from plates.limits import DEFAULT_LIMITS

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path("layout.toml")  # wellmap reads a copy; the name only appears in messages

ROWS = "ABCDEFGH"
row = st.sampled_from(ROWS + "ab")
col = st.integers(1, 12).map(str)
well = st.builds(
    lambda r, c, pad: r + ("0" + c if pad and len(c) == 1 else c), row, col, st.booleans()
)

#: fields that make a well valid on their own, and partial ones that combine by precedence
FIELDS = st.one_of(
    st.builds(lambda c: {"role": "standard", "conc": c}, st.sampled_from([0, 1.5, 10, 1000.0])),
    st.just({"role": "blank"}),
    st.builds(
        lambda s, d: {"role": "sample", "sample": s, "dilution": d},
        st.one_of(st.sampled_from(["S1", "S2 "]), st.integers(1, 5000)),
        st.sampled_from([1, 2, 2.5]),
    ),
    st.just({"role": "control", "sample": "QC-low", "conc_low": 20, "conc_high": 40}),
    st.just({"role": "Empty"}),
    st.just({"mask": "bubble"}),
    st.just({"anchor": True}),
    st.just({"conc": 5}),
    st.just({"operator": "JS"}),
    st.just({"analyte": "FKN", "lot": 2412}),
)


def patterns(single):
    return st.lists(single, min_size=1, max_size=3).map(",".join)


def tables(with_expt: bool):
    parts = {
        "well": st.dictionaries(patterns(well), FIELDS, min_size=1, max_size=4),
        "row": st.dictionaries(patterns(row), FIELDS, max_size=2),
        "col": st.dictionaries(patterns(col), FIELDS, max_size=2),
        "block": st.dictionaries(
            st.sampled_from(["1x1", "2x1", "1x2", "2x2", "3x1"]),
            st.dictionaries(patterns(well), FIELDS, min_size=1, max_size=2),
            max_size=2,
        ),
    }
    if with_expt:
        parts["expt"] = st.fixed_dictionaries(
            {},
            optional={
                "analyte": st.just("FKN"),
                "date": st.sampled_from(["2024-03-01", "2024-03-01T10:00:00"]),
                "lot": st.one_of(st.just("L1"), st.integers(1, 99)),
                "role": st.just("blank"),
            },
        )
    # wells named in most documents: without any, there is nothing to compare
    return st.fixed_dictionaries(
        {"well": parts.pop("well")}, optional=parts
    ) | st.fixed_dictionaries({}, optional=parts)


@st.composite
def documents(draw):
    doc = draw(tables(with_expt=True))
    if draw(st.booleans()):
        doc["operator"] = "JS"  # a note for the file, never a well's field
    if draw(st.integers(0, 3)) == 0:
        names = draw(st.lists(st.sampled_from(["P1", "P2", "P3"]), min_size=1, unique=True))
        doc["plate"] = {}
        for name in names:
            plate = draw(tables(with_expt=False))
            if draw(st.booleans()):
                plate["plate_id"] = f"run-{name}"
            doc["plate"][name] = plate
    return doc


def _load(how):
    try:
        return how(), None
    except LayoutError as exc:
        return None, exc


@settings(max_examples=200, deadline=None)
@given(documents())
def test_expansion_matches_wellmap(doc):
    check_document(doc, SOURCE, DEFAULT_LIMITS)
    expanded = expand_document(doc)
    theirs, their_error = _load(lambda: layouts_by_wellmap(doc, SOURCE, "", 8, 12))
    if expanded is None:
        # generated documents use only common tables: left to wellmap only where it finds no
        # wells (none named, a row without a column, a plate without wells)
        assert their_error is not None, "a document wellmap reads was left to it"
        event("no wells")
        return
    mine, my_error = _load(lambda: layouts_by_expansion(doc, expanded, SOURCE, "", 8, 12))
    if my_error is not None:
        # the loader then reads the file with wellmap, whose error the user sees
        assert their_error is not None, f"only the expansion refused it: {my_error}"
        event("both refused")
        return
    assert their_error is None, f"only wellmap refused it: {their_error}"
    event(f"compared {len(mine)} layout(s)")
    assert list(mine) == list(theirs)
    for name, layout in mine.items():
        assert dict(layout.expt) == dict(theirs[name].expt)
        pd.testing.assert_frame_equal(layout.wells, theirs[name].wells)


@pytest.mark.parametrize(
    "text",
    [
        '[meta]\ninclude = "other.toml"\n[well.A1]\nrole = "blank"',
        '[irow.A]\nrole = "blank"\n[col.1]\nrole = "blank"',
        '[well."A1-B2"]\nrole = "blank"',
        '[well."A1,A3,...,A11"]\nrole = "blank"',
        '[row.A]\nrole = "blank"',  # no column: wellmap's error
        '[well.A0]\nrole = "blank"',
        '[block.0x1.A1]\nrole = "blank"',
        '[plate.P1.expt]\nanalyte = "FKN"\n[plate.P1.well.A1]\nrole = "blank"',
        '[plate.P1]\nplate_id = "x"',  # a plate without wells
        '[well.A1]\nrole = "sample"\nsample = 12345678901234567',
    ],
)
def test_uncommon_documents_are_left_to_wellmap(text):
    assert expand_document(tomllib.loads(text)) is None


def test_refused_wells_get_wellmaps_message(tmp_path):
    """With gaps, wellmap's table turns anchor = 1 into 1.0: the message is wellmap's reading."""
    path = tmp_path / "layout.toml"
    path.write_text(
        '[well.A1]\nrole = "standard"\nconc = 1\nanchor = 1\n[well.A2]\nrole = "blank"\n'
    )
    with pytest.raises(LayoutError, match=r"anchor must be true or false, found 1\.0"):
        load_layout(path)


def test_common_layout_loads_without_wellmap():
    code = (
        "import sys\n"
        "from plates.layout.loader import load_layout\n"
        f"layout = load_layout({str(ROOT / 'fixtures/plates/fkn_clean.toml')!r})[None]\n"
        "assert (layout.wells['role'] == 'standard').sum() == 14, layout.wells\n"
        "assert 'wellmap' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


FIXTURE_LAYOUTS = sorted((ROOT / "fixtures").rglob("*.toml"))


@pytest.mark.parametrize("path", FIXTURE_LAYOUTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_fixture_layout_expands_as_wellmap_does(path):
    data = path.read_bytes()
    doc = tomllib.loads(data.decode("utf-8"))
    expanded = expand_document(doc)
    assert expanded is not None  # the fixtures are common layouts: no wellmap in a run
    mine = layouts_by_expansion(doc, expanded, path, "sha", 8, 12)
    theirs = layouts_by_wellmap(doc, path, "sha", 8, 12)
    assert list(mine) == list(theirs)
    for name, layout in mine.items():
        assert dict(layout.expt) == dict(theirs[name].expt)
        pd.testing.assert_frame_equal(layout.wells, theirs[name].wells)
