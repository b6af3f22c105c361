"""`elisa run` as a library call: process exports, keep them in the store, write the outputs.

`run_exports` is what the command does, callable from a notebook; `process` alone reads, fits
and judges without writing anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from elisa.config import Config, load_config
from elisa.errors import ElisaError
from elisa.files.staging import prepare_output_folder, stage_outputs, write_outputs
from elisa.pipeline import process
from elisa.results import Results
from elisa.store.database import DEFAULT_DB, Store, open_store
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
    nothing. Masks recorded in the store apply, also those recorded while the run is processed;
    the store's history fills each run's Westgard outcome (`out_of_spec`, `rules`). The store
    update is one transaction: every plate's version, blobs and audit entries are kept together
    or not at all, and only once the new output folder is in place. ``out`` is replaced as a
    whole (`elisa.files.swap`): it may hold only outputs of earlier runs. Bad input raises before
    anything is written or any store created; ``user`` names the audit log's user (default:
    login name). Processing options are those of `process`. An export whose reads differ from
    those of the stored plate of the same (plate_id, analyte) is refused (nothing written) unless
    ``replace`` gives the reason, which the audit log keeps.
    """
    if layout_from_export and layout:
        raise ElisaError("give either --layout or --layout-from-export, not both")
    config = config if isinstance(config, Config) else load_config(config)
    options = RunOptions(analyte, fmt, wavelength, reference, layout_from_export)
    store_path = None if db is False else Path(db if isinstance(db, (str, Path)) else DEFAULT_DB)
    if store_path is not None and store_path.exists() and not store_path.is_file():
        raise ElisaError("is not a store file (--db PATH)", file=store_path)
    if store_path is not None and Path(out).resolve() in store_path.resolve().parents:
        raise ElisaError("the store cannot be inside the output folder (--out, --db)", file=out)
    now = dt.datetime.now(dt.UTC)

    def run_with(masks: dict[str, dict[str, str]] | None) -> Results:
        return process(
            exports,
            layout,
            analyte=analyte,
            config=config,
            fmt=fmt,
            wavelength=wavelength,
            reference=reference,
            layout_from_export=layout_from_export,
            masks=masks,
            now=now,
        )

    masks = None
    if store_path is not None and store_path.is_file():
        with open_store(store_path, user=user) as store:
            masks = all_recorded_masks(store)
    results = run_with(masks)
    if store_path is not None and store_path.is_file():  # another plate under a stored id
        with open_store(store_path, user=user) as store:
            refuse_unintended(pending_replacements(store, results), replace)
    prepare_output_folder(out)  # an unusable folder fails before the store is touched
    if store_path is None:
        paths = write_outputs(results, out)
        return RunOutcome(results, paths, None, [])
    # only now: bad input never creates or touches a store
    with open_store(store_path, user=user) as store:
        return _keep_and_write(store, results, masks, run_with, config, options, out, replace)


def _keep_and_write(
    store: Store,
    results: Results,
    masks: dict[str, dict[str, str]] | None,
    run_with: Callable[[dict[str, dict[str, str]] | None], Results],
    config: Config,
    options: RunOptions,
    out: PathLike,
    replace: str | None,
) -> RunOutcome:
    """Record the plates, re-judge their analytes' series against the stored history (each run's
    status kept, changes to earlier runs audited), carry the statuses into the runs table and
    swap the new output folder in, all inside one store transaction (each step a savepoint).

    The transaction takes the write lock first (`Store.atomic`), then reads the masks recorded
    by now: a mask committed while these plates were processed makes them processed again with
    it, so the version made current carries every recorded mask. The outputs are staged before
    the commit and swapped in just before it; a failed commit swaps the old folder back.
    """
    from elisa.across_runs.status import CAUSE_RUN, refresh_statuses, with_statuses

    analytes = set(results.runs["analyte"])
    staged = None
    try:
        with store.atomic():
            recorded_now = all_recorded_masks(store)
            if _masks_of(results, recorded_now) != _masks_of(results, masks or {}):
                results = run_with(recorded_now)  # a mask was recorded meanwhile
            refuse_unintended(pending_replacements(store, results), replace)  # as of now
            inputs = read_inputs(results, config)
            recorded = record_results(
                store, results, inputs, options, recorded_now, replace=replace
            )
            judged = refresh_statuses(store, config, analytes, CAUSE_RUN)
            results = with_statuses(results, judged)
            staged = stage_outputs(results, out)  # a full disk fails here: store unchanged
            store.checkpoint("outputs staged")
            staged.swap_in()
            store.checkpoint("outputs swapped")
    except BaseException:
        if staged is not None:
            staged.undo()
        raise
    staged.finish()
    paths = [Path(out) / name for name in staged.names]
    return RunOutcome(results, paths, store.path, recorded)


def _masks_of(results: Results, masks: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The masks that apply to the plates of ``results`` (plate id → well → reason)."""
    return {p["plate_id"]: masks.get(p["plate_id"], {}) for p in results.provenance["plates"]}
