"""`python -m elisa` runs the command line."""

from elisa.cli.main import entry

entry()
