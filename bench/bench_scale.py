"""Benchmark: `elisa run` end to end on 1, 100 and 1,000 generated plates, against plain lmfit.

    python bench/bench_scale.py [COUNT ...] [--fitter lmfit|batched] [--workers N] [--keep DIR]

For each COUNT (default 1 100 1000) it generates COUNT plates into a folder, each its own grid
export and layout (`plate0007.csv` + `plate0007.toml`, the fixture plate model of
fixtures/generate.py: the four clean analytes in turn, each plate's curve jittered a few percent,
its own noise), then times `python -m elisa run FOLDER --db STORE --out OUT --quiet` as a
subprocess (start-up, reading, fitting, the store and every output file), with a new store each
time. In the same run it times plain `lmfit.Model.fit` (one start, unweighted 4PL) on the same
standard curves (blank-subtracted, as the pipeline fits them), and the batched fitter
(elisa.fit.batched) on them. Prints figures and ratios; asserts nothing. ``--fitter batched``
runs `elisa run` with ``[rules] fitter = "batched"``; ``--workers N`` also times the same run
with ``--workers N`` (a local dask cluster of N worker processes, started by the run: its start-up
is in the time) and prints it next to the one-process time, after checking that both runs wrote
the same CSV files; ``--keep DIR`` keeps the generated plates and outputs in DIR (default: a
temporary folder, removed).

Issue 11 asks for 1,000 plates in no more than 10x one plate and no more than 4x what plain
lmfit takes to fit their standard curves (1x the target beyond it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import os
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fixtures"))
import generate as plate_model  # noqa: E402  (fixtures/generate.py: the fixture plate model)

ANALYTES = ("FKN", "TRACP-5b", "IL-1b", "IL-6")
LOTS = {"FKN": "FKN-2311A", "TRACP-5b": "TR5-2310C", "IL-1b": "IL1B-2312B", "IL-6": "IL6-2401A"}
JITTER_SD = 0.03  # relative SD of each plate's a, b, c, d around its analyte's curve
FIRST_DAY = dt.date(2024, 1, 1)


@dataclass(frozen=True)
class Curve:
    """A plate's standard curve as the pipeline fits it: conc and blank-subtracted OD."""

    x: np.ndarray
    y: np.ndarray


def generate_plates(folder: Path, count: int, seed: int = 11) -> list[Curve]:
    """Write ``count`` plates (export + layout of the same stem) into ``folder``; return their
    standard curves."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    curves = []
    for i in range(count):
        analyte = ANALYTES[i % len(ANALYTES)]
        name = f"plate{i:04d}"
        jitter = {p: float(rng.normal(0.0, JITTER_SD)) for p in "abcd"}
        day = FIRST_DAY + dt.timedelta(days=i // len(ANALYTES))
        plate = plate_model.Plate(name, analyte, day.isoformat(), LOTS[analyte], jitter=jitter)
        an, _, wells, groups, od, text, _ = plate_model.build_plate(plate, 1000 + i)
        plate_model.write_grid(folder / f"{name}.csv", text)
        plate_model.write_layout(folder / f"{name}.toml", plate, an, groups)
        blank = np.mean([od[w] for w, info in wells.items() if info["role"] == "blank"])
        standards = [
            (info["conc"], od[w]) for w, info in wells.items() if info["role"] == "standard"
        ]
        x, y = (np.array(v, dtype=float) for v in zip(*standards))
        curves.append(Curve(x, y - blank))
    return curves


def _four_pl(x, a, b, c, d):
    return d + (a - d) / (1.0 + (x / c) ** b)


def plain_lmfit_seconds(curves: list[Curve]) -> float:
    """Seconds plain `lmfit.Model.fit` takes on ``curves`` (one start each, as commonly used)."""
    import lmfit

    model = lmfit.Model(_four_pl)
    start = time.perf_counter()
    for curve in curves:
        x, y = curve.x, curve.y
        c0 = float(np.exp(np.log(x).mean()))
        try:
            model.fit(y, x=x, a=float(y.min()), b=1.0, c=c0, d=float(y.max()))
        except ValueError:  # a step to c < 0 aborts an unbounded fit
            pass
    return time.perf_counter() - start


def batched_seconds(curves: list[Curve]) -> float:
    """Seconds the batched fitter takes on ``curves`` (all starts, the pipeline's rules)."""
    from elisa.fit.batched import fit_standard_curves
    from elisa.fit.request import CurveRequest

    requests = [CurveRequest(x=c.x, y=c.y) for c in curves]
    start = time.perf_counter()
    fit_standard_curves(requests)
    return time.perf_counter() - start


def run_seconds(
    folder: Path, work: Path, fitter: str, workers: int | None = None
) -> tuple[float, int]:
    """Seconds `elisa run FOLDER` takes end to end in a subprocess, with a new store (into
    work/out, or work/out-workers with ``workers``); and its exit code."""
    name = "" if workers is None else "-workers"
    config = work / "elisa.toml"
    config.write_text(f'[rules]\nfitter = "{fitter}"\n', encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "elisa",
        "run",
        str(folder),
        "--db",
        str(work / f"elisa{name}.sqlite"),
        "--out",
        str(work / f"out{name}"),
        "--config",
        str(config),
        "--quiet",
    ] + ([] if workers is None else ["--workers", str(workers)])
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"elisa run failed ({done.returncode}): {done.stderr.strip()}")
    return seconds, done.returncode


