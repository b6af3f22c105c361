"""`python -m elisa` runs the command line."""

from elisa.cli.main import entry

if __name__ == "__main__":  # not when a worker process started by dask imports this module
    entry()
