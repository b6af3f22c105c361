"""ELISA data reduction: fit standard curves, back-calculate samples, judge and report.

The library API is `process`; the `elisa` command is a thin layer over it.
"""

__version__ = "0.1.0"

from elisa.pipeline import process  # noqa: E402
from elisa.results import Results  # noqa: E402

__all__ = ["Results", "__version__", "process"]
