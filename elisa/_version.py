"""The toolkit's version: the single source, read by pyproject.toml and every output file."""

__version__ = "0.1.0"
