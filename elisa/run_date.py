"""Which date a run gets, and where it came from (DESIGN 3.2 `[expt] date`).

The order: the layout's ``[expt] date``; else the read time the export states; else, for SoftMax
Pro exports that state no read time, the time the file was last saved (the read happened before
it, usually the same day); else a date given by the caller (a stored plate keeps its run date
when it is re-processed); else the processing time (UTC). The source is named in provenance.json
and in the report, so a reader of the results knows how far to trust the date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Sources of a run date, in the order they are tried.
FROM_LAYOUT = "layout's [expt] date"
FROM_READ_TIME = "export's read time"
FROM_SAVE_TIME = "export's save time: it states no read time"
FROM_STORED = "stored plate's run date"
FROM_PROCESSING = "processing time, UTC: neither the layout nor the export gives a date"


@dataclass(frozen=True)
class RunDate:
    """A run's date (ISO 8601 text) and where it came from (one of the FROM_* texts)."""

    value: str
    source: str


def choose_run_date(
    expt: Mapping[str, Any],
    read_metadata: Mapping[str, Any],
    processing_time: str,
    stored: str | None = None,
) -> RunDate:
    """The run date of one plate from its layout, its export's metadata, a stored run date and
    the processing time, in that order."""
    if expt.get("date"):
        return RunDate(str(expt["date"]), FROM_LAYOUT)
    if read_metadata.get("read_time"):
        return RunDate(str(read_metadata["read_time"]), FROM_READ_TIME)
    if read_metadata.get("date_last_saved"):
        return RunDate(str(read_metadata["date_last_saved"]), FROM_SAVE_TIME)
    if stored:
        return RunDate(stored, FROM_STORED)
    return RunDate(processing_time, FROM_PROCESSING)
