"""Concentration unit conversion between a layout's `[expt] unit` and the analyte's unit."""

from __future__ import annotations

#: Mass concentrations in pg/mL.
_MASS_PER_VOLUME = {
    "pg/ml": 1.0,
    "ng/ml": 1e3,
    "ug/ml": 1e6,
    "µg/ml": 1e6,
    "mg/ml": 1e9,
    "pg/l": 1e-3,
    "ng/l": 1.0,
    "ug/l": 1e3,
    "µg/l": 1e3,
}


def _key(unit: str) -> str:
    return "".join(unit.split()).casefold().replace("μ", "µ")


def conversion_factor(from_unit: str, to_unit: str) -> float | None:
    """Factor taking a value in ``from_unit`` to ``to_unit``; None when no conversion is known."""
    a, b = _key(from_unit), _key(to_unit)
    if a == b:
        return 1.0
    if a in _MASS_PER_VOLUME and b in _MASS_PER_VOLUME:
        return _MASS_PER_VOLUME[a] / _MASS_PER_VOLUME[b]
    return None
