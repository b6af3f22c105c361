"""Turn the bytes of a text export into text.

Instruments write UTF-8 (with or without BOM), UTF-16 (SoftMax Pro 7: LE with BOM; some tools
without BOM) and Windows code page 1252. The result has ``\\n`` newlines only and ordinary
spaces instead of no-break spaces.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from plates.errors import PlateError

_NBSP = {"\u00a0": " ", "\u202f": " ", "\u2007": " "}
_SAMPLE = 4096


class NotTextError(PlateError):
    """The bytes are not text in an encoding we recognise (binary data)."""


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when NUL bytes sit in every other position, else None."""
    sample = data[:_SAMPLE]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_nul = sum(1 for i in range(0, 2 * pairs, 2) if sample[i] == 0)
    odd_nul = sum(1 for i in range(1, 2 * pairs, 2) if sample[i] == 0)
    if odd_nul >= 0.4 * pairs and even_nul <= 0.05 * pairs:
        return "utf-16-le"
    if even_nul >= 0.4 * pairs and odd_nul <= 0.05 * pairs:
        return "utf-16-be"
    return None


def _choose_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"  # the codec reads the BOM and drops it
    guess = _utf16_without_bom(data)
    if guess:
        return guess
    if b"\x00" in data:
        raise NotTextError("the file is binary (it contains NUL bytes), not a text export")
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def normalise(text: str) -> str:
    """``\\r\\n`` and ``\\r`` to ``\\n``; no-break spaces to spaces; a stray BOM dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for old, new in _NBSP.items():
        text = text.replace(old, new)
    return text.lstrip("\ufeff")


def _looks_binary(text: str) -> bool:
    sample = text[:_SAMPLE]
    if "\x00" in sample:
        return True
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return bool(sample) and controls > max(2, 0.05 * len(sample))


def decode_text(data: bytes) -> DecodedText:
    """Decode export bytes; raise :class:`NotTextError` for binary or undecodable data."""
    encoding = _choose_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise NotTextError(
            f"the file cannot be read as {encoding} text ({exc.reason} at byte {exc.start})"
        ) from None
    if _looks_binary(text):
        raise NotTextError("the file is binary (control characters), not a text export")
    return DecodedText(normalise(text), encoding)


def decode(data: bytes) -> str:
    """Just the text of :func:`decode_text`."""
    return decode_text(data).text
