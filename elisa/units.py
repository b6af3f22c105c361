"""Concentration unit conversion between a layout's `[expt] unit` and the analyte's unit.

Every conversion is a `UnitConversion` record: the pipeline puts it into provenance.json, the
command line prints it and the report shows it, so a factor of 1000 never passes unseen.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def factor_text(factor: float) -> str:
    """A conversion factor for people: 1,000,000 rather than 1e+06; 0.001 as it is."""
    if factor >= 1 and float(factor).is_integer():
        return f"{int(factor):,}"
    return f"{factor:g}"


@dataclass(frozen=True)
class UnitConversion:
    """The layout's concentrations (standards' and controls' `conc`, `conc_low`, `conc_high`)
    were multiplied by ``factor`` to take them from ``from_unit`` to the analyte's ``to_unit``;
    every result of the plate is in ``to_unit``."""

    plate_id: str
    analyte: str
    from_unit: str
    to_unit: str
    factor: float
    layout: str  # the layout file, or the export whose carried layout it is

    def sentence(self) -> str:
        """One line for the console and the report."""
        return (
            f"{self.plate_id} [{self.analyte}]: layout concentrations in {self.from_unit} "
            f"converted to {self.to_unit} (×{factor_text(self.factor)}); results are in {self.to_unit}"
        )


def conversion_lines(provenance: dict) -> list[str]:
    """The sentences of every unit conversion recorded in a run's provenance."""
    return [
        UnitConversion(**plate["unit_conversion"]).sentence()
        for plate in provenance.get("plates", [])
        if plate.get("unit_conversion")
    ]
