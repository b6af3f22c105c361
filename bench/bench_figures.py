"""Benchmark: milliseconds per standard-curve figure, written as SVG text against matplotlib.

Run on demand: `python bench/bench_figures.py [REPEATS]`. For each fixture plate the figure of
report.html (`curve_svg`, SVG written directly) is timed against the same marks drawn with
matplotlib and saved as inline SVG (`figure_svg`), the way report.html drew it before issue 11.
Medians over REPEATS calls per plate, then the median over plates. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import elisa
from elisa.report.curve_figure import curve_svg
from elisa.report.figures import figure_svg, logistic
from elisa.report.plate_report import render_report

PLATES = Path(__file__).resolve().parent.parent / "fixtures" / "plates"


def matplotlib_curve(curve: dict, standards, samples, unit: str, prefix: str) -> str:
    """The same marks with matplotlib: standards with error bars, samples, curve, limits."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.4))
    ax = fig.add_subplot()
    x = standards["nominal"].to_numpy(float)
    y = standards["od_mean"].to_numpy(float)
    ax.errorbar(x, y, yerr=np.abs(standards["od_cv_pct"].to_numpy(float) * y / 100), fmt="o")
    sx = samples["conc"].to_numpy(float) / samples["dilution"].to_numpy(float)
    ax.scatter(sx, samples["od_mean"].to_numpy(float), marker="D", label="samples")
    grid = np.geomspace(x.min() / 2, x.max() * 2, 400)
    ax.plot(grid, logistic(grid, *(float(curve[k]) for k in "abcd")), label="fitted curve")
    for key in ("lloq", "uloq"):
        ax.axvline(float(curve[key]), ls="--")
        ax.text(float(curve[key]), 0.97, key.upper(), transform=ax.get_xaxis_transform())
    ax.set_xscale("log")
    ax.set_xlabel(f"concentration in well ({unit})")
    ax.set_ylabel("corrected OD")
    ax.legend()
    return figure_svg(fig, prefix)


def median_ms(draw: Callable[..., str], args: tuple, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        draw(*args)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main(repeats: int = 10) -> None:
    direct, reference, pages = [], [], []
    for layout in sorted(PLATES.glob("*.toml")):
        results = elisa.process(layout.with_suffix(".csv"), layout)
        curve = results.curves.iloc[0].to_dict()
        unit = str(results.samples["unit"].dropna().iloc[0])
        args = (curve, results.standards, results.samples, unit, "bench")
        matplotlib_curve(*args)  # warm-up: fonts and caches
        direct.append(median_ms(curve_svg, args, repeats))
        reference.append(median_ms(matplotlib_curve, args, max(3, repeats // 3)))
        pages.append(median_ms(render_report, (results,), max(3, repeats // 3)))
    svg, mpl = statistics.median(direct), statistics.median(reference)
    print(f"plates: {len(direct)} fixture plates, {repeats} figures each")
    print(f"standard curve, SVG written directly: median {svg:.2f} ms per figure")
    print(
        f"standard curve, the same marks in a minimal matplotlib figure (a lower bound for "
        f"the figure before issue 11): median {mpl:.1f} ms per figure"
    )
    print(f"ratio: {mpl / svg:.0f}x")
    print(f"report.html of one plate (curve, plate map, tables): {statistics.median(pages):.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
