"""A run's processing on a dask.distributed cluster: `cluster_session` connects to a scheduler
(or starts a local cluster of worker processes) for the run, `process_on_cluster` processes the
paired exports there and returns what `elisa.pipeline.process` returns for them in one process.

Design. The client pairs the files (as one process does), cuts the pairs into chunks in their
order and sends each chunk to a worker (`elisa.cluster.chunks.process_chunk`): the worker reads,
plans, fits, back-calculates and judges its exports, each planned on its own, and sends back
its plates' tables and provenance with, for every export, its bytes' hash, its plate ids and
its own error if any. The checks that span files (one plate id in two exports, one export
twice under two names) are then made by the client over every export of the run in order
(`elisa.cluster.combine.judge_files`), so that a refused export is refused with the error, and
in the place, one process would give; its plates are dropped. An export a chunk could not fit
because another export of the chunk (itself refused by the client) had taken its id is
processed again in a second round. The chunks' plates are put together in the run's order
(`combine_parts`): the same tables, provenance and plate Dataset as one process gives, which
`elisa.run` then keeps in the store and writes, in the client only.

Each curve's fit depends only on its own plate (the lmfit fitter per plate; the batched fitter
fits each curve on its own, `elisa.fit.batched`), so its chunk does not change it. One case is
left to one process: reads without a wavelength (taken at the run's first plate's analyte
wavelength) in a run whose analytes have different wavelengths, where which plate is first
decides; such a run is processed in the client as one process (`needs_one_process`).

Memory: the client holds every plate's results, as one process does (the store transaction
and the outputs need them all); a worker holds one chunk at a time.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from elisa.batch.pairing import BadFile
from elisa.batch.progress import NO_PROGRESS, Progress
from elisa.cluster.chunks import ChunkOptions, ChunkResult, FileRecord, Pair, process_chunk
from elisa.cluster.combine import combine_parts, judge_files, select_files
from elisa.errors import ElisaError
from elisa.results import Results

#: Most exports in one chunk: enough for the batched fitter's arrays and to make a task's
#: overhead (milliseconds) small against its work (tens of milliseconds a plate), few enough
#: that a worker's memory and the progress bar's steps stay small.
MAX_CHUNK = 100
#: Chunks per worker by default: two, so that a worker done early takes over part of the work.
CHUNKS_PER_WORKER = 2
#: Seconds to wait for a scheduler to answer before the address is reported as unreachable.
CONNECT_TIMEOUT_S = 10
#: Seconds to wait for a reached scheduler to have a worker before the run gives up.
WORKER_WAIT_S = 60
INSTALL_HINT = "pip install 'elisa-toolkit[cluster]' (or: pip install distributed)"


def _distributed() -> Any:
    """The dask.distributed module, or an ElisaError saying how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise ElisaError(
            f"--dask and --workers need dask.distributed, which is not installed: {INSTALL_HINT}"
        ) from exc
    return distributed


