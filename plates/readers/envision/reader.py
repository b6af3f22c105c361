"""The ``envision`` format: Revvity / PerkinElmer plate-reader text exports.

Four layouts, told apart by content:

- EnVision / EnSpire Workstation csv (``Plate information`` blocks; export formats ``Plate``
  with header-less grids, ``Plate2``/``Plate4`` with ``,01,02,...`` headers; the separator follows
  the Windows locale), see :mod:`plates.readers.envision.workstation`;
- Kaleido csv (``Results for ABS mono 1``, ``Barcode: ..., PlateRepeat: 1``), see
  :mod:`plates.readers.envision.kaleido`;
- VICTOR Nivo ``WELL RESULTS`` csv and VICTOR X3 (Wallac workstation) tab-separated list,
  see :mod:`plates.readers.envision.victor`.

Raw reads go to ``od``; calculated blocks (``Calculated results: Calc 1: ...``) and ``Signal
for`` grids to ``derived``; an EnSpire ``Saturated for ...`` grid marks ``SAT`` wells saturated.
Reads repeated over time (plate repeats, kinetic cycles) are refused: an endpoint ELISA needs
one read per wavelength. Fluorescence and luminescence reads are read with ``read_mode`` set.
"""

from __future__ import annotations

from pathlib import Path

from plates.model import PlateRead
from plates.readers.envision import kaleido as envision_kaleido
from plates.readers.envision import victor as envision_victor
from plates.readers.envision import workstation as envision_workstation
from plates.readers.envision.common import err

FORMAT = "envision"
SNIFF_ORDER = 50

_VARIANTS = (
    (envision_workstation.sniff, envision_workstation.read),
    (envision_kaleido.sniff, envision_kaleido.read),
    (envision_victor.sniff_nivo, envision_victor.read_nivo),
    (envision_victor.sniff_x3, envision_victor.read_x3),
)


def sniff(text: str) -> bool:
    return any(test(text) for test, _ in _VARIANTS)


def read(text: str, path: Path) -> tuple[PlateRead, ...]:
    for test, reader in _VARIANTS:
        if test(text):
            return reader(text, path)
    raise err(
        path,
        "not a Revvity/PerkinElmer export: expected 'Plate information' blocks"
        " (EnVision, EnSpire), 'Results for' grids (Kaleido), 'WELL RESULTS' (VICTOR Nivo)"
        " or a Plate/Repeat/Well list (VICTOR X3)",
        1,
    )
