"""The text of the results' floats is made once per run and shared by the writers
(`elisa.column_text`): the shared texts are the texts each writer would make itself."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from elisa import column_text
from elisa.column_text import float_texts, shared_float_texts

FLOATS = st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=20)


@given(values=FLOATS)
@settings(max_examples=200, deadline=None)
def test_each_text_is_the_repr_that_reads_back_as_the_float(values):
    array = np.array(values, dtype=float)
    texts = float_texts(array)
    assert texts == [repr(v) for v in array.tolist()]
    for text, value in zip(texts, array.tolist(), strict=True):
        assert math.isnan(float(text)) if math.isnan(value) else float(text) == value


def test_inside_a_shared_block_a_column_is_formatted_once():
    table = np.array([[0.1, 2.5], [1 / 3, math.inf], [math.nan, -0.0]])
    column, other = table[:, 0], table[:, 1]
    assert float_texts(column) is not float_texts(column)  # outside: made afresh each time
    with shared_float_texts():
        first = float_texts(column)
        assert float_texts(table[:, 0]) is first  # another view of the same data
        assert float_texts(other) == ["2.5", "inf", "-0.0"]
        assert float_texts(column.copy()) is not first  # other data, however equal
        with shared_float_texts():  # a nested block shares the outer one's texts
            assert float_texts(column) is first
        assert first == ["0.1", "0.3333333333333333", "nan"]
    assert column_text._shared is None  # dropped when the block ends
