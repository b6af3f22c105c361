"""Helpers every reader shares: cells (OD, saturated, missing) and xlsx workbooks."""
