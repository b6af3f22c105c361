"""What the store hands back: typed records, so callers outside `elisa/store/` never see rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class StoredVersion:
    """One stored version of a plate (a row of `plate_versions`); JSON columns kept as text,
    decoded on demand by `tables` and `provenance`."""

    id: int
    plate_id: str
    analyte: str
    version: int
    fingerprint: str
    created_utc: str
    run_date: str | None
    lot: str | None
    source_file: str
    source_sha256: str
    layout_file: str | None
    layout_sha256: str | None
    config_sha256: str | None
    options_json: str
    masks_json: str
    verdict: str
    reasons: str
    warnings: str
    intra_cv_pct: float | None
    software_version: str
    tables_json: str
    provenance_json: str
    first_processed_utc: str | None = None  # when it is read as a current version

    @cached_property
    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """The plate's rows of every result table (samples, wells, curves, ...)."""
        return json.loads(self.tables_json)

    @cached_property
    def provenance(self) -> dict[str, Any]:
        """The provenance of the processing that made this version (one plate)."""
        return json.loads(self.provenance_json)


@dataclass(frozen=True)
class Review:
    """A reviewer's decision on one plate version."""

    plate_id: str
    analyte: str
    version_id: int
    decision: str  # "accept" or "reject"
    reason: str
    user: str
    time_utc: str
