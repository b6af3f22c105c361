"""The column-at-a-time cell writers of the CSV files and results.xlsx give exactly the text of
the one-value-at-a-time rules (`format_cell`, `_cell`), whatever a column holds: the fast
paths chosen by dtype (float64; nullable text, integers and booleans) must not change a byte."""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from elisa.files.csv_write import column_cells, format_cell, table_csv
from elisa.files.xlsx_write import _cell, _column_cells

#: Text a table could hold that each writer treats specially: empty, formula-like, XML
#: markup, C0 controls (illegal in XML), quotes and separators, non-ASCII.
TRICKY_TEXT = st.one_of(
    st.sampled_from(["", "=1+1", "+x", "-", "@a", "\tt", "\rr", "a<b&c>", '"q",', "\x07", "µg"]),
    st.text(max_size=6),
)
FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.1 + 0.2, 1e16, 1e-5, math.inf, -math.inf, math.nan]),
)
MISSING = st.sampled_from([None, pd.NA])


@st.composite
def columns(draw, size: int | None = None) -> pd.Series:
    """A column as result tables hold them: one of the typed dtypes, or object with anything;
    ``size`` rows, or any number up to 30."""
    kind = draw(st.sampled_from(["float64", "Int64", "boolean", "string", "int64", "object"]))
    value = {
        "float64": FLOATS,
        "int64": st.integers(-(2**62), 2**62),
        "Int64": st.one_of(st.integers(-(2**62), 2**62), MISSING),
        "boolean": st.one_of(st.booleans(), MISSING),
        "string": st.one_of(TRICKY_TEXT, MISSING),
        "object": st.one_of(FLOATS, st.integers(), st.booleans(), TRICKY_TEXT, MISSING),
    }[kind]
    n = draw(st.integers(0, 30)) if size is None else size
    return pd.Series(draw(st.lists(value, min_size=n, max_size=n)), dtype=kind)


@st.composite
def tables(draw) -> pd.DataFrame:
    """A table of 0 to 4 such columns, of equal length."""
    n = draw(st.integers(0, 12))
    width = draw(st.integers(0, 4))
    return pd.DataFrame({f"c{k}": draw(columns(n)) for k in range(width)}, index=range(n))


@settings(max_examples=300, deadline=None)
@given(columns())
def test_csv_column_equals_cell_by_cell(column):
    assert column_cells(column) == [format_cell(value) for value in column.tolist()]


@settings(max_examples=300, deadline=None)
@given(columns(), st.sampled_from(["A", "Q", "AB"]))
def test_xlsx_column_equals_cell_by_cell(column, letter):
    numbers = [str(number) for number in range(2, len(column) + 2)]
    expected = [_cell(f"{letter}{n}", value) for n, value in zip(numbers, column.tolist())]
    assert _column_cells(letter, column, numbers) == expected


@settings(max_examples=300, deadline=None)
@given(tables())
def test_csv_table_equals_csv_writer(frame):
    """table_csv joins plain rows itself: the text must be what csv.writer writes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow([format_cell(value) for value in row])
    assert table_csv(frame) == buffer.getvalue()


def test_xlsx_cells_of_each_kind():
    """The exact XML of each kind of cell: repr floats, infinity as text, no cell for missing
    or empty text, escaped markup and control characters, booleans as t="b"."""
    numbers = ["2", "3", "4", "5"]
    floats = pd.Series([0.1 + 0.2, -math.inf, math.nan, -0.0])
    assert _column_cells("C", floats, numbers) == [
        '<c r="C2"><v>0.30000000000000004</v></c>',
        '<c r="C3" t="inlineStr"><is><t xml:space="preserve">-inf</t></is></c>',
        "",
        '<c r="C5"><v>-0.0</v></c>',
    ]
    text = pd.Series(["a<&>\x07", "", pd.NA, "=1+1"], dtype="string")
    assert _column_cells("A", text, numbers) == [
        '<c r="A2" t="inlineStr"><is><t xml:space="preserve">a&lt;&amp;&gt;\\x07</t></is></c>',
        "",
        "",
        '<c r="A5" t="inlineStr"><is><t xml:space="preserve">=1+1</t></is></c>',
    ]
    flags = pd.Series([True, pd.NA, False, True], dtype="boolean")
    assert _column_cells("B", flags, numbers) == [
        '<c r="B2" t="b"><v>1</v></c>',
        "",
        '<c r="B4" t="b"><v>0</v></c>',
        '<c r="B5" t="b"><v>1</v></c>',
    ]


def test_object_column_keeps_one_and_true_apart():
    """In an object column 1, 1.0 and True are equal as dict keys but are three different
    cells: the writers must not share one text between them."""
    mixed = pd.Series([1, True, 1.0, "1"], dtype=object)
    assert column_cells(mixed) == ["1", "true", "1.0", "1"]
    numbers = ["2", "3", "4", "5"]
    assert _column_cells("A", mixed, numbers) == [
        '<c r="A2"><v>1</v></c>',
        '<c r="A3" t="b"><v>1</v></c>',
        '<c r="A4"><v>1.0</v></c>',
        '<c r="A5" t="inlineStr"><is><t xml:space="preserve">1</t></is></c>',
    ]
