"""The plausible range of an absorbance reading, checked on every plate a reader returns.

A value outside it (-0.9, 99999, 1e300) is damage or a wrong column, never an OD: it is bad
input naming the plate, read and well. The reader's own overflow markers (``OVRFLW``, ``OVER``,
...) are saturated wells and never reach this check. Fluorescence and luminescence plates
(``read_mode`` other than absorbance) have other scales and are not checked.
"""

from __future__ import annotations

import numpy as np

from plates.errors import PlateError
from plates.limits import InputLimits
from plates.model import ExportFile
from plates.wells import format_well

__all__ = ["check_od_range"]


def check_od_range(export: ExportFile, limits: InputLimits) -> None:
    """Refuse the first absorbance well outside ``[limits.od_min, limits.od_max]``."""
    for k, plate in enumerate(export.plates, start=1):
        if plate.metadata.get("read_mode", "absorbance") != "absorbance":
            continue
        od = plate.od
        with np.errstate(invalid="ignore"):
            bad = np.isfinite(od) & ((od < limits.od_min) | (od > limits.od_max))
        bad |= np.isinf(od)
        if not bad.any():
            continue
        w, r, c = (int(i) for i in np.argwhere(bad)[0])
        wave = plate.wavelengths[w]
        read = f"{wave} nm" if wave is not None else "the read"
        name = plate.name or f"plate {k}"
        raise PlateError(
            f"{name}, well {format_well(r, c)} at {read}: OD {od[w, r, c]:g} is outside the"
            f" plausible absorbance range {limits.od_min:g} to {limits.od_max:g} (a damaged"
            " file or a wrong column; [limits] od_min / od_max in elisa.toml)",
            file=export.path,
        )
