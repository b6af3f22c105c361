"""Progress of a run on a terminal: one bar per stage (exports read, plates fitted, outputs
written) on stderr, cleared when the stage ends.

The library shows nothing by default (`NO_PROGRESS`); `elisa run` shows the bars when stderr is
a terminal and ``--quiet`` is not given (`terminal_progress`). A pipe or a log file never gets
bar frames: they are carriage-return redraws that only a terminal shows as one line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, TextIO

Advance = Callable[[], None]


def _nothing() -> None:
    return None


class Progress:
    """Stages of a run, each counted in steps; shown as bars on ``stream`` when ``shown``.

    `stage` yields the function to call once per step done. `write` prints a line (a bad file
    left out) above any bar being drawn, so bars and lines do not overwrite each other.
    """

    def __init__(self, stream: TextIO | None = None, *, shown: bool = False) -> None:
        self.stream = stream
        self.shown = shown
        self._bar: Any = None  # the tqdm bar being drawn, if any

    @contextmanager
    def stage(self, label: str, total: int, unit: str) -> Iterator[Advance]:
        """A stage of ``total`` steps of ``unit`` ("file", "plate"), labelled on the bar."""
        if not self.shown:
            yield _nothing
            return
        with _bar_class()(
            total=total,
            desc=label,
            unit=f" {unit}",
            file=self.stream,
            leave=False,  # the bar goes when its stage ends: the summary lines stay readable
            dynamic_ncols=True,
            mininterval=0.2,
        ) as bar:
            self._bar = bar
            try:
                yield lambda: bar.update(1)
            finally:
                self._bar = None

    def write(self, line: str) -> None:
        """Print ``line`` on the stream (stderr by default), above a bar being drawn."""
        stream = self.stream or sys.stderr
        if self._bar is not None:
            from tqdm import tqdm

            tqdm.write(line, file=stream)
        else:
            print(line, file=stream, flush=True)


@cache
def _bar_class() -> type:
    """tqdm's bar without its monitor thread: a run with no thread but its own may fork to
    render its outputs (`elisa.batch.two_processes`), and the bars redraw on each step anyway."""
    from tqdm import tqdm  # imported only when a bar is drawn

    return type("Bar", (tqdm,), {"monitor_interval": 0})


#: Progress that shows nothing (the library's default).
NO_PROGRESS = Progress()


def terminal_progress(stream: TextIO | None = None, *, quiet: bool = False) -> Progress:
    """Bars on ``stream`` (default stderr) when it is a terminal and not ``quiet``."""
    stream = stream or sys.stderr
    try:
        on_terminal = stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        on_terminal = False
    return Progress(stream, shown=on_terminal and not quiet)
