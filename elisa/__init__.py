"""ELISA data reduction: fit standard curves, back-calculate samples, judge and report.

The library API is `process` (read, fit, judge) and `run_exports` (what `elisa run` does:
process, keep in the store, write the outputs); the `elisa` command is a thin layer over them.
"""

__version__ = "0.1.0"

from elisa.pipeline import process
from elisa.results import Results
from elisa.run import run_exports

__all__ = ["Results", "__version__", "process", "run_exports"]
