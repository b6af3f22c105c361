"""Benchmark: seconds per plate for `elisa.process` and for rendering the outputs.

Run on demand: `python bench/bench_process.py [REPEATS]`. Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import elisa
from elisa.files.staging import render_outputs

PLATES = Path(__file__).resolve().parent.parent / "fixtures" / "plates"


def main(repeats: int = 5) -> None:
    layouts = sorted(PLATES.glob("*.toml"))
    exports = [p.with_suffix(".csv") for p in layouts]
    elisa.process(exports[0], layouts[0])  # warm-up: imports and caches
    per_plate, per_render = [], []
    for _ in range(repeats):
        for export, layout in zip(exports, layouts):
            start = time.perf_counter()
            results = elisa.process(export, layout)
            middle = time.perf_counter()
            render_outputs(results)
            per_plate.append(middle - start)
            per_render.append(time.perf_counter() - middle)
    start = time.perf_counter()
    elisa.process(exports, layouts)
    batch = time.perf_counter() - start
    print(f"plates: {len(exports)} fixture plates x {repeats} repeats")
    print(
        f"process, one plate per call: median {statistics.median(per_plate):.3f} s, "
        f"max {max(per_plate):.3f} s"
    )
    print(
        f"render outputs (CSV, HTML with figures, provenance): median "
        f"{statistics.median(per_render):.3f} s"
    )
    print(
        f"process, {len(exports)} plates in one call: {batch:.3f} s "
        f"({batch / len(exports):.3f} s per plate)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
