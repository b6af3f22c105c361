"""ELISA data reduction: fit standard curves, back-calculate samples, judge and report.

The library API is `process` (read, fit, judge) and `run_exports` (what `elisa run` does:
process, keep in the store, write the outputs); the `elisa` command is a thin layer over them.

`process`, `run_exports` and `Results` are loaded on first use (PEP 562), so that `import elisa`
and the command's `--help` stay fast: the pipeline brings in lmfit, pandas, xarray and matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from elisa._version import __version__

if TYPE_CHECKING:
    from elisa.pipeline import process
    from elisa.results import Results
    from elisa.run import run_exports

__all__ = ["Results", "__version__", "process", "run_exports"]


def __getattr__(name: str) -> Any:
    if name == "process":
        from elisa.pipeline import process

        return process
    if name == "Results":
        from elisa.results import Results

        return Results
    if name == "run_exports":
        from elisa.run import run_exports

        return run_exports
    raise AttributeError(f"module 'elisa' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "Results", "process", "run_exports"])
