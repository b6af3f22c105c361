"""Benchmark: wall time of `elisa --help` and `import elisa` against a bare interpreter.

Run on demand: `python bench/bench_startup.py [REPEATS]`. Each command runs REPEATS times in a
fresh process (after one warm-up run, so the file cache is hot); the median and the ratio to
`python -c "import json"` are printed. The target (issue 8) is `elisa --help` within 10x of that
baseline. Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

COMMANDS = {
    'python -c "import json"': [sys.executable, "-c", "import json"],
    'python -c "import elisa"': [sys.executable, "-c", "import elisa"],
    'python -c "import elisa.store"': [sys.executable, "-c", "import elisa.store"],
    "python -m elisa --help": [sys.executable, "-m", "elisa", "--help"],
    'python -c "import elisa.pipeline" (the fitting stack)': [
        sys.executable,
        "-c",
        "import elisa.pipeline",
    ],
}


def median_seconds(command: list[str], repeats: int) -> float:
    """Median wall time (s) of `command` over `repeats` fresh processes."""
    subprocess.run(command, check=True, capture_output=True)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(repeats: int = 20) -> None:
    baseline = None
    for label, command in COMMANDS.items():
        seconds = median_seconds(command, repeats)
        baseline = baseline or seconds
        print(f"{label:<55} {seconds * 1000:8.1f} ms  {seconds / baseline:5.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
