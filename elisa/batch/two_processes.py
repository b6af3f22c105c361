"""A large run's work on two cores: one share of it in a forked process.

A thousand-plate run spends seconds processing its exports and seconds rendering its outputs,
in parts that do not depend on each other. Where forking is safe (Linux, two cores or more, no
other thread in this process), `in_two_processes` runs one list of steps in a forked child while
this process runs the other: the child inherits what the steps read (copy on write, nothing is
sent to it) and sends back only their results. Elsewhere, and whenever the child fails or dies,
its steps run here instead, so the results are the same either way and an error is raised here
with its own traceback. Used for a large run's processing (`elisa.cluster.two_cores`) and its
outputs (`elisa.files.staging.render_outputs`).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["fork_is_safe", "in_two_processes"]


def fork_is_safe() -> bool:
    """Whether a child forked now runs safely and can run beside this process: Linux (macOS
    system libraries are not fork-safe), two cores or more, and no thread but this one (a
    thread holding a lock at the fork would leave the child's copy locked)."""
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and (os.cpu_count() or 1) >= 2
        and threading.active_count() == 1
    )


def in_two_processes(
    here: Sequence[Callable[[], T]],
    there: Sequence[Callable[[], T]],
    on_step: Callable[[], None] = lambda: None,
    *,
    fork: bool = True,
) -> tuple[list[T], list[T]]:
    """The results of the steps ``here`` and ``there``, in order; ``there`` runs in a forked
    child when ``fork`` is asked and `fork_is_safe`. ``on_step`` is called once per step done."""
    if not (fork and there and fork_is_safe()):
        return _run(here, on_step), _run(there, on_step)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    for stream in (sys.stdout, sys.stderr):  # else the child would write buffered text again
        stream.flush()
    child = context.Process(target=_run_and_send, args=(there, send, receive), daemon=True)
    child.start()
    send.close()
    finished = False
    try:
        mine = _run(here, on_step)
        theirs = _received(receive)
        finished = True
    finally:
        receive.close()
        if not finished:
            child.terminate()  # this process failed: the child's work is not wanted
        child.join()
    if theirs is None:  # the child failed or died: its steps run here, to the same bytes
        return mine, _run(there, on_step)
    for _ in there:
        on_step()
    return mine, theirs


def _run(steps: Sequence[Callable[[], T]], on_step: Callable[[], None]) -> list[T]:
    results = []
    for step in steps:
        results.append(step())
        on_step()
    return results


def _run_and_send(
    steps: Sequence[Callable[[], Any]], send: Connection, receive: Connection
) -> None:
    """The child: run ``steps`` and send their results, or None when one fails."""
    # the child's copy of the reading end, closed: once the run is gone (killed), nobody reads,
    # and sending fails at once instead of waiting for a reader forever
    receive.close()
    try:
        results: list[Any] | None = [step() for step in steps]
    except BaseException:
        results = None  # the parent runs them again and raises the error itself
    try:
        send.send(results)
    except OSError:
        pass  # the run ended (killed, or failed itself) and no longer reads: nothing to report
    finally:
        send.close()


def _received(receive: Connection) -> list[Any] | None:
    try:
        return receive.recv()
    except (EOFError, OSError):  # the child died before sending
        return None
