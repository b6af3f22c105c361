"""Plate exports, layouts and the plate data model (knows nothing about curves)."""