@contextmanager
def cluster_session(scheduler: Any = None, workers: int | None = None) -> Iterator[Any]:
    """The `distributed.Client` a run uses, for the time of the ``with`` block: ``scheduler``
    a Client (used as it is, left open) or a scheduler's address (``tcp://host:8786``);
    ``workers`` N starts a local cluster of N worker processes (one thread each) and closes it
    after. Yields None when neither is given (the run stays in this process)."""
    if scheduler is None and workers is None:
        yield None
        return
    if scheduler is not None and workers is not None:
        raise ElisaError("give either --dask SCHEDULER or --workers N, not both")
    distributed = _distributed()
    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    if workers is not None:
        if workers < 1:
            raise ElisaError(f"--workers {workers}: expected a number of worker processes >= 1")
        with (
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: 8787 may be taken
                silence_logs=logging.ERROR,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    client = _connect(distributed, str(scheduler))
    with client:
        yield client


def _connect(distributed: Any, address: str) -> Any:
    if not address.strip():
        raise ElisaError(
            "--dask needs the address of a running dask.distributed scheduler, such as "
            "tcp://host:8786"
        )
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ElisaError(
            f"cannot reach a dask scheduler at {address!r} ({reason}): expected the address "
            "of a running dask.distributed scheduler, such as tcp://host:8786"
        ) from None
    try:  # a scheduler without workers would hold the run forever
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
    except (TimeoutError, OSError):
        client.close()
        raise ElisaError(
            f"the dask scheduler at {address!r} has no worker (waited {WORKER_WAIT_S} s): start "
            f"`dask worker {address}` on machines that see the exports, then run again"
        ) from None
    return client


def chunk_size_for(n_files: int, n_workers: int, chunk_size: int | None = None) -> int:
    """Exports per chunk: ``chunk_size`` if given, else `CHUNKS_PER_WORKER` chunks per worker
    (thread of a worker; at least one export, at most `MAX_CHUNK`)."""
    if chunk_size is not None:
        if chunk_size < 1:
            raise ElisaError(f"--chunk-size {chunk_size}: expected a number of exports >= 1")
        return chunk_size
    per_chunk = math.ceil(n_files / (CHUNKS_PER_WORKER * max(1, n_workers)))
    return max(1, min(MAX_CHUNK, per_chunk))


def process_on_cluster(
    client: Any,
    pairs: Sequence[tuple[Path, Path | None]],
    options: ChunkOptions,
    *,
    chunk_size: int | None = None,
    on_bad_file: Callable[[BadFile], None] | None = None,
    progress: Progress = NO_PROGRESS,
    one_process: Callable[[], Results],
) -> Results:
    """What `process` gives for ``pairs`` (exports with their layouts, None for the export's
    own), the plates processed in chunks on ``client``'s cluster. A bad export raises its
    error, or goes to ``on_bad_file``; ``one_process`` processes the run in this process
    instead (`needs_one_process`)."""
    given = given_pairs(pairs)
    slots = sum(client.nthreads().values())  # worker threads: chunks run at once
    size = chunk_size_for(len(given), slots, chunk_size)

    def run(batch: list[Pair], advance: Callable[[], None]) -> list[ChunkResult]:
        return _run_chunks(client, batch, options, size, advance)

    return gather_chunks(
        run,
        given,
        options,
        "processing plates (cluster)",
        on_bad_file=on_bad_file,
        progress=progress,
        one_process=one_process,
    )


def given_pairs(pairs: Sequence[tuple[Path, Path | None]]) -> list[Pair]:
    """The run's (export, layout) pairs as the chunks take them (paths as text)."""
    return [(str(e), None if lay is None else str(lay)) for e, lay in pairs]


ChunkRunner = Callable[[list[Pair], Callable[[], None]], list[ChunkResult]]


def gather_chunks(
    run: ChunkRunner,
    given: list[Pair],
    options: ChunkOptions,
    label: str,
    *,
    on_bad_file: Callable[[BadFile], None] | None,
    progress: Progress,
    one_process: Callable[[], Results],
) -> Results:
    """What `process` gives for ``given``, from the chunks ``run`` processes (in their order,
    calling its second argument once per export done): the checks that span files made over
    every export, a second round for exports refused for an id the run does not give away,
    and the kept plates combined in the run's order."""
    with progress.stage(label, len(given), "file") as advance:
        chunks = run(given, advance)
    records = [record for chunk in chunks for record in chunk.files]
    owners = [k for k, chunk in enumerate(chunks) for _ in chunk.files]
    verdicts = judge_files(records)
    if verdicts.again:  # exports a chunk refused for an id this run does not give away
        redo = [given[i] for i in verdicts.again]
        extra = run(redo, lambda: None)
        redone = [record for chunk in extra for record in chunk.files]
        for i, record, k in zip(verdicts.again, redone, _owners(extra, len(chunks))):
            records[i], owners[i] = record, k
        chunks += extra
        verdicts = judge_files(records)
        if verdicts.again:
            raise RuntimeError("exports accepted by the run were refused again by their chunk")
    if needs_one_process(chunks, options.wavelength):
        return one_process()
    report = on_bad_file or _raise
    for bad in verdicts.bad:
        report(bad)
    if not verdicts.kept:
        raise ElisaError("no export could be processed: every one was a bad file")
    header = _header(options)
    _refuse_other_software(chunks, header["software"])
    parts = _kept_parts(chunks, records, owners, verdicts.kept)
    return combine_parts(parts, header, options.wavelength)


def _run_chunks(
    client: Any, pairs: list[Pair], options: ChunkOptions, size: int, advance: Callable[[], None]
) -> list[ChunkResult]:
    """The chunks' results in the pairs' order; the first failing chunk's exception cancels
    the others and propagates."""
    distributed = _distributed()
    cut = [pairs[i : i + size] for i in range(0, len(pairs), size)]
    futures = [client.submit(process_chunk, chunk, options, pure=False) for chunk in cut]
    index = {future.key: k for k, future in enumerate(futures)}
    done: list[ChunkResult | None] = [None] * len(futures)
    try:
        for future in distributed.as_completed(futures):
            k = index[future.key]
            done[k] = future.result()
            for _ in cut[k]:
                advance()
    finally:
        client.cancel([f for f in futures if not f.done()])
    return [chunk for chunk in done if chunk is not None]


def _owners(chunks: list[ChunkResult], first: int) -> list[int]:
    return [first + k for k, chunk in enumerate(chunks) for _ in chunk.files]


def needs_one_process(chunks: Sequence[ChunkResult], wavelength: int | None) -> bool:
    """True when a read without a wavelength would be named after the run's first planned
    plate's analyte and the planned plates' analytes do not share one wavelength: which plate
    comes first then decides, and only one process sees it."""
    if wavelength is not None:
        return False
    unnamed = any(c.unnamed_reads for c in chunks)
    return unnamed and len(frozenset().union(*(c.analyte_nms for c in chunks))) > 1


def _kept_parts(
    chunks: list[ChunkResult], records: list[FileRecord], owners: list[int], kept: Sequence[int]
) -> list:
    """The parts of the kept exports in the run's order: runs of exports from one chunk."""
    parts = []
    start = 0
    while start < len(kept):
        end = start
        while end + 1 < len(kept) and owners[kept[end + 1]] == owners[kept[start]]:
            end += 1
        chunk = chunks[owners[kept[start]]]
        assert chunk.part is not None  # a kept export was fitted in its chunk
        files = {str(records[i].export) for i in kept[start : end + 1]}
        parts.append(select_files(chunk.part, files))
        start = end + 1
    return parts


def _header(options: ChunkOptions) -> dict[str, Any]:
    """This process's provenance without plates: software, time, config and settings."""
    from elisa.files.provenance import provenance_record

    return provenance_record([], [], [], options.config, options.now)


def _refuse_other_software(chunks: Sequence[ChunkResult], software: dict[str, Any]) -> None:
    """A worker with other versions (of the toolkit, Python, numpy, scipy, lmfit) than this
    process could give other numbers than one process: an error naming both."""
    for chunk in chunks:
        theirs = None if chunk.part is None else chunk.part.results.provenance["software"]
        if theirs is not None and theirs != software:
            raise ElisaError(
                f"a dask worker runs {_versions(theirs)} but this process runs "
                f"{_versions(software)}: install the same versions on every worker"
            )


def _versions(software: dict[str, Any]) -> str:
    return ", ".join(f"{name} {version}" for name, version in software.items())


def _raise(bad: BadFile) -> None:
    raise bad.error


def chunk_options(**settings: Any) -> ChunkOptions:
    """The ChunkOptions of a run started in this process's working folder."""
    return ChunkOptions(folder=os.getcwd(), **settings)
