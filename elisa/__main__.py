"""`python -m elisa` runs the command line."""

from elisa.cli import entry

entry()
