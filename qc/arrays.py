"""Input checks shared by the qc rules (misuse raises QCError; data problems never do)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from qc.errors import QCError

#: Slack (percentage points) so that a CV exactly at a limit is not above it.
CV_SLACK_PCT = 1e-9


def one_dimensional(name: str, values: ArrayLike, dtype: type = float) -> np.ndarray:
    """``values`` as a 1-D array (a scalar becomes one element); QCError for any other shape."""
    array: np.ndarray = np.atleast_1d(np.asarray(values, dtype=dtype))
    if array.ndim != 1:
        raise QCError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array
