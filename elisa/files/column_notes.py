"""What each column of the result tables means and its unit (results.xlsx ``columns`` sheet).

Concentrations are in the analyte's unit (the ``unit`` column of samples.csv; a layout in
another unit is converted, see provenance.json). Standards and curve values are in-well
concentrations; sample and control values are after dilution (DESIGN 5.1).
"""

from __future__ import annotations

import pandas as pd

from elisa.results import TABLE_COLUMNS

CONC = "{unit}"
IN_WELL = "{unit}, in well"
OD = "OD (absorbance)"
PCT = "%"

#: (table, column) → (unit template, description); {unit} is the run's concentration unit.
NOTES: dict[tuple[str, str], tuple[str, str]] = {
    ("*", "plate_id"): ("", "plate id: [expt] plate_id, else the plate's name, else file stem"),
    ("*", "analyte"): ("", "canonical analyte name"),
    ("samples", "unit"): ("", "unit of every concentration of the row"),
    ("samples", "kind"): ("", "sample or control"),
    ("*", "sample_id"): ("", "sample id or control name from the layout"),
    ("*", "dilution"): ("fold", "dilution factor applied before the assay"),
    ("*", "n_wells"): ("wells", "usable wells (not saturated, not masked, read)"),
    ("*", "od_mean"): (OD, "mean corrected OD of the usable wells"),
    ("*", "od_cv_pct"): (PCT, "CV of the corrected ODs"),
    ("samples", "conc"): (CONC, "concentration of the mean OD, after dilution"),
    ("samples", "conc_sd"): (CONC, "SD of the wells' concentrations, after dilution"),
    ("samples", "conc_cv_pct"): (PCT, "replicate CV of the wells' concentrations"),
    ("samples", "conc_se"): (CONC, "standard error of conc (delta method)"),
    ("samples", "conc_ci_low"): (CONC, "95 % interval, lower end (log scale)"),
    ("samples", "conc_ci_high"): (CONC, "95 % interval, upper end (log scale)"),
    ("samples", "range"): ("", "below, in or above the LLOQ-ULOQ range (in-well value)"),
    ("samples", "reportable"): ("", "in range, fit converged, not high_cv, ≥ 2 usable wells"),
    ("*", "flags"): ("", "flags, ';'-joined (see the README)"),
    ("standards", "level"): ("", "standard level, 1..n by ascending nominal"),
    ("standards", "nominal"): (IN_WELL, "nominal concentration of the level"),
    ("standards", "backfit"): (IN_WELL, "concentration of the level's mean OD on the curve"),
    ("standards", "recovery_pct"): (PCT, "100 · backfit / nominal"),
    ("standards", "anchor"): ("", "anchor point: in the fit, not judged"),
    ("standards", "passed"): ("", "recovery within limits (empty for anchors)"),
    ("curves", "model"): ("", "4PL or 5PL"),
    ("curves", "weighting"): ("", "none, 1/y, 1/y^2 or pom"),
    ("curves", "theta"): ("", "power of the mean (pom weighting only)"),
    ("curves", "a"): (OD, "response at zero concentration"),
    ("curves", "b"): ("", "slope"),
    ("curves", "c"): (IN_WELL, "EC50 (4PL)"),
    ("curves", "d"): (OD, "response at infinite concentration"),
    ("curves", "g"): ("", "5PL asymmetry (1 for 4PL)"),
    ("curves", "se_a"): (OD, "standard error of a"),
    ("curves", "se_b"): ("", "standard error of b"),
    ("curves", "se_c"): (IN_WELL, "standard error of c"),
    ("curves", "se_d"): (OD, "standard error of d"),
    ("curves", "se_g"): ("", "standard error of g (5PL)"),
    ("curves", "r_squared"): ("", "R² on the standard wells (unweighted)"),
    ("curves", "rmse"): (OD, "√(weighted SSE / (n − p))"),
    ("curves", "lloq"): (IN_WELL, "lowest passing standard level"),
    ("curves", "uloq"): (IN_WELL, "highest passing standard level"),
    ("curves", "lloq_profile"): (IN_WELL, "lower end where the precision profile CV ≤ 20 %"),
    ("curves", "uloq_profile"): (IN_WELL, "upper end where the precision profile CV ≤ 20 %"),
    ("curves", "converged"): ("", "the fit converged"),
    ("curves", "message"): ("", "fit message"),
    ("wells", "well"): ("", "well name"),
    ("wells", "role"): ("", "standard, blank, control, sample or empty"),
    ("wells", "conc_nominal"): (CONC, "layout conc (standards in well, controls neat)"),
    ("wells", "od_raw"): (OD, "raw read at the measurement wavelength"),
    ("wells", "od"): (OD, "corrected OD: minus reference read and blank mean"),
    ("wells", "conc_well"): (CONC, "the well's concentration (after dilution)"),
    ("wells", "saturated"): ("", "the reader saturated"),
    ("wells", "masked"): ("", "masked: left out of every calculation"),
    ("runs", "run_date"): ("", "run date, ISO 8601 (source in provenance.json)"),
    ("runs", "lot"): ("", "kit lot"),
    ("runs", "source_file"): ("", "the export"),
    ("runs", "source_sha256"): ("", "SHA-256 of the export's bytes"),
    ("runs", "verdict"): ("", "pass or fail"),
    ("runs", "reasons"): ("", "fail codes, ';'-joined"),
    ("runs", "warnings"): ("", "warning codes, ';'-joined"),
    ("runs", "out_of_spec"): ("", "a Westgard reject rule fired (empty without a store)"),
    ("runs", "rules"): ("", "Westgard rules that fired"),
    ("runs", "intra_cv_pct"): (PCT, "pooled intra-assay CV"),
    ("runs", "intra_cv_limit_pct"): (PCT, "the analyte's intra-assay CV limit"),
    ("runs", "standards_passed"): ("levels", "passing standard levels"),
    ("runs", "standards_total"): ("levels", "judged standard levels"),
    ("runs", "controls_passed"): ("results", "passing control results"),
    ("runs", "controls_total"): ("results", "judged control results"),
    ("reassay", "reason"): ("", "saturated, no_solution, high_cv, above or plate_failed"),
    ("reassay", "suggested_dilution"): ("fold", "dilution to run it at"),
}


def column_rows(samples: pd.DataFrame) -> list[dict[str, str]]:
    """One row per (sheet, column): its unit (with the run's concentration unit filled in)
    and what it means."""
    units = sorted({str(u) for u in samples["unit"].dropna() if str(u)})
    unit = " or ".join(units) if units else "the analyte's unit"
    rows = []
    for table, columns in TABLE_COLUMNS.items():
        for column in columns:
            template, text = NOTES.get((table, column)) or NOTES[("*", column)]
            rows.append(
                {
                    "sheet": table,
                    "column": column,
                    "unit": template.format(unit=unit),
                    "description": text,
                }
            )
    return rows
