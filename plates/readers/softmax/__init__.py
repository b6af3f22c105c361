"""Molecular Devices SoftMax Pro exports (PlateFormat, TimeFormat, groups)."""
