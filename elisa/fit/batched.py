"""Fit many standard curves at once: the one-plate fitter's sequence, compiled per curve.

The sequence and its rules are those of `elisa.fit.fitter.fit_standard_curve`: which model the
standards allow, the bounds, the starting points (the 4PL starts, then the 5PL g starts from the
best 4PL), the best start by the objective, the weighting cycles until the parameters settle,
the 4PL fallback when a 5PL parameter ends at a bound, and the statistics and notes of the final
fit (`fitter.fit_from_statistics`, shared). Only the optimiser differs: a compiled
Levenberg–Marquardt (`elisa.fit.batched_lm`) instead of one lmfit fit per start.

The batch is cut into chunks fitted on threads: the compiled code releases the GIL, so one chunk
is fitted while another's results are assembled in Python. A curve's result does not depend on
the other curves of its batch or chunk: the compiled functions read and write one curve's rows
in a fixed order, whichever thread runs them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from elisa.fit import batched_arrays as arrays
from elisa.fit import batched_records as records
from elisa.fit.fitter import CurveFit
from elisa.fit.request import CurveRequest

#: Curves per chunk at most, and at least (unless the batch is smaller): enough that a chunk's
#: Python overhead is small against its fits; a batch of a few hundred still uses every core.
CHUNK_CURVES = 512
MIN_CHUNK_CURVES = 32


def _threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def fit_standard_curves(requests: Sequence[CurveRequest]) -> list[CurveFit]:
    """Fit every curve as `fit_standard_curve` would, with all curves' arithmetic compiled."""
    threads = _threads()
    size = max(MIN_CHUNK_CURVES, min(CHUNK_CURVES, -(-len(requests) // threads)))
    chunks = [requests[i : i + size] for i in range(0, len(requests), size)]
    workers = min(threads, len(chunks))
    if workers <= 1:
        return [fit for chunk in chunks for fit in _fit_chunk(chunk)]
    with ThreadPoolExecutor(workers) as pool:
        return [fit for done in pool.map(_fit_chunk, chunks) for fit in done]


def load_compiled() -> None:
    """Load the compiled fitter (from numba's cache, or compiled once after an install) by
    fitting one small curve. A run that forks calls it first, so that its processes share the
    loaded code rather than each loading it (about 0.3 s of a core)."""
    levels = np.repeat(1000.0 / 2.0 ** np.arange(7), 2)  # a two-fold series in duplicate, pg/mL
    fit_standard_curves([CurveRequest(x=levels, y=2.0 / (1.0 + (100.0 / levels) ** 1.2))])


def _fit_chunk(requests: Sequence[CurveRequest]) -> list[CurveFit]:
    """Fit one chunk: its arrays, the compiled sequence, then the records."""
    curves = arrays.rows(requests)
    levels = arrays.Levels.of(curves)
    plans = arrays.plans(requests, curves, levels)
    fitted = arrays.fit_arrays(curves, levels, plans, requests)
    return records.assemble(requests, plans, curves, fitted)
