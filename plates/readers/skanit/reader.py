"""The ``skanit`` format: Thermo Fisher SkanIt Software exports.

- SkanIt 6/7 Excel report (Varioskan, Multiskan FC/GO …): one sheet per step, ``Abs`` grids with
  column headers ``1.0 … 12.0``, ``> Max`` / ``< Min``, calculation sheets (blank subtraction,
  standard curve with the vendor's 4PL, dilution factors) kept as ``derived`` and metadata,
  ``Layout definitions`` as the carried layout (:mod:`plates.readers.skanit.report`);
- Multiskan Sky Excel export: ``Raw data 450 nm`` lists (:mod:`plates.readers.skanit.sky`);
- Multiskan (Spectrum, Ascent) text export: ``Plate:1 - Wavelength:450``, ``Iteration: 1`` and
  header-less TAB grids (:mod:`plates.readers.skanit.text`).

Kinetic reads (several iterations or readings per wavelength) are refused: an endpoint ELISA
needs one read per wavelength. Default plate names (``Plate 1``) are not used as plate names
(they would give every export the same plate id); they are kept in ``metadata["plate_name"]``.
"""

from __future__ import annotations

from pathlib import Path

from plates.model import PlateRead
from plates.readers.common.workbook import Workbook
from plates.readers.skanit import report as skanit_report
from plates.readers.skanit import sky as skanit_sky
from plates.readers.skanit import text as skanit_text

FORMAT = "skanit"
SNIFF_ORDER = 50


def sniff(text: str) -> bool:
    return skanit_text.sniff(text)


def read(text: str, path: Path) -> tuple[PlateRead, ...]:
    return skanit_text.read(text, path)


def sniff_workbook(book: Workbook) -> bool:
    return skanit_report.is_report(book) or skanit_sky.is_sky(book)


def read_workbook(book: Workbook, path: Path) -> tuple[PlateRead, ...]:
    if skanit_report.is_report(book):
        return skanit_report.read(book, path)
    return skanit_sky.read(book, path)
