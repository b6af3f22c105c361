"""Units travel from the export into the layout `elisa inspect --layout-toml` writes, and every
unit conversion is said on the console, in the report and in provenance (issue 9, finding 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import read_rows, run_elisa
from tests.plates.readers.test_shared_formats import FORMATS, needs_shared, shared_files

#: Every shared export that carries a layout, with the options it needs to run as an ELISA
#: plate (FKN is in pg/mL, so exports in ng/mL or µg/mL are converted).
CARRYING_A_LAYOUT = {
    "agilent_biotek_gen5/allotropy__endpoint_pathlength_correct_singleplate.txt": [
        "--wavelength",
        "260",
    ],
    "agilent_biotek_gen5/allotropy__endpoint_stdcurve_singleplate_2.txt": [],
    "bmg_labtech/allotropy__smart_control_fluorescence_endpoint_example2.xlsx": [],
    "molecular_devices_softmax_pro/ELISAtools__Assay_2.txt": [],
    "molecular_devices_softmax_pro/ELISAtools__Assay_3_and_4.txt": [],
    "molecular_devices_softmax_pro/ELISAtools__Assay_11_and_12.txt": [],
    "molecular_devices_softmax_pro/allotropy__MD_SMP_absorbance_endpoint_example01.txt": [],
    "molecular_devices_softmax_pro/allotropy__group_with_partial_rows.txt": [],
    "molecular_devices_softmax_pro/"
    "allotropy__softmaxpro_example_group_with_missing_calc_column.txt": [],
    "tecan/wetlabtools__spark_absorbance_2.xlsx": [],
    "thermo_fisher_skanit/allotropy__skanit_data.xlsx": [],
}
#: A fluorescence plate: no ELISA run, refused the same way with either layout.
NOT_ABSORBANCE = {"bmg_labtech/allotropy__smart_control_fluorescence_endpoint_example2.xlsx"}


@needs_shared
def test_every_shared_file_carrying_a_layout_is_in_the_table():
    from plates.errors import AssayError
    from plates.readers import read_export

    carrying = set()
    for relative in shared_files():
        try:
            export = read_export(FORMATS / relative)
        except AssayError:
            continue
        if any(p.layout for p in export.plates):
            carrying.add(relative)
    assert carrying == set(CARRYING_A_LAYOUT)


def _conc(out: Path) -> list[tuple[str, str, str]]:
    return [(r["plate_id"], r["sample_id"], r["conc"]) for r in read_rows(out / "samples.csv")]


@needs_shared
@pytest.mark.parametrize("relative", sorted(CARRYING_A_LAYOUT))
def test_written_layout_gives_the_concentrations_of_the_carried_one(relative, tmp_path):
    export = FORMATS / relative
    extra = ["--analyte", "FKN", "--no-db", *CARRYING_A_LAYOUT[relative]]
    inspected = run_elisa(["inspect", export, "--layout-toml", tmp_path / "lay.toml"], tmp_path)
    assert inspected.code == 0, inspected.err
    carried = run_elisa(["run", export, "--layout-from-export", "--out", "a", *extra], tmp_path)
    written = run_elisa(
        ["run", export, "--layout", tmp_path / "lay.toml", "--out", "b", *extra], tmp_path
    )
    if relative in NOT_ABSORBANCE:
        assert carried.code == written.code == 2
        assert "absorbance" in carried.err and "absorbance" in written.err
        return
    assert carried.code in (0, 1), carried.err
    assert written.code == carried.code, written.err
    a, b = _conc(tmp_path / "a"), _conc(tmp_path / "b")
    assert a == b and len(a) > 0
    assert [ln for ln in carried.out.splitlines() if ln.startswith("unit:")] == [
        ln for ln in written.out.splitlines() if ln.startswith("unit:")
    ]


@needs_shared
def test_md_example_in_ng_per_ml_is_converted_and_said_everywhere(tmp_path):
    """The issue's case: sample 01 read in ng/mL (about 250) is reported in pg/mL (about 250,000),
    the same with the written layout as with the carried one."""
    export = (
        FORMATS
        / "molecular_devices_softmax_pro/allotropy__MD_SMP_absorbance_endpoint_example01.txt"
    )
    run_elisa(["inspect", export, "--layout-toml", tmp_path / "lay.toml"], tmp_path)
    assert 'unit = "ng/mL"' in (tmp_path / "lay.toml").read_text(encoding="utf-8")
    result = run_elisa(
        ["run", export, "--layout", tmp_path / "lay.toml", "--analyte", "FKN", "--no-db"],
        tmp_path,
    )
    rows = {(r["plate_id"], r["sample_id"]): r for r in read_rows(tmp_path / "results/samples.csv")}
    carried = run_elisa(
        ["run", export, "--layout-from-export", "--analyte", "FKN", "--no-db", "--out", "carried"],
        tmp_path,
    )
    assert carried.code in (0, 1), carried.err
    from_export = {
        (r["plate_id"], r["sample_id"]): r for r in read_rows(tmp_path / "carried/samples.csv")
    }
    conc = float(rows[("Plate01", "01")]["conc"])
    assert conc == pytest.approx(float(from_export[("Plate01", "01")]["conc"]), rel=1e-12)
    assert 1e5 < conc < 1e6  # pg/mL; the same sample in ng/mL would read about 250
    assert rows[("Plate01", "01")]["unit"] == "pg/mL"
    lines = [ln for ln in result.out.splitlines() if ln.startswith("unit:")]
    assert lines == [
        f"unit: {p} [FKN]: layout concentrations in ng/mL converted to pg/mL (×1,000); "
        "results are in pg/mL"
        for p in ("Plate01", "Plate02")
    ]
    prov = json.loads((tmp_path / "results/provenance.json").read_text(encoding="utf-8"))
    for plate in prov["plates"]:
        assert plate["unit"] == "pg/mL" and plate["layout_unit"] == "ng/mL"
        assert plate["unit_conversion"]["factor"] == 1000.0
        assert plate["unit_conversion"]["from_unit"] == "ng/mL"
    html = (tmp_path / "results/report.html").read_text(encoding="utf-8")
    assert html.count('class="unit-conversion"') == 2
    assert "were in ng/mL, converted ×1,000 to pg/mL" in html


def test_no_conversion_is_recorded_when_units_agree(fixture_plate, tmp_path):
    export, layout = fixture_plate("fkn_clean")
    result = run_elisa(["run", export, "--layout", layout, "--no-db"], tmp_path)
    assert "unit:" not in result.out
    prov = json.loads((tmp_path / "results/provenance.json").read_text(encoding="utf-8"))
    assert prov["plates"][0]["unit_conversion"] is None and prov["plates"][0]["unit"] == "pg/mL"
    html = (tmp_path / "results/report.html").read_text(encoding="utf-8")
    assert "unit-conversion" not in html and "<dt>Unit of results</dt><dd>pg/mL</dd>" in html
