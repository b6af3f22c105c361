"""ELISA data reduction: fit, back-calculate, judge and report."""

__version__ = "0.1.0"
