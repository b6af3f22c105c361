"""Errors of the elisa package."""

from plates.errors import AssayError


class ElisaError(AssayError):
    """A problem in configuration, analyte choice or command-line usage."""


class ConfigError(ElisaError):
    """The configuration file is invalid."""
