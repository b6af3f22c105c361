"""Which wells the report's plate map marks beyond their own flags: the wells of a replicate
group flagged high_cv (a group's flag, not a well's), of a failed standard level, and failed
control results (from provenance.json's ``failed_control_wells``)."""

from __future__ import annotations

from collections.abc import Iterable

from elisa.missing import as_bool, as_float
from elisa.report.rows import Rows, records
from elisa.report.tables import split_codes
from qc.codes import HIGH_CV


def well_marks(
    wells: Rows,
    samples: Rows,
    standards: Rows,
    failed_control_wells: Iterable[str] = (),
) -> dict[str, set[str]]:
    """Well → marks (``high_cv``, ``failed_standard``, ``failed_control``) for one plate."""
    marks: dict[str, set[str]] = {}
    high_cv = {
        (str(r["kind"]), str(r["sample_id"]), as_float(r["dilution"]))
        for r in records(samples)
        if HIGH_CV in split_codes(r.get("flags"))
    }
    failed_levels = {
        as_float(r["nominal"])
        for r in records(standards)
        if as_bool(r.get("anchor")) is not True and as_bool(r.get("passed")) is False
    }
    for w in records(wells):
        role, well = str(w.get("role")), str(w.get("well"))
        if (role, str(w.get("sample_id")), as_float(w.get("dilution"))) in high_cv:
            marks.setdefault(well, set()).add(HIGH_CV)
        if role == "standard" and as_float(w.get("conc_nominal")) in failed_levels:
            marks.setdefault(well, set()).add("failed_standard")
    for well in failed_control_wells:
        marks.setdefault(str(well), set()).add("failed_control")
    return marks
