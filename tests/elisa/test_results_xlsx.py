"""results.xlsx reads back, with openpyxl and with pandas, to the values of the CSV files
(issue 9, "What it must show" item 8)."""

from __future__ import annotations

import math

import openpyxl
import pandas as pd
import pytest

from elisa.results import TABLE_COLUMNS

SHEETS = tuple(TABLE_COLUMNS)


def _csv_value(text: str, sample: object) -> object:
    """A CSV cell as the value the workbook must hold (text → its type by the xlsx cell)."""
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    if isinstance(sample, (int, float)) and not isinstance(sample, bool):
        return float(text)
    return text[1:] if text.startswith("'") else text  # the CSV's formula guard


@pytest.mark.parametrize("name", ["fkn_bad_curve", "tracp5b_saturated", "fkn_discordant"])
def test_every_sheet_holds_the_csv_values(plate_outputs, name):
    run = plate_outputs(name)
    workbook = openpyxl.load_workbook(run.out_dir / "results.xlsx")
    assert workbook.sheetnames == [*SHEETS, "columns"]
    for sheet in SHEETS:
        rows = list(workbook[sheet].iter_rows(values_only=True))
        assert list(rows[0]) == list(TABLE_COLUMNS[sheet])
        csv_rows = run.rows(sheet)
        assert len(rows) - 1 == len(csv_rows)
        for values, csv_row in zip(rows[1:], csv_rows):
            for column, value in zip(TABLE_COLUMNS[sheet], values):
                expected = _csv_value(csv_row[column], value)
                if isinstance(expected, float):
                    assert isinstance(value, (int, float)) and not isinstance(value, bool)
                    assert value == expected, (sheet, column)  # unrounded, exactly
                else:
                    assert value == expected, (sheet, column, value, expected)


def test_numbers_are_numbers_and_booleans_booleans(plate_outputs):
    run = plate_outputs("fkn_bad_curve")
    samples = pd.read_excel(run.out_dir / "results.xlsx", sheet_name="samples")
    csv = pd.read_csv(run.out_dir / "samples.csv", keep_default_na=False, dtype=str)
    assert samples["reportable"].dtype == bool
    assert list(samples["reportable"]) == list(
        csv["reportable"].map({"true": True, "false": False})
    )
    for column in ("od_mean", "conc", "conc_ci_low", "dilution", "n_wells"):
        assert pd.api.types.is_numeric_dtype(samples[column]), column
        expected = pd.to_numeric(csv[column].replace("", None))
        assert samples[column].equals(expected) or all(
            (math.isnan(a) and math.isnan(b)) or a == b
            for a, b in zip(samples[column].astype(float), expected.astype(float))
        ), column
    assert samples["conc"].isna().sum() == (csv["conc"] == "").sum() > 0
    wells = pd.read_excel(run.out_dir / "results.xlsx", sheet_name="wells")
    assert wells["saturated"].dtype == bool and wells["masked"].dtype == bool


def test_columns_sheet_describes_every_column_with_its_unit(plate_outputs):
    run = plate_outputs("fkn_clean")
    columns = pd.read_excel(run.out_dir / "results.xlsx", sheet_name="columns", dtype=str)
    listed = list(zip(columns["sheet"], columns["column"]))
    assert listed == [(s, c) for s in SHEETS for c in TABLE_COLUMNS[s]]
    assert columns["description"].notna().all()
    unit = columns.set_index(["sheet", "column"])["unit"]
    assert unit[("samples", "conc")] == "pg/mL"
    assert unit[("standards", "nominal")] == "pg/mL, in well"
    assert unit[("samples", "od_cv_pct")] == "%"


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    from elisa.files.xlsx_write import results_xlsx
    from elisa.results import Results

    tables = {name: pd.DataFrame(columns=list(cols)) for name, cols in TABLE_COLUMNS.items()}
    tables["reassay"] = pd.DataFrame(
        [{"plate_id": "p", "sample_id": "=1+1", "dilution": 2.0, "reason": "above"}],
        columns=list(TABLE_COLUMNS["reassay"]),
    )
    data = results_xlsx(Results(**tables, plates=None))
    path = tmp_path / "r.xlsx"
    path.write_bytes(data)
    cell = openpyxl.load_workbook(path)["reassay"]["B2"]
    assert cell.value == "=1+1" and cell.data_type == "s"
    assert results_xlsx(Results(**tables, plates=None)) == data  # no timestamp inside


def test_every_entry_is_deflated_at_the_fixed_time_and_level():
    """The entries take the archive's level and ZipInfo's default time: that time must be
    FIXED_TIME, and the sheets deflated at COMPRESS_LEVEL (recompressed: the same bytes)."""
    import io
    import zipfile
    import zlib

    from elisa.files.xlsx_write import COMPRESS_LEVEL, FIXED_TIME, results_xlsx
    from elisa.results import Results

    tables = {name: pd.DataFrame(columns=list(cols)) for name, cols in TABLE_COLUMNS.items()}
    tables["reassay"] = pd.DataFrame(
        [
            {"plate_id": f"p{i}", "sample_id": f"s{i}", "dilution": i / 7, "reason": "above"}
            for i in range(500)
        ],
        columns=list(TABLE_COLUMNS["reassay"]),
    )
    data = results_xlsx(Results(**tables, plates=None))
    archive = zipfile.ZipFile(io.BytesIO(data))
    entries = archive.infolist()
    assert len(entries) == 6 + len(TABLE_COLUMNS) + 1  # package parts, sheets, columns sheet
    assert {e.date_time for e in entries} == {FIXED_TIME}
    assert {e.compress_type for e in entries} == {zipfile.ZIP_DEFLATED}
    sheet = next(e for e in entries if archive.read(e).count(b"<row ") > 400)
    raw = data[sheet.header_offset + 30 + len(sheet.filename) + len(sheet.extra) :]
    deflate = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
    again = deflate.compress(archive.read(sheet)) + deflate.flush()
    assert raw[: sheet.compress_size] == again


def test_control_characters_infinities_and_exact_floats(tmp_path):
    """Values openpyxl would lose or refuse: a C0 control in text (shown as an escape), an
    infinite number (Excel has none: kept as its text) and a float needing 17 digits."""
    from elisa.files.xlsx_write import results_xlsx
    from elisa.results import Results

    tables = {name: pd.DataFrame(columns=list(cols)) for name, cols in TABLE_COLUMNS.items()}
    tables["reassay"] = pd.DataFrame(
        [
            {"plate_id": "p\x07<&>", "sample_id": "s1", "dilution": math.inf, "reason": "above"},
            {"plate_id": "p", "sample_id": "s2", "dilution": 0.1 + 0.2, "reason": "above"},
        ],
        columns=list(TABLE_COLUMNS["reassay"]),
    )
    path = tmp_path / "r.xlsx"
    path.write_bytes(results_xlsx(Results(**tables, plates=None)))
    sheet = openpyxl.load_workbook(path)["reassay"]
    assert sheet["A2"].value == "p\\x07<&>"
    assert sheet["C2"].value == "inf" and sheet["C2"].data_type == "s"
    assert sheet["C3"].value == 0.30000000000000004
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == list(TABLE_COLUMNS["reassay"])
    assert sheet["A1"].font.b is True
