"""Benchmark: milliseconds per layout file for `load_layout`, and the share of it spent parsing
the TOML (which stays: the rest is the checks, the expansion and the wells table).

Run on demand: `python bench/bench_layout.py [FOLDER] [REPEATS]` (FOLDER of *.toml layouts;
the fixtures by default). CPU time, best of REPEATS passes. Prints figures; asserts nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import tomli

from plates.layout.loader import load_layout

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def best_ms(run: Callable[[], object], count: int, repeats: int) -> float:
    """The fastest of ``repeats`` passes, in milliseconds per file."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best / count * 1e3


def main(folder: Path = FIXTURES, repeats: int = 5) -> None:
    paths = sorted(folder.rglob("*.toml"))
    texts = [path.read_bytes().decode("utf-8-sig") for path in paths]
    for path in paths:  # warm-up: imports and caches
        load_layout(path)
    total = best_ms(lambda: [load_layout(path) for path in paths], len(paths), repeats)
    parse = best_ms(lambda: [tomli.loads(text) for text in texts], len(paths), repeats)
    print(f"layouts: {len(paths)} files under {folder}, best of {repeats} passes (CPU time)")
    print(f"load_layout: {total:.3f} ms a file, of which tomli.loads (the TOML) {parse:.3f} ms")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(Path(args[0]) if args else FIXTURES, int(args[1]) if len(args) > 1 else 5)
