"""Errors of the qc package (data problems become flags, not errors; these are misuse)."""

from plates.errors import AssayError


class QCError(AssayError):
    """Inputs to a QC rule are inconsistent (e.g. arrays of different lengths)."""
