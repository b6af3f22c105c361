"""A large run's work on two cores: one share of it in a forked process.

A thousand-plate run spends seconds processing its exports and seconds rendering its outputs,
in parts that do not depend on each other. Where forking is safe (Linux, two cores or more, no
other thread in this process), `in_two_processes` runs one list of steps in a forked child while
this process runs the other, and `InChild` starts steps in a child whose results are collected
later, after other work here. The child inherits what the steps read (copy on write, nothing is
sent to it) and sends back only their results. Elsewhere, and whenever the child fails or dies,
its steps run here instead, so the results are the same either way and an error is raised here
with its own traceback. Used for a large run's processing (`elisa.cluster.two_cores`) and its
outputs (`elisa.files.staging`), some rendered while the store is updated (`elisa.run`).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

T = TypeVar("T")

__all__ = ["InChild", "fork_is_safe", "in_two_processes"]


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
    with InChild(there) as child:
        mine = _run(here, on_step)
        return mine, child.results(on_step)


class InChild(Generic[T]):
    """Steps started in a forked child now, their results collected later (`results`): the run
    goes on meanwhile. Without a safe fork (`fork_is_safe`), or when ``fork`` is False, the steps
    wait and run here when their results are asked for. Used as a context manager: leaving it
    before the results were collected (an error here) ends the child, whose work is not wanted.
    """

    def __init__(self, steps: Sequence[Callable[[], T]], *, fork: bool = True) -> None:
        self._steps = steps
        self._child: Any = None
        if not (fork and steps and fork_is_safe()):
            return
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        for stream in (sys.stdout, sys.stderr):  # else the child would write buffered text again
            stream.flush()
        self._child = context.Process(
            target=_run_and_send, args=(steps, send, self._receive), daemon=True
        )
        self._child.start()
        send.close()

    def results(self, on_step: Callable[[], None] = lambda: None) -> list[T]:
        """The steps' results, in order (waits for the child). A child that failed or died has
        its steps run here, to the same results, so an error is raised here with its own
        traceback. ``on_step`` is called once per step."""
        if self._child is None:
            return _run(self._steps, on_step)
        theirs = _received(self._receive)  # interrupted: leaving the context ends the child
        self._end(finished=True)
        if theirs is None:
            return _run(self._steps, on_step)
        for _ in self._steps:
            on_step()
        return theirs

    def _end(self, *, finished: bool) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        self._receive.close()
        if not finished:
            child.terminate()
        child.join()

    def __enter__(self) -> InChild[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self._end(finished=False)


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
