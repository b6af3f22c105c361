"""The layout document checked before wellmap runs: unknown tables and keys, sizes, nesting
depth and where included files may lie (issue 14, findings 2, 5 and 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plates.errors import LayoutError
from plates.layout.loader import load_layout
from plates.limits import InputLimits, toml_depth

STANDARD = '[well.A1]\nrole = "standard"\nconc = 100\n'


def write(tmp_path: Path, text: str, name: str = "layout.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        # a misspelt table would drop the block's samples without a word
        (
            '[blok.2x1.B5]\nrole = "sample"\nsample = "S1"\n',
            r"unknown table \[blok.2x1.B5\]: did you mean 'block'\?",
        ),
        (
            '[plate.P1.wel.A1]\nrole = "blank"\n',
            r"unknown table \[plate.P1.wel.A1\]: did you mean 'well'\?",
        ),
        (
            '[block.2x1.B5.extra]\nrole = "sample"\nsample = "S1"\n',
            r"unknown table \[block.2x1.B5.extra\]",
        ),
        (
            '[rows.B]\nrole = "blank"\n',
            r"unknown table \[rows.B\]: did you mean 'row'\?",
        ),
        # wellmap's own column names as keys are silently dropped
        ('[well.B5]\nrole = "blank"\nwell = "B6"\n', r"\[well.B5\]: 'well' is not a field"),
        ('[block.2x1.B5]\nrole = "blank"\nrow = "C"\n', r"'row' is not a field"),
        ('[expt]\ncol = 3\n[well.A2]\nrole = "blank"\n', r"\[expt\]: 'col' is not a field"),
        # a top-level key wellmap keeps aside, misspelt
        ('analyt = "IL6"\n[well.A2]\nrole = "blank"\n', r"unknown field 'analyt'.*'analyte'"),
        ('[meta]\ninclud = "x.toml"\n', r"unknown key 'includ' in \[meta\]: did you mean"),
    ],
)
def test_unknown_tables_and_keys_are_refused(tmp_path, text, message):
    with pytest.raises(LayoutError, match=message) as info:
        load_layout(write(tmp_path, STANDARD + text))
    assert "layout.toml" in str(info.value) and "\n" not in str(info.value)


def test_free_form_notes_stay_allowed(tmp_path):
    text = STANDARD + '[expt]\noperator = "JS"\n[well.A2]\nrole = "blank"\nnote = "edge"\n'
    wells = load_layout(write(tmp_path, text))[None].wells.set_index("well")
    assert wells.loc["A1", "conc"] == 100 and wells.loc["A2", "role"] == "blank"


@pytest.mark.parametrize(
    "text, message",
    [
        # wellmap would expand 1e11 wells before any check (memory exhausted)
        ('[block.99999999999x1.A1]\nrole = "blank"\n', r"a block of 99999999999 x 1 wells"),
        ('[block.40x40.A1]\nrole = "blank"\n', r"a block of 40 x 40 wells.*1536"),
        ('[block.2xfoo.A1]\nrole = "blank"\n', r"expected a block size WIDTHxHEIGHT"),
        ('[col."1,2,...,99999999"]\nrole = "blank"\n', r"column 99999999 is beyond any plate"),
        ('[well."A1,A2,...,A12345678"]\nrole = "blank"\n', r"column 12345678 is beyond"),
        ('[row."A,B,...,ZZZZ"]\nrole = "blank"\n', r"row 'ZZZZ' is beyond any plate"),
    ],
)
def test_oversized_patterns_are_refused_before_wellmap(tmp_path, text, message):
    with pytest.raises(LayoutError, match=message):
        load_layout(write(tmp_path, STANDARD + text))


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 400 + "]" * 400 + "\n",  # RecursionError on main
        "[" + ".".join(["a"] * 400) + "]\nb = 1\n",
        "x = " + "{a = " * 400 + "1" + "}" * 400 + "\n",
    ],
    ids=["array", "dotted-header", "inline-table"],
)
def test_deep_nesting_is_refused(tmp_path, text):
    with pytest.raises(LayoutError, match="nested more than 20 deep"):
        load_layout(write(tmp_path, text))


def test_a_layout_above_the_size_limit_is_refused_unread(tmp_path):
    path = write(tmp_path, STANDARD + "# padding\n" * 200)
    with pytest.raises(LayoutError, match=r"above the 0.001 MB limit"):
        load_layout(path, limits=InputLimits(max_file_mb=0.001))


def test_include_outside_the_layouts_folder_is_refused(tmp_path):
    outside = write(tmp_path, '[row.A]\nrole = "blank"\n', "base.toml")
    sub = tmp_path / "sub"
    sub.mkdir()
    for target in ("../base.toml", str(outside), "/etc/passwd"):
        path = write(sub, f'[meta]\ninclude = "{target}"\n' + STANDARD)
        with pytest.raises(LayoutError, match="is outside the layout's folder"):
            load_layout(path)


def test_nested_include_cannot_leave_the_first_layouts_folder(tmp_path):
    write(tmp_path, '[row.A]\nrole = "blank"\n', "secret.toml")
    study = tmp_path / "study"
    (study / "common").mkdir(parents=True)
    write(study / "common", '[meta]\ninclude = "../../secret.toml"\n', "base.toml")
    path = write(study, '[meta]\ninclude = "common/base.toml"\n' + STANDARD)
    with pytest.raises(LayoutError, match=r"base.toml: \[meta\] include '../../secret.toml'"):
        load_layout(path)


def test_an_included_file_is_checked_too(tmp_path):
    (tmp_path / "common").mkdir()
    write(tmp_path / "common", '[blok.1x1.A2]\nrole = "blank"\n', "base.toml")
    path = write(tmp_path, '[meta]\ninclude = "common/base.toml"\n' + STANDARD)
    with pytest.raises(LayoutError, match=r"common/base.toml: unknown table \[blok.1x1.A2\]"):
        load_layout(path)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("key", ["dilution", "conc"])
def test_non_finite_values_are_refused(tmp_path, key, value):
    # on main `dilution = nan` counted as not given: the well silently got dilution 1
    text = STANDARD + f'[well.B2]\nrole = "sample"\nsample = "S1"\n{key} = {value}\n'
    with pytest.raises(LayoutError, match=rf"\[well.B2\]: {key} = -?(nan|inf) is not a number"):
        load_layout(write(tmp_path, text))


def test_an_implausible_dilution_is_refused(tmp_path):
    text = STANDARD + '[well.B2]\nrole = "sample"\nsample = "S1"\ndilution = 1e308\n'
    with pytest.raises(LayoutError, match=r"well B2: dilution = 1e\+308 is not a plausible"):
        load_layout(write(tmp_path, text))


def _depth(value) -> int:
    """The nesting depth by its definition: one more than the deepest child of a table or
    array, 0 for a scalar or an empty table or array."""
    children = value.values() if isinstance(value, dict) else value
    if not isinstance(value, (dict, list)) or not children:
        return 0
    return 1 + max(_depth(child) for child in children)


toml_values = st.recursive(
    st.one_of(st.integers(), st.text(max_size=3), st.booleans()),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(toml_values)
def test_toml_depth_follows_its_definition(value):
    assert toml_depth(value) == _depth(value)


@pytest.mark.parametrize(
    "text",
    [
        STANDARD + "conc = 5\n",  # a key given twice
        '[well.A1]\nrole = "standard\n',  # an unclosed string
        '[well.A1]\nrole = "blank"\nnote = {a = 1,\n b = 2}\n',  # TOML 1.1: newline in a table
        '[well.A1]\nrole = "blank"\nnote = "\\e"\n',  # TOML 1.1: the \e escape
        '[well.A1]\nrole = "blank"\nat = 07:32\n',  # TOML 1.1: a time without seconds
        "[well.A1\n",
    ],
)
def test_the_toml_is_read_as_tomllib_reads_it(tmp_path, text):
    """The layouts' parser (tomli, compiled) refuses what the standard library's tomllib
    (wellmap's parser) refuses, TOML 1.1 included, with tomllib's words."""
    import tomllib

    with pytest.raises(tomllib.TOMLDecodeError) as expected:
        tomllib.loads(text)
    with pytest.raises(LayoutError) as refused:
        load_layout(write(tmp_path, text))
    assert str(refused.value).endswith(f"not valid TOML: {expected.value}")
