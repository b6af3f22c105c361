"""Printing to the terminal: every line with its control characters made visible.

Plate ids, sample names, users and file names come from files and command lines; a terminal
control sequence among them (ESC, a carriage return, a C1 control, a bidirectional override)
could rewrite what the user sees. Everything the CLI prints goes through `echo`, which shows
such characters as escapes (``\\x1b``, ``\\u202e``) and keeps each call to one line.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

#: C0 controls (tab and newline included: each printed call is one line), DEL, C1 controls,
#: and the Unicode bidirectional controls that reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object) -> str:
    """``text`` with every control character replaced by a visible escape (``\\xNN``)."""
    return _CONTROL.sub(_escape, str(text))


def echo(*parts: object, file: TextIO | None = None) -> None:
    """Print one line (the parts joined by spaces, like `print`), controls escaped."""
    print(visible(" ".join(str(p) for p in parts)), file=file or sys.stdout)
