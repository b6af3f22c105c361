"""The `elisa` command: argument parsing and printing over the library API, nothing more."""
