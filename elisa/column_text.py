"""The text of a table's cells a column at a time, for the writers of the results.

A column of one kind of value (text, integers, booleans) holds few distinct values: each is
formatted once (`cells_by_distinct_value`). The CSV files, results.xlsx and the store's JSON all
write a float as its shortest text that reads back as the same float (Python's ``repr``); a
1,000-plate run holds about three million floats, and formatting them all costs about a second
of CPU. Inside `shared_float_texts` (an `elisa run` while it stores and writes) a column's
texts are made once and handed to every writer (`float_texts`); a process forked meanwhile
inherits those already made. Outside it, each call formats afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

__all__ = ["cells_by_distinct_value", "float_texts", "shared_float_texts"]

#: Nullable dtypes whose every value is of one kind (str, int or bool) or missing.
_ONE_KIND_DTYPES = (pd.StringDtype, pd.Int64Dtype, pd.BooleanDtype)

#: The texts made so far, by column data (see `_key`), while `shared_float_texts` is active.
_shared: dict[tuple[int, int, tuple[int, ...]], tuple[np.ndarray, list[str]]] | None = None


def cells_by_distinct_value(
    column: pd.Series, format_value: Callable[[object], str]
) -> list[str] | None:
    """``format_value`` of every cell of ``column``, called once per distinct value rather than
    once per cell; None when the column's dtype does not allow it.

    Columns of nullable text, integers or booleans (and numpy integers or booleans) hold one
    kind of value, and few distinct ones (plate ids, codes, levels), so this saves most of the
    calls. Object columns are left out: there 1, 1.0 and True count as one distinct value but
    are written differently. A missing value is formatted as ``format_value(None)``."""
    dtype = column.dtype
    if not (isinstance(dtype, _ONE_KIND_DTYPES) or (dtype.kind in "iub")):
        return None
    codes, distinct = pd.factorize(column)  # code -1 (the list's last item): a missing value
    texts = [format_value(value) for value in distinct.tolist()] + [format_value(None)]
    return [texts[code] for code in codes.tolist()]


def float_texts(values: np.ndarray) -> list[str]:
    """``repr`` of every value of a 1-D float64 array, in order (``nan`` and ``inf``
    included: each writer puts its own text for those). The list may be shared: do not change
    it."""
    if _shared is None:
        return list(map(float.__repr__, values.tolist()))
    key = _key(values)
    made = _shared.get(key)
    if made is None:
        made = (values, list(map(float.__repr__, values.tolist())))
        _shared[key] = made  # the array is kept with its texts: its memory is not reused
    return made[1]


def _key(values: np.ndarray) -> tuple[int, int, tuple[int, ...]]:
    """The data an array views: its address, length and strides (the same for every view of a
    table's column while the table lives)."""
    return (values.__array_interface__["data"][0], len(values), values.strides)


@contextmanager
def shared_float_texts() -> Iterator[None]:
    """Share `float_texts` between the writers until the block ends (then they are dropped)."""
    global _shared
    outer, _shared = _shared, _shared if _shared is not None else {}
    try:
        yield
    finally:
        _shared = outer
