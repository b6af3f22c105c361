"""QC across stored runs: control series, Levey-Jennings, Westgard, inter-assay CV."""
