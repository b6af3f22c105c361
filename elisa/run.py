"""`elisa run` as a library call: process exports, keep them in the store, write the outputs.

`run_exports` is what the command does, callable from a notebook; `process` alone reads, fits
and judges without writing anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import replace as replace_outcome
from functools import partial
from pathlib import Path
from typing import Any

from elisa.batch.pairing import BadFile, pair_inputs
from elisa.batch.progress import NO_PROGRESS, Progress
from elisa.batch.two_processes import InChild, fork_is_safe
from elisa.column_text import shared_float_texts
from elisa.config import Config, load_config
from elisa.errors import ElisaError
from elisa.files.staging import (
    TWO_PROCESSES_FROM,
    prepare_output_folder,
    stage_outputs,
    write_outputs,
)
from elisa.pipeline import process
from elisa.report.plate_report import report_parts
from elisa.results import Results
from elisa.store.database import DEFAULT_DB, Store, open_store
from elisa.store.replacement import pending_replacements, refusal, refuse_unintended
from elisa.store.versions import (
    Recorded,
    RunOptions,
    all_recorded_masks,
    read_inputs,
    record_results,
)

PathLike = str | Path


#: A run of this many exports or more, without a cluster, processes them in two chunks, one in
#: a forked process (`elisa.cluster.two_cores`), where forking is safe.
TWO_CORES_FROM = 50


@dataclass(frozen=True)
class RunOutcome:
    """What one `elisa run` did: the results (runs with Westgard outcomes when a store was
    used), the files written, the store used (None with ``db=False``), what it recorded, and
    the exports left out as bad files (``keep_going``)."""

    results: Results
    paths: list[Path]
    store: Path | None
    recorded: list[Recorded]
    bad_files: tuple[BadFile, ...] = ()

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
    keep_going: bool = False,
    on_bad_file: Callable[[BadFile], None] | None = None,
    progress: Progress = NO_PROGRESS,
    dask: Any = None,
    workers: int | None = None,
    chunk_size: int | None = None,
) -> RunOutcome:
    """Process ``exports``, keep every plate in the run-history store and write the nine
    outputs into ``out`` (what `elisa run` does).

    ``exports``: files, folders or patterns; without ``layout`` each export goes with the
    layout of the same stem beside it (`elisa.batch.pairing`). ``db``: the store's path
    (default ./elisa.sqlite, created on first use), or False to keep nothing. Masks recorded in
    the store apply, also those recorded while the run is processed; the store's history fills
    each run's Westgard outcome (`out_of_spec`, `rules`). The store update is one transaction:
    every plate's version, blobs and audit entries are kept together or not at all, and only
    once the new output folder is in place. ``out`` is replaced as a whole (`elisa.files.swap`):
    it may hold only outputs of earlier runs. Bad input raises before anything is written or
    any store created; ``user`` names the audit log's user (default: login name). Processing
    options are those of `process`. An export whose reads differ from those of the stored plate
    of the same (plate_id, analyte) is refused (nothing written) unless ``replace`` gives the
    reason, which the audit log keeps.

    ``keep_going``: a bad export (one that cannot be read or processed, or a refused
    replacement) is left out with its plates instead of stopping the run; each is handed to
    ``on_bad_file`` as found and listed in `RunOutcome.bad_files`, and the other plates are
    processed, stored and written as usual (an error when none is left). ``progress`` shows
    the stages (`elisa.batch.progress`).

    ``dask``: a `distributed.Client`, or the address of a running dask.distributed scheduler
    (``tcp://host:8786``); ``workers`` N: a local cluster of N worker processes, started and
    closed by the run. The plates are then processed in chunks of ``chunk_size`` exports
    (default: two chunks per worker, at most 100 exports each) on the cluster's workers, and
    gathered here: the store and the outputs are written by this process only, byte for byte
    as without a cluster (`elisa.cluster.session`).
    """
    if dask is None and workers is None and chunk_size is not None:
        raise ElisaError("--chunk-size needs a cluster: give --dask SCHEDULER or --workers N")
    with _cluster_client(dask, workers) as client:
        return _run_exports(
            exports,
            layout,
            out=out,
            db=db,
            user=user,
            analyte=analyte,
            config=config,
            fmt=fmt,
            wavelength=wavelength,
            reference=reference,
            layout_from_export=layout_from_export,
            replace=replace,
            keep_going=keep_going,
            on_bad_file=on_bad_file,
            progress=progress,
            chunk_size=chunk_size,
            client=client,
        )


@contextmanager
def _cluster_client(dask: Any, workers: int | None) -> Iterator[Any]:
    """The dask client of a run on a cluster (`elisa.cluster.session`), or None without one:
    dask is imported only when a cluster is asked for."""
    if dask is None and workers is None:
        yield None
        return
    from elisa.cluster.session import cluster_session

    with cluster_session(dask, workers) as client:
        yield client


def _run_exports(
    exports: PathLike | Sequence[PathLike],
    layout: PathLike | Sequence[PathLike] | None,
    *,
    out: PathLike,
    db: PathLike | bool | None,
    user: str | None,
    analyte: str | None,
    config: Config | PathLike | None,
    fmt: str | None,
    wavelength: int | None,
    reference: int | None,
    layout_from_export: bool,
    replace: str | None,
    keep_going: bool,
    on_bad_file: Callable[[BadFile], None] | None,
    progress: Progress,
    chunk_size: int | None,
    client: Any,
) -> RunOutcome:
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
    bad_files: list[BadFile] = []

    def left_out(bad: BadFile) -> None:
        if bad.line in {b.line for b in bad_files}:  # found again when processing again
            return
        bad_files.append(bad)
        if on_bad_file is not None:
            on_bad_file(bad)

    paired = pair_inputs(exports, layout, layout_from_export=layout_from_export)
    for bad in paired.bad:
        if not keep_going:
            raise bad.error
        left_out(bad)
    pairs = list(zip(paired.exports, paired.layouts, strict=True))

    def run_with(masks: dict[str, dict[str, str]] | None) -> Results:
        if not pairs:
            raise ElisaError("no export could be processed: every one was a bad file")
        on_two_cores = client is None and len(pairs) >= TWO_CORES_FROM and fork_is_safe()
        if client is None and not on_two_cores:
            return in_this_process(masks)
        from elisa.cluster.session import chunk_options, process_on_cluster
        from elisa.cluster.two_cores import process_on_two_cores

        options = chunk_options(
            analyte=analyte,
            config=config,
            fmt=fmt,
            wavelength=wavelength,
            reference=reference,
            masks=masks or {},
            now=now,
        )
        report_bad = left_out if keep_going else None
        if client is None:
            return process_on_two_cores(
                pairs,
                options,
                on_bad_file=report_bad,
                progress=progress,
                one_process=lambda: in_this_process(masks),
            )
        return process_on_cluster(
            client,
            pairs,
            options,
            chunk_size=chunk_size,
            on_bad_file=report_bad,
            progress=progress,
            one_process=lambda: in_this_process(masks),
        )

    def in_this_process(masks: dict[str, dict[str, str]] | None) -> Results:
        return process(
            [export for export, _ in pairs],
            None if layout_from_export else [lay for _, lay in pairs if lay is not None],
            analyte=analyte,
            config=config,
            fmt=fmt,
            wavelength=wavelength,
            reference=reference,
            layout_from_export=layout_from_export,
            masks=masks,
            now=now,
            on_bad_file=left_out if keep_going else None,
            progress=progress,
        )

    masks = None
    if store_path is not None and store_path.is_file():
        with open_store(store_path, user=user) as store:
            masks = all_recorded_masks(store)
    results = run_with(masks)
    pairs = [pair for pair in pairs if str(pair[0]) in _source_files(results)]  # bad ones out
    if store_path is not None and store_path.is_file():  # another plate under a stored id
        with open_store(store_path, user=user) as store:
            pending = pending_replacements(store, results)
        if keep_going and pending and not replace:  # the refused plates' exports are bad
            for r in pending:
                left_out(BadFile(Path(r.new_file), refusal(r)))
            refused = {r.new_file for r in pending}
            pairs = [pair for pair in pairs if str(pair[0]) not in refused]
            results = run_with(masks)
        else:
            refuse_unintended(pending, replace)
    prepare_output_folder(out)  # an unusable folder fails before the store is touched
    if store_path is None:
        paths = write_outputs(results, out, progress)
        return RunOutcome(results, paths, None, [], tuple(bad_files))
    # only now: bad input never creates or touches a store
    with open_store(store_path, user=user) as store:
        outcome = _keep_and_write(
            store, results, masks, run_with, config, options, out, replace, progress
        )
    return replace_outcome(outcome, bad_files=tuple(bad_files))


def _source_files(results: Results) -> set[str]:
    """The exports (as given) whose plates are in ``results``."""
    return {str(p["source_file"]) for p in results.provenance["plates"]}


def _keep_and_write(
    store: Store,
    results: Results,
    masks: dict[str, dict[str, str]] | None,
    run_with: Callable[[dict[str, dict[str, str]] | None], Results],
    config: Config,
    options: RunOptions,
    out: PathLike,
    replace: str | None,
    progress: Progress,
) -> RunOutcome:
    """Record the plates, re-judge their analytes' series against the stored history (each run's
    status kept, changes to earlier runs audited), carry the statuses into the runs table and
    swap the new output folder in, all inside one store transaction (each step a savepoint).

    The transaction takes the write lock first (`Store.atomic`), then reads the masks recorded
    by now: a mask committed while these plates were processed makes them processed again with
    it, so the version made current carries every recorded mask. The outputs are staged before
    the commit and swapped in just before it; a failed commit swaps the old folder back. A large
    run renders the bulk of its report, the `report_parts` that show no status, in a forked
    process while this one updates the store.
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
            plates = len(results.provenance["plates"])
            large = len(results.runs) >= TWO_PROCESSES_FROM
            with (
                InChild([partial(report_parts, results)], fork=large) as report,
                shared_float_texts(),  # the store's rows and the tables write the same floats
            ):
                with progress.stage("storing plates", plates, "plate") as advance:
                    recorded = record_results(
                        store,
                        results,
                        inputs,
                        options,
                        recorded_now,
                        replace=replace,
                        advance=advance,
                    )
                judged = refresh_statuses(store, config, analytes, CAUSE_RUN)
                results = with_statuses(results, judged)
                staged = stage_outputs(  # a full disk fails here: store unchanged
                    results, out, progress, lambda: report.results()[0]
                )
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
