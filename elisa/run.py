"""`elisa run` as a library call: process exports, keep them in the store, write the outputs.

`run_exports` is what the command does, callable from a notebook; `process` alone reads, fits
and judges without writing anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from elisa.config import Config, load_config
from elisa.errors import ElisaError
from elisa.files.staging import prepare_output_folder, write_outputs
from elisa.pipeline import process
from elisa.results import Results
from elisa.store.database import DEFAULT_DB, open_store
from elisa.store.replacement import pending_replacements, refuse_unintended
from elisa.store.versions import (
    Recorded,
    RunOptions,
    all_recorded_masks,
    read_inputs,
    record_results,
)

PathLike = str | Path


@dataclass(frozen=True)
class RunOutcome:
    """What one `elisa run` did: the results (runs with Westgard outcomes when a store was
    used), the files written, the store used (None with ``db=False``) and what it recorded."""

    results: Results
    paths: list[Path]
    store: Path | None
    recorded: list[Recorded]

    @property
    def out_dir(self) -> Path:
        """The folder the outputs were written into."""
        return self.paths[0].parent


def run_exports(
    exports: PathLike | Sequence[PathLike],
    layout: PathLike | Sequence[PathLike] | None = None,
    *,
    out: PathLike = "results",
    db: PathLike | bool | None = None,
    user: str | None = None,
    analyte: str | None = None,
    config: Config | PathLike | None = None,
    fmt: str | None = None,
    wavelength: int | None = None,
    reference: int | None = None,
    layout_from_export: bool = False,
    replace: str | None = None,
) -> RunOutcome:
    """Process ``exports``, keep every plate in the run-history store and write the nine
    outputs into ``out`` (what `elisa run` does).

    ``db``: the store's path (default ./elisa.sqlite, created on first use), or False to keep
    nothing. Masks recorded in the store apply; the store's history fills each run's Westgard
    outcome (`out_of_spec`, `rules`). The store update is one transaction: every plate's version,
    blobs and audit entries are kept together or not at all. Bad input raises before anything is
    written or any store created; ``user`` names the audit log's user (default: login name).
    Processing options are those of `process`. An export whose reads differ from those of the
    stored plate of the same (plate_id, analyte) is refused (nothing written) unless
    ``replace`` gives the reason, which the audit log keeps.
    """
    if layout_from_export and layout:
        raise ElisaError("give either --layout or --layout-from-export, not both")
    config = config if isinstance(config, Config) else load_config(config)
    options = RunOptions(analyte, fmt, wavelength, reference, layout_from_export)
    store_path = None if db is False else Path(DEFAULT_DB if db in (None, True) else db)
    masks = None
    if store_path is not None and store_path.exists() and not store_path.is_file():
        raise ElisaError("is not a store file (--db PATH)", file=store_path)
    if store_path is not None and store_path.is_file():
        with open_store(store_path, user=user) as store:
            masks = all_recorded_masks(store)
    results = process(
        exports,
        layout,
        analyte=analyte,
        config=config,
        fmt=fmt,
        wavelength=wavelength,
        reference=reference,
        layout_from_export=layout_from_export,
        masks=masks,
    )
    if store_path is not None and store_path.is_file():  # another plate under a stored id
        with open_store(store_path, user=user) as store:
            refuse_unintended(pending_replacements(store, results), replace)
    prepare_output_folder(out)  # an unusable folder fails before the store is touched
    recorded: list[Recorded] = []
    if store_path is not None:  # only now: bad input never creates or touches a store
        results, recorded = _keep_in_store(
            results, store_path, user, config, options, masks, replace
        )
    paths = write_outputs(results, out)
    return RunOutcome(results, paths, store_path, recorded)


def _keep_in_store(
    results: Results,
    path: Path,
    user: str | None,
    config: Config,
    options: RunOptions,
    masks: dict[str, dict[str, str]] | None,
    replace: str | None = None,
) -> tuple[Results, list[Recorded]]:
    """Record the plates, re-judge their analytes' series against the stored history (each run's
    status kept, changes to earlier runs audited) and carry the statuses into the runs table,
    all in one transaction (each step a savepoint inside it)."""
    from elisa.across_runs.status import CAUSE_RUN, refresh_statuses, with_statuses

    analytes = set(results.runs["analyte"])
    with open_store(path, user=user) as store, store.atomic():
        recorded = record_results(
            store, results, read_inputs(results, config), options, masks, replace=replace
        )
        judged = refresh_statuses(store, config, analytes, CAUSE_RUN)
    return with_statuses(results, judged), recorded
