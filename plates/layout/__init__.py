"""Plate layouts from wellmap TOML files (DESIGN 3.2): load, expand, check."""
