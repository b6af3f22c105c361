"""Benchmark: standard curves fitted per second, four ways, on the same seeded curves in one run.

    python bench/bench_fit.py [CURVES] [SLOW_CURVES]

The batched fitter (elisa.fit.batched) fits CURVES curves; the one-plate fitter, plain
`lmfit.Model.fit` and `scipy.optimize.curve_fit` fit the first SLOW_CURVES of them (they are
slower; rates are per curve either way). Unweighted 4PL, the default settings. The batched
fitter's first call (numba loading its compiled code from the cache, or compiling it once after
an install or a change) is timed apart; then the best of three runs counts, as the machine is
shared. For information it also times the batch with the garbage collector set as an `elisa`
command sets it, fits a mixed set (4PL/5PL × none, 1/y, 1/y²), and splits the batched fitter's
CPU time, on one thread, between the fits (`batched_arrays.fit_arrays`: the sequence and its
compiled fits) and the rest of a chunk's work (the requests' arrays in, the records out), which
holds the GIL. Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import warnings
from pathlib import Path

import lmfit
import numpy as np
from scipy.optimize import curve_fit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "elisa"))
from test_batched_fit import random_requests

from elisa.cli.main import YOUNG_COLLECTION_THRESHOLD
from elisa.fit import batched, batched_arrays
from elisa.fit.batched import fit_standard_curves
from elisa.fit.request import CurveRequest, fit_one

TARGET = 100_000  # curves/s (issue 11)


def _four_pl(x, a, b, c, d):
    return d + (a - d) / (1.0 + (x / c) ** b)


def _rate(label: str, count: int, fit, repeats: int = 1) -> float:
    seconds = min(_seconds(fit) for _ in range(repeats))
    print(f"{label:<40} {count:>7} curves {seconds:8.2f} s {count / seconds:10.1f} curves/s")
    return count / seconds


def _seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _as_a_command(run) -> None:
    """Run with the garbage collector set as an `elisa` command sets it (a young collection
    every YOUNG_COLLECTION_THRESHOLD allocations): the 20,000 records a batch returns then set
    off no full collection of the interpreter's objects (about 0.1 s here with lmfit loaded)."""
    threshold = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *threshold[1:])
    try:
        run()
    finally:
        gc.set_threshold(*threshold)


def _cpu_split(requests: list[CurveRequest]) -> tuple[float, float]:
    """CPU seconds of the fits and of the rest of the chunks' work, the chunks fitted one after
    the other on this thread (best of three)."""
    fit_arrays, spent = batched_arrays.fit_arrays, [0.0]

    def timed(*args):
        start = time.process_time()
        fitted = fit_arrays(*args)
        spent[0] += time.process_time() - start
        return fitted

    best = (float("inf"), 0.0)
    batched_arrays.fit_arrays = timed
    try:
        for _ in range(3):
            spent[0], start = 0.0, time.process_time()
            for i in range(0, len(requests), batched.CHUNK_CURVES):
                batched._fit_chunk(requests[i : i + batched.CHUNK_CURVES])
            total = time.process_time() - start
            best = min(best, (total, spent[0]))
    finally:
        batched_arrays.fit_arrays = fit_arrays
    total, fits = best
    return fits, total - fits


def main(curves: int = 20000, slow_curves: int = 100) -> None:
    mixed = random_requests(seed=2024, count=curves)
    requests = [CurveRequest(x=r.x, y=r.y) for r in mixed]  # unweighted 4PL
    slow = requests[:slow_curves]
    starts = [
        (float(r.y.min()), 1.0, float(np.exp(np.log(r.x).mean())), float(r.y.max())) for r in slow
    ]
    model = lmfit.Model(_four_pl)

    def plain_lmfit() -> None:
        for r, (a, b, c, d) in zip(slow, starts, strict=True):
            try:  # unbounded, as plain lmfit is used: a step to c < 0 aborts the fit
                model.fit(r.y, x=r.x, a=a, b=b, c=c, d=d)
            except ValueError:
                pass

    def plain_scipy() -> None:
        for r, p0 in zip(slow, starts, strict=True):
            try:
                curve_fit(_four_pl, r.x, r.y, p0=p0, maxfev=5000)
            except RuntimeError:
                pass

    warnings.simplefilter("ignore")
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"seeded 4PL curves, {len(requests[0].x)}–{max(len(r.x) for r in requests)} wells each;")
    print(f"{threads} cores available, load average {os.getloadavg()[0]:.1f} (shared machine)")
    first = _seconds(lambda: fit_standard_curves(requests[:1]))
    print(f"batched fitter's first call (compiled code loaded or compiled): {first:.2f} s")
    batched = _rate(
        "batched fitter (all starts, best of 3)",
        curves,
        lambda: fit_standard_curves(requests),
        repeats=3,
    )
    as_command = _rate(
        "batched, collector as in elisa (info)",
        curves,
        lambda: _as_a_command(lambda: fit_standard_curves(requests)),
        repeats=3,
    )
    _rate("batched, mixed 4PL/5PL, weighted (info)", curves, lambda: fit_standard_curves(mixed))
    fits, rest = _cpu_split(requests)
    print(
        f"batched CPU on one thread: fits {fits:.2f} s, arrays and records {rest:.2f} s "
        f"({curves / (fits + rest):.0f} curves/s of one core)"
    )
    one = _rate(
        "one-plate fitter (lmfit, all starts)", len(slow), lambda: [fit_one(r) for r in slow]
    )
    plain = _rate("lmfit.Model.fit (one start)", len(slow), plain_lmfit)
    scipy_rate = _rate("scipy curve_fit (one start)", len(slow), plain_scipy)
    print(f"batched / one-plate fitter: {batched / one:8.1f}x")
    print(f"batched / lmfit.Model.fit:  {batched / plain:8.1f}x")
    print(f"  (collector as in elisa:   {as_command / plain:8.1f}x)")
    print(f"batched / scipy curve_fit:  {batched / scipy_rate:8.1f}x")
    print(
        f"target (issue 11): {TARGET:,} curves/s, 200x lmfit.Model.fit; reached "
        f"{batched / TARGET:.0%} of the first, {batched / plain / 200:.0%} of the second"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
