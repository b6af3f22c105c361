"""Checking the values of a layout's wells and ``[expt]`` fields (DESIGN 3.2).

Each check raises the error that ``err(message[, well])`` makes; the loader in
:mod:`plates.layout.loader` supplies it with the file and plate.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

ROLES = ("standard", "blank", "control", "sample", "empty")
_ALLOWED_ROLES = ", ".join(ROLES)
WELL_FIELDS = ("role", "conc", "conc_low", "conc_high", "sample", "dilution", "anchor", "mask")
EXPT_FIELDS = ("analyte", "plate_id", "date", "lot", "unit")
COLUMNS = (
    "well",
    "row",
    "col",
    "role",
    "conc",
    "conc_low",
    "conc_high",
    "sample",
    "dilution",
    "anchor",
    "mask",
)
#: the largest plausible concentration (1e12 pg/mL is 1 g/mL) and dilution factor: larger
#: values (1e308) are damage, and would overflow the back-calculation
MAX_CONC = 1e12
MAX_DILUTION = 1e7
WELLMAP_COLUMNS = {"well", "well0", "row", "col", "row_i", "col_j", "plate", "path"}


@dataclass(frozen=True)
class PlateWells:
    """A plate's expanded wells, in the order the layout's reader lists them.

    ``records[k]`` holds well ``names[k]``'s fields (what is missing is absent, None or NaN).
    Wells whose fields all come from the same tables (the two wells of a replicate block, the
    wells of one row) may share one record object, so a check of a record's values is made
    once per distinct record. ``fields`` names every field given anywhere, in order of first
    appearance.
    """

    names: Sequence[str]  # the wells as the layout's reader names them (A1, or A01)
    rows: Sequence[int]  # 0-based row of each well
    cols: Sequence[int]  # 0-based column of each well
    records: Sequence[Mapping[str, Any]]
    fields: Sequence[str]

    def distinct_records(self) -> list[tuple[str, Mapping[str, Any]]]:
        """Each distinct record object once, with the first well that has it, in well order."""
        first: dict[int, tuple[str, Mapping[str, Any]]] = {}
        for name, record in zip(self.names, self.records, strict=True):
            first.setdefault(id(record), (name, record))
        return list(first.values())


__all__ = [
    "COLUMNS",
    "EXPT_FIELDS",
    "ROLES",
    "WELL_FIELDS",
    "PlateWells",
    "check_unknown",
    "check_well",
    "experiment_fields",
    "is_given",
]


def is_given(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # pandas turns integer ids into floats when some wells lack one
    return str(value)


def check_well(rec: Mapping[str, Any], err) -> dict:
    """Validate one well's fields (``rec`` may hold others, such as [expt]'s: they are not read
    here); return the normalised row values."""
    given = {f for f in WELL_FIELDS if f in rec and is_given(rec[f])}
    out: dict[str, Any] = {
        "role": "empty",
        "conc": math.nan,
        "conc_low": math.nan,
        "conc_high": math.nan,
        "sample": None,
        "dilution": 1.0,
        "anchor": False,
        "mask": None,
    }
    if not given:
        return out
    allowed = _ALLOWED_ROLES
    if "role" not in given:
        fields = ", ".join(sorted(given))
        raise err(f"has {fields} but no role: expected role = one of {allowed}")
    role = rec["role"]
    if not isinstance(role, str) or role.strip().lower() not in ROLES:
        raise err(f"unknown role {role!r}: expected one of {allowed}")
    role = out["role"] = role.strip().lower()

    for name in ("conc", "conc_low", "conc_high"):
        if name in given:
            value = rec[name]
            if not _is_number(value) or value < 0:
                raise err(f"{name} must be a number >= 0, found {value!r}")
            if value > MAX_CONC:
                raise err(
                    f"{name} = {value:g} is not a plausible concentration (at most {MAX_CONC:g})"
                )
            out[name] = float(value)
    if role == "standard" and "conc" not in given:
        raise err("a standard needs conc (its nominal concentration), e.g. conc = 100")
    if ("conc_low" in given) != ("conc_high" in given):
        have, lack = ("conc_low", "conc_high") if "conc_low" in given else ("conc_high", "conc_low")
        raise err(f"has {have} but no {lack}: give both ends of the control's acceptance range")
    if "conc_low" in given and out["conc_low"] > out["conc_high"]:
        raise err(f"conc_low ({out['conc_low']:g}) is above conc_high ({out['conc_high']:g})")
    if "dilution" in given:
        value = rec["dilution"]
        if not _is_number(value) or value <= 0:
            raise err(f"dilution must be a number > 0, found {value!r}")
        if value > MAX_DILUTION:
            raise err(
                f"dilution = {value:g} is not a plausible dilution factor (at most"
                f" {MAX_DILUTION:g})"
            )
        out["dilution"] = float(value)
    if "sample" in given:
        value = rec["sample"]
        if isinstance(value, (bool, list, dict)) or not _text(value).strip():
            raise err(f"sample must be an id (text), found {value!r}")
        out["sample"] = _text(value).strip()
    if role in ("sample", "control") and out["sample"] is None:
        what = (
            'the control\'s name, e.g. sample = "QC-low"'
            if role == "control"
            else 'the sample id, e.g. sample = "S001"'
        )
        raise err(f"a {role} needs sample ({what})")
    if "anchor" in given:
        if not isinstance(rec["anchor"], bool):
            raise err(f"anchor must be true or false, found {rec['anchor']!r}")
        out["anchor"] = rec["anchor"]
    if "mask" in given:
        value = rec["mask"]
        if not isinstance(value, str) or not value.strip():
            raise err(f"mask must be a reason (non-empty text), found {value!r}")
        out["mask"] = value.strip()
    return out


def _iso_date(value: Any, err) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value).strip()
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
        try:
            parse(text)
            return text
        except ValueError:
            pass
    raise err(f"date must be an ISO 8601 date such as 2024-03-01, found {value!r}")


def experiment_fields(wells: PlateWells, extras: dict, err) -> dict[str, Any]:
    """The [expt] fields the wells agree on (else from the file's notes); differing is an error.

    Only distinct records and distinct value objects are read: the distinct texts and the first
    value come out in the same order as from every well in turn.
    """
    records = [record for _well, record in wells.distinct_records()]
    expt: dict[str, Any] = {}
    for name in EXPT_FIELDS:
        present = [record[name] for record in records if name in record]
        # each value object once, in order of first appearance (a key keeps its first place)
        once = {id(value): value for value in present}
        values = [value for value in once.values() if is_given(value)]
        values = values or ([extras[name]] if name in extras else [])
        distinct = list(dict.fromkeys(_text(v) for v in values))
        if len(distinct) > 1:
            raise err(
                f"{name} differs between wells ({', '.join(distinct[:3])}); set it once in [expt]"
            )
        if values:
            value = values[0]
            expt[name] = _iso_date(value, err) if name == "date" else _text(value).strip()
    return expt


def check_unknown(wells: PlateWells, err) -> None:
    """A field that nearly matches a known one (``dillution``) is refused, naming its first well."""
    known = WELL_FIELDS + EXPT_FIELDS
    for field in wells.fields:
        if field in WELLMAP_COLUMNS or field in known:
            continue
        close = difflib.get_close_matches(str(field).lower(), known, n=1, cutoff=0.8)
        if close:
            for well, record in wells.distinct_records():
                if is_given(record.get(field)):
                    raise err(f"unknown field {field!r}: did you mean {close[0]!r}?", well)
