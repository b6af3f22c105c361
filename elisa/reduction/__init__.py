"""One plate, export to results: wells, wavelengths, replicate groups, the plate sequence, tables."""
