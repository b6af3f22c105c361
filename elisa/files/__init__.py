"""Files in and out: CSV cells and small CSV tables, staged output folders, provenance."""