def same_csvs(a: Path, b: Path) -> bool:
    """Whether two output folders hold the same CSV files, byte for byte."""
    names = sorted(p.name for p in a.glob("*.csv"))
    return names == sorted(p.name for p in b.glob("*.csv")) and all(
        filecmp.cmp(a / n, b / n, shallow=False) for n in names
    )


def main(counts: list[int], fitter: str, keep: Path | None, workers: int | None = None) -> None:
    warnings.simplefilter("ignore")
    base = Path(tempfile.mkdtemp(prefix="bench-scale-")) if keep is None else keep
    print(f"elisa run end to end (subprocess, new store, all outputs), fitter = {fitter}")
    print(
        f"{'plates':>7} {'elisa run':>10} {'per plate':>10} {'lmfit fit':>10} "
        f"{'run/lmfit':>10} {'batched':>13}"
    )
    first: float | None = None
    rows = []
    try:
        for count in counts:
            work = base / f"n{count}"
            curves = generate_plates(work / "plates", count)
            seconds, code = run_seconds(work / "plates", work, fitter)
            lmfit_s = plain_lmfit_seconds(curves)
            batched_s = batched_seconds(curves)
            first = seconds if first is None else first
            rows.append((count, seconds))
            print(
                f"{count:>7} {seconds:>9.2f}s {seconds / count:>9.3f}s {lmfit_s:>9.3f}s"
                f"{seconds / lmfit_s:>9.1f}x {count / batched_s:>8.0f} crv/s"
                + ("" if code == 0 else "  (exit 1: a plate failed its QC)")
            )
            if workers is not None:
                on_workers, _ = run_seconds(work / "plates", work, fitter, workers)
                same = same_csvs(work / "out", work / "out-workers")
                print(
                    f"{'':>7} --workers {workers}: {on_workers:.2f}s against {seconds:.2f}s in one "
                    f"process ({seconds / on_workers:.2f}x), "
                    + ("the same CSVs" if same else "CSVS DIFFER")
                )
    finally:
        if keep is None:
            import shutil

            shutil.rmtree(base, ignore_errors=True)
    if len(rows) > 1:
        one_count, one = rows[0]
        for count, seconds in rows[1:]:
            print(
                f"{count} plates / {one_count} plate(s): {seconds / one:.1f}x the time "
                f"({count / one_count:.0f}x the plates)"
            )
    print("targets (issue 11): 1,000 plates <= 10x one plate and <= 4x plain lmfit (1x beyond)")
    print(f"machine: {os.cpu_count()} cores; figures from this one run")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="*", type=int, default=[1, 100, 1000])
    parser.add_argument("--fitter", choices=("lmfit", "batched"), default="lmfit")
    parser.add_argument("--keep", type=Path, help="keep plates and outputs in this folder")
    parser.add_argument(
        "--workers", type=int, metavar="N", help="also time elisa run --workers N (dask)"
    )
    args = parser.parse_args()
    main(args.counts, args.fitter, args.keep, args.workers)
