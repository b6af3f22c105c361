"""Choosing the measurement and reference reads of a plate (DESIGN 4.1)."""

from __future__ import annotations

from collections.abc import Sequence

from elisa.errors import ElisaError

REFERENCE_RANGE_NM = (540, 700)


def choose_reads(
    available: Sequence[int], measurement: int, reference: int | None, *, source: str, plate_id: str
) -> tuple[int, int | None]:
    """(measurement, reference) wavelengths to use; the reference is the shortest read in
    540–700 nm unless one is asked for. An absent wavelength is an error naming the reads."""
    reads = ", ".join(f"{w} nm" for w in sorted(available))
    if measurement not in available:
        raise ElisaError(
            f"plate {plate_id!r} has no read at {measurement} nm (reads: {reads}); "
            "choose one with --wavelength",
            file=source,
        )
    if reference is not None:
        if reference == measurement or not (
            REFERENCE_RANGE_NM[0] <= reference <= REFERENCE_RANGE_NM[1]
        ):
            raise ElisaError(
                f"--reference {reference} nm: a reference read lies in "
                f"{REFERENCE_RANGE_NM[0]}–{REFERENCE_RANGE_NM[1]} nm and differs "
                f"from the measurement wavelength ({measurement} nm)",
                file=source,
            )
        if reference not in available:
            raise ElisaError(
                f"plate {plate_id!r} has no reference read at {reference} nm (reads: {reads})",
                file=source,
            )
        return measurement, reference
    candidates = sorted(
        w
        for w in available
        if w != measurement and REFERENCE_RANGE_NM[0] <= w <= REFERENCE_RANGE_NM[1]
    )
    return measurement, (candidates[0] if candidates else None)
