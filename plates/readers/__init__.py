"""One parser module per export format, with a registry that sniffs content."""
