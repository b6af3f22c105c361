"""HTML reports: the plate report, the QC report, their figures and tables."""
