"""Thermo Fisher SkanIt exports (text, report and xlsx)."""
