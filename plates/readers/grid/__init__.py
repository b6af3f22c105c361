"""Plain 8x12 / 16x24 grids in CSV, TSV or xlsx."""
