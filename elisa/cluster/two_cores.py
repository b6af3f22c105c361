"""A large run on this machine's two cores, without a cluster.

The exports are cut into two chunks in their order; a forked process processes the second
(`elisa.batch.two_processes`) while the run processes the first, and the chunks are gathered as
a cluster's are (`elisa.cluster.session.gather_chunks`): the same Results as one process, in
about half the processing time. Where forking is not safe, both chunks are processed here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from elisa.batch.pairing import BadFile
from elisa.batch.progress import NO_PROGRESS, Progress
from elisa.batch.two_processes import in_two_processes
from elisa.cluster.chunks import ChunkOptions, ChunkResult, Pair, process_chunk
from elisa.cluster.session import gather_chunks, given_pairs
from elisa.results import Results

__all__ = ["process_on_two_cores"]


def process_on_two_cores(
    pairs: Sequence[tuple[Path, Path | None]],
    options: ChunkOptions,
    *,
    on_bad_file: Callable[[BadFile], None] | None = None,
    progress: Progress = NO_PROGRESS,
    one_process: Callable[[], Results],
) -> Results:
    """What `process` gives for ``pairs`` (exports with their layouts, None for the export's
    own), processed in two chunks, the second in a forked process."""

    if options.config.rules.fitter == "batched":
        from elisa.fit.batched import load_compiled

        load_compiled()  # before the fork: both processes then share it

    def run(batch: list[Pair], advance: Callable[[], None]) -> list[ChunkResult]:
        half = (len(batch) + 1) // 2
        chunks = [chunk for chunk in (batch[:half], batch[half:]) if chunk]
        sizes = iter(len(chunk) for chunk in chunks)

        def chunk_done() -> None:
            for _ in range(next(sizes)):
                advance()

        here, there = in_two_processes(
            [partial(process_chunk, chunks[0], options)],
            [partial(process_chunk, chunk, options) for chunk in chunks[1:]],
            chunk_done,
        )
        return here + there

    return gather_chunks(
        run,
        given_pairs(pairs),
        options,
        "processing plates",
        on_bad_file=on_bad_file,
        progress=progress,
        one_process=one_process,
    )
