"""Running many plates at once: finding and pairing the input files of a folder or a pattern
(`pairing`), leaving out bad files (`BadFile`, `elisa run --keep-going`) and showing progress on
a terminal (`progress`)."""
