"""The output contract of `elisa run` (DESIGN 5.1): headers, cell formats, formula
neutralisation, the report's safety, provenance, reproducibility, atomic replacement, row order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import tomllib
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import plate_paths, read_rows, run_elisa

# Written out from DESIGN 5.1, in order (deliberately not imported from elisa.results).
EXPECTED_HEADERS = {
    "samples": "plate_id,analyte,unit,kind,sample_id,dilution,n_wells,od_mean,od_cv_pct,conc,"
    "conc_sd,conc_cv_pct,conc_se,conc_ci_low,conc_ci_high,range,reportable,flags",
    "standards": "plate_id,analyte,level,nominal,n_wells,od_mean,od_cv_pct,backfit,recovery_pct,"
    "anchor,passed,flags",
    "curves": "plate_id,analyte,model,weighting,theta,a,b,c,d,g,se_a,se_b,se_c,se_d,se_g,"
    "r_squared,rmse,lloq,uloq,lloq_profile,uloq_profile,converged,message",
    "wells": "plate_id,well,role,sample_id,conc_nominal,dilution,od_raw,od,conc_well,saturated,"
    "masked,flags",
    "runs": "plate_id,analyte,run_date,lot,source_file,source_sha256,verdict,reasons,warnings,"
    "out_of_spec,rules,intra_cv_pct,intra_cv_limit_pct,standards_passed,standards_total,"
    "controls_passed,controls_total",
    "reassay": "plate_id,sample_id,dilution,reason,suggested_dilution",
}
OUTPUT_FILES = {f"{t}.csv" for t in EXPECTED_HEADERS} | {
    "results.xlsx",
    "report.html",
    "provenance.json",
}
BOOLEAN_COLUMNS = {
    "samples": ("reportable",),
    "standards": ("anchor", "passed"),
    "curves": ("converged",),
    "wells": ("saturated", "masked"),
}
# how pandas/numpy/Python spell a missing or non-finite value (`none` is a weighting, so the
# comparison is case-sensitive)
NAN_LIKE = {
    "nan",
    "NaN",
    "NAN",
    "None",
    "NULL",
    "null",
    "<NA>",
    "NaT",
    "NA",
    "N/A",
    "inf",
    "-inf",
    "+inf",
    "Inf",
    "-Inf",
    "Infinity",
    "-Infinity",
}

FORMULA_IDS = {"S018": '=HYPERLINK("x")', "S019": "+SUM(A1)", "S017": "-cmd", "S022": "@SUM(A1)"}
SCRIPT_ID = "<script>alert(1)</script>"
SCRIPT_REPLACES = "S016"
PLAIN_IDS = {"S026": 'S,26 "q"', "S029": "Sé-β 29"}  # CSV quoting and UTF-8, not formulas
PLATES = ("fkn_clean", "fkn_bad_curve", "tracp5b_saturated", "fkn_discordant")


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` (hidden ones too): file bytes, or None for a folder."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def _run_ok(args, cwd: Path, codes=(0, 1)):
    result = run_elisa(args, cwd)
    assert result.code in codes, (result.code, result.err)
    return result


# ---------------------------------------------------------------- headers and cells


@pytest.mark.parametrize("name", PLATES)
def test_headers_exactly_as_design(name, plate_outputs):
    run = plate_outputs(name)
    assert run.result.code in (0, 1), run.result.err
    assert {p.name for p in run.out_dir.iterdir()} == OUTPUT_FILES
    for table, header in EXPECTED_HEADERS.items():
        raw = (run.out_dir / f"{table}.csv").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), f"{table}.csv starts with a BOM"
        raw.decode("utf-8")
        first = raw.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8")
        assert first == header, f"{table}.csv header:\n{first}\nexpected\n{header}"


@pytest.mark.parametrize("name", PLATES)
def test_booleans_lowercase_and_missing_values_empty(name, plate_outputs):
    run = plate_outputs(name)
    for table, _header in EXPECTED_HEADERS.items():
        rows = run.rows(table)
        for i, row in enumerate(rows, start=2):
            assert None not in row, f"{table}.csv line {i} has more cells than the header"
            for column, cell in row.items():
                assert cell is not None, f"{table}.csv line {i} lacks {column}"
                assert cell.strip() not in NAN_LIKE, f"{table}.csv line {i} {column}={cell!r}"
        for column in BOOLEAN_COLUMNS.get(table, ()):
            for i, row in enumerate(rows, start=2):
                allowed = {"true", "false"}
                if table == "standards" and column == "passed" and row["anchor"] == "true":
                    allowed = {""}
                assert row[column] in allowed, f"{table}.csv line {i} {column}={row[column]!r}"
    for row in run.rows("runs"):
        assert row["out_of_spec"] == "" and row["rules"] == "", "no store: must be empty"


@pytest.mark.parametrize("name", ("fkn_clean", "tracp5b_saturated", "fkn_bad_curve"))
def test_csv_cells_match_api_exactly(name, plate_outputs):
    """Each CSV cell parses back to the API's DataFrame value exactly: floats unrounded (repr),
    integers as integers, booleans true/false, missing empty, numbers never prefixed."""
    import pandas as pd

    import elisa

    run = plate_outputs(name)
    export, layout = plate_paths(name)
    results = elisa.process([str(export)], [str(layout)])
    for table, header in EXPECTED_HEADERS.items():
        frame = getattr(results, table)
        assert list(frame.columns) == header.split(","), f"API {table} columns"
        rows = run.rows(table)
        assert len(rows) == len(frame), f"{table}: {len(rows)} CSV rows, {len(frame)} API rows"
        for i, (row, values) in enumerate(zip(rows, frame.itertuples(index=False)), start=2):
            for column, value in zip(frame.columns, values):
                cell = row[column]
                where = f"{table}.csv line {i} {column}: cell {cell!r}, API {value!r}"
                missing = (
                    value is None
                    or (isinstance(value, float) and math.isnan(value))
                    or value is pd.NA
                )
                if missing:
                    assert cell == "", where
                elif isinstance(value, (bool, np.bool_)):
                    assert cell == ("true" if value else "false"), where
                elif isinstance(value, Integral):
                    assert cell == str(int(value)), where
                elif isinstance(value, Real):
                    assert float(cell) == float(value), where
                    assert cell == repr(float(value)), where
                elif isinstance(value, str):
                    assert cell in (value, "'" + value), where
                    if cell != value:
                        assert value[:1] in ("=", "+", "-", "@", "\t", "\r"), where
                else:
                    assert cell == str(value), where


# ---------------------------------------------------------------- hostile sample ids


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """fkn_clean with sample ids a spreadsheet would run as formulas, and one with <script>."""
    export, layout = plate_paths("fkn_clean")
    work = tmp_path_factory.mktemp("hostile")
    text = layout.read_text(encoding="utf-8")
    for old, new in {**FORMULA_IDS, **PLAIN_IDS, SCRIPT_REPLACES: SCRIPT_ID}.items():
        assert f'sample = "{old}"' in text, old
        text = text.replace(f'sample = "{old}"', f"sample = '{new}'")
    hostile = work / "hostile.toml"
    hostile.write_text(text, encoding="utf-8")
    out = work / "out"
    result = _run_ok(["run", export, "--layout", hostile, "--out", out], work)
    import elisa

    api = elisa.process([str(export)], [str(hostile)])
    return out, api, result


@pytest.mark.parametrize("sample_id", sorted(FORMULA_IDS.values()))
def test_formula_sample_ids_neutralised_in_csv_kept_in_api(sample_id, hostile_run):
    out, api, _ = hostile_run
    assert sample_id in set(api.samples["sample_id"]), "the API keeps the id as given"
    assert f"'{sample_id}" not in set(api.samples["sample_id"])
    assert sample_id in set(api.wells["sample_id"].dropna())
    for table in ("samples", "wells", "reassay"):
        cells = [r["sample_id"] for r in read_rows(out / f"{table}.csv")]
        assert sample_id not in cells, f"{table}.csv has the raw formula {sample_id!r}"
        if table != "reassay":
            assert f"'{sample_id}" in cells, f"{table}.csv: {sample_id!r} not neutralised"
    sample_cells = [r["sample_id"] for r in read_rows(out / "samples.csv")]
    hit = next(c for c in sample_cells if c.endswith(sample_id))
    assert hit.startswith("'" + sample_id[0])


def test_hyperlink_cell_text(hostile_run):
    out, _, _ = hostile_run
    raw = (out / "samples.csv").read_text(encoding="utf-8")
    assert '"\'=HYPERLINK(""x"")"' in raw
    cells = [r["sample_id"] for r in read_rows(out / "samples.csv")]
    assert '\'=HYPERLINK("x")' in cells
    assert all(not c.startswith("=") for c in cells)


@pytest.mark.parametrize("sample_id", sorted(PLAIN_IDS.values()))
def test_plain_sample_ids_round_trip(sample_id, hostile_run):
    out, api, _ = hostile_run
    assert sample_id in set(api.samples["sample_id"])
    for table in ("samples", "wells"):
        assert sample_id in [r["sample_id"] for r in read_rows(out / f"{table}.csv")], table


def test_script_sample_id_escaped_in_report(hostile_run):
    out, api, _ = hostile_run
    assert SCRIPT_ID in set(api.samples["sample_id"])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert SCRIPT_ID not in html
    assert "<script>alert" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, "the id is shown, escaped"
    samples_cells = [r["sample_id"] for r in read_rows(out / "samples.csv")]
    assert SCRIPT_ID in samples_cells, "plain text (not a formula) is written as is in CSV"


# ---------------------------------------------------------------- report.html

NETWORK = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"""\b(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""",
        r"""url\(\s*["']?\s*(?:https?:)?//""",
        r"@import",
        r"""<link\b[^>]*\bhref\s*=\s*["']?(?!data:|#)""",
        r"<script\b[^>]*\bsrc\s*=",
    )
]


@pytest.mark.parametrize("name", PLATES)
def test_report_self_contained_with_svg(name, plate_outputs):
    run = plate_outputs(name)
    html = (run.out_dir / "report.html").read_text(encoding="utf-8")
    for pattern in NETWORK:
        match = pattern.search(html)
        assert match is None, f"network reference in report.html: {match.group(0)!r}"
    for literal in ('src="http', "src='http", 'href="http', "href='http", "url(http"):
        assert literal not in html.lower()
    assert "<svg" in html
    assert html.count("<svg") >= 2, "expected the curve and the plate map as inline SVG"
    assert name in html, "the report names the plate"
    verdict = run.rows("runs")[0]["verdict"]
    assert verdict in html


# ---------------------------------------------------------------- provenance.json


def _walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, path + (str(key),))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, path + (str(i),))
    else:
        yield path, node


def _has(doc, key_part: str, value) -> bool:
    return any(
        any(key_part in k.lower() for k in path[-1:]) and leaf == value for path, leaf in _walk(doc)
    )


def test_provenance_hashes_settings_version(plate_outputs):
    import elisa

    run = plate_outputs("fkn_clean")
    export, layout = plate_paths("fkn_clean")
    raw = (run.out_dir / "provenance.json").read_text(encoding="utf-8")
    doc = json.loads(raw)
    leaves = [leaf for _, leaf in _walk(doc)] + [k for path, _ in _walk(doc) for k in path]
    for path in (export, layout):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest in leaves, f"{path.name}'s SHA-256 is not in provenance.json"
        assert any(isinstance(x, str) and x.endswith(path.name) for x in leaves), path.name
    # the settings
    assert _has(doc, "model", "4PL")
    assert _has(doc, "weighting", "none")
    assert any("wavelength" in p[-1].lower() and leaf == 450 for p, leaf in _walk(doc))
    assert any("intra_cv_limit" in p[-1].lower() and leaf == 4.3 for p, leaf in _walk(doc))
    assert any("tolerance" in p[-1].lower() and leaf == 20.0 for p, leaf in _walk(doc)), (
        "the acceptance rules are recorded"
    )
    # the software version
    assert any("version" in p[-1].lower() and leaf == elisa.__version__ for p, leaf in _walk(doc))
    # a UTC time
    times = []
    for _, leaf in _walk(doc):
        if isinstance(leaf, str) and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", leaf):
            parsed = dt.datetime.fromisoformat(leaf.replace("Z", "+00:00"))
            if parsed.tzinfo is not None:
                times.append(parsed)
    assert any(t.utcoffset() == dt.timedelta(0) for t in times), "no UTC timestamp"


@pytest.mark.parametrize("how", ("--config", "./elisa.toml"))
def test_provenance_config_hash(how, tmp_path):
    export, layout = plate_paths("fkn_clean")
    config = tmp_path / "elisa.toml"
    config.write_text("[rules]\ncontrol_tolerance_pct = 20.0\n", encoding="utf-8")
    args = ["run", export, "--layout", layout, "--out", "out"]
    if how == "--config":
        other = tmp_path / "cfg"
        other.mkdir()
        config = config.rename(other / "lab.toml")
        args += ["--config", config]
    _run_ok(args, tmp_path, codes=(0,))
    doc = json.loads((tmp_path / "out" / "provenance.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(config.read_bytes()).hexdigest()
    assert digest in [leaf for _, leaf in _walk(doc)], "the configuration's SHA-256"


# ---------------------------------------------------------------- reproducible, atomic


def test_two_runs_give_byte_identical_csv(tmp_path, plate_outputs):
    first = plate_outputs("fkn_discordant")
    export, layout = plate_paths("fkn_discordant")
    _run_ok(["run", export, "--layout", layout, "--out", "second", "--no-db"], tmp_path)
    for table in EXPECTED_HEADERS:
        a = (first.out_dir / f"{table}.csv").read_bytes()
        b = (tmp_path / "second" / f"{table}.csv").read_bytes()
        assert a == b, f"{table}.csv differs between two runs on the same inputs"


def test_two_runs_with_a_store_give_byte_identical_csv(tmp_path):
    export, layout = plate_paths("fkn_discordant")
    for out in ("first", "second"):
        _run_ok(["run", export, "--layout", layout, "--out", out, "--db", "s.sqlite"], tmp_path)
    for table in EXPECTED_HEADERS:
        a = (tmp_path / "first" / f"{table}.csv").read_bytes()
        b = (tmp_path / "second" / f"{table}.csv").read_bytes()
        assert a == b, f"{table}.csv differs between two runs on the same inputs"
    runs = (tmp_path / "second" / "runs.csv").read_text(encoding="utf-8").splitlines()[1]
    assert ",pass,,,false,," in runs  # out_of_spec filled from the store, no rule fired


def _interrupt_disk_full(monkeypatch, out: Path) -> list:
    import elisa.files.swap

    real = elisa.files.swap.write_new
    calls: list = []

    def failing(path, data):
        if Path(path).name == "report.html":
            calls.append(path)
            raise OSError(28, "No space left on device (simulated)", str(path))
        return real(path, data)

    monkeypatch.setattr(elisa.files.swap, "write_new", failing)
    return calls


def _interrupt_report(monkeypatch, out: Path) -> list:
    import elisa.files.staging

    calls: list = []

    def failing(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("simulated crash while rendering the report")

    monkeypatch.setattr(elisa.files.staging, "report_files", failing)
    return calls


@pytest.mark.parametrize(
    "interrupt", (_interrupt_disk_full, _interrupt_report), ids=("disk_full", "render_report")
)
def test_interrupted_run_leaves_previous_outputs(interrupt, tmp_path, monkeypatch):
    out = tmp_path / "out"
    good, layout = plate_paths("fkn_clean")
    _run_ok(["run", good, "--layout", layout, "--out", out], tmp_path, codes=(0,))
    before = _snapshot(out)
    assert {p for p in before} == OUTPUT_FILES
    other, other_layout = plate_paths("fkn_bad_curve")  # different outputs, were it written
    calls = interrupt(monkeypatch, out)
    try:
        result = run_elisa(["run", other, "--layout", other_layout, "--out", out], tmp_path)
    except (OSError, RuntimeError):
        pass  # an uncaught crash is an interruption too; the folder is what matters here
    else:
        assert result.code != 0, "an interrupted run must not report success"
        assert result.code not in (0, 1) or result.err, result
    monkeypatch.undo()
    assert calls, "the simulated interruption was never reached"
    assert _snapshot(out) == before, "the previous outputs changed, or a staging folder remains"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []


# ---------------------------------------------------------------- row order


def _well_index(well: str) -> int:
    match = re.fullmatch(r"([A-P])(\d{1,2})", well)
    assert match, well
    return (ord(match.group(1)) - ord("A")) * 24 + int(match.group(2))


def _groups_by_first_well(layout_text: str) -> list[tuple[str, str, float]]:
    """(kind, sample id, dilution) of the layout's controls and samples, in the order DESIGN 5.1
    asks: controls first, then samples, each by first well row-major. The fixture layouts name
    every well through [block.WxH.WELL] sections, which this expands."""
    doc = tomllib.loads(layout_text)
    first: dict[tuple[str, str, float], int] = {}
    for size, blocks in doc.get("block", {}).items():
        width, height = (int(n) for n in size.split("x"))
        for top_left, fields in blocks.items():
            if fields.get("role") not in ("control", "sample"):
                continue
            match = re.fullmatch(r"([A-P])(\d{1,2})", top_left)
            row, col = ord(match.group(1)) - ord("A"), int(match.group(2))
            index = min((row + dr) * 24 + col + dc for dr in range(height) for dc in range(width))
            key = (fields["role"], str(fields["sample"]), float(fields.get("dilution", 1)))
            first[key] = min(first.get(key, index), index)
    assert not doc.get("well"), "this helper expects the fixture layouts' [block.*] sections only"
    return sorted(first, key=lambda k: (k[0] != "control", first[k]))


def test_rows_sorted_by_plate_kind_first_well(tmp_path):
    """Two exports whose plate ids sort opposite to the call order; in the second, a control
    (QC-low) sits after every sample on the plate and must still come first."""
    call = [("fkn_clean", "zulu_plate"), ("fkn_discordant", "alpha_plate")]
    args, layouts, expected_groups = ["run"], [], {}
    for name, plate_id in call:
        export, layout = plate_paths(name)
        text = layout.read_text(encoding="utf-8")
        assert f'plate_id = "{name}"' in text
        text = text.replace(f'plate_id = "{name}"', f'plate_id = "{plate_id}"')
        if plate_id == "alpha_plate":  # swap the QC-low block with the last block on the plate
            headers = re.findall(r"^\[block\.2x1\.[A-H]\d+\]$", text, flags=re.MULTILINE)
            qc_low = re.search(
                r'^(\[block\.2x1\.[A-H]\d+\])\nrole = "control"\n'
                r'sample = "QC-low"',
                text,
                flags=re.MULTILINE,
            ).group(1)
            last = headers[-1]
            text = text.replace(qc_low, "@@SWAP@@").replace(last, qc_low).replace("@@SWAP@@", last)
        renamed = tmp_path / f"{plate_id}.toml"
        renamed.write_text(text, encoding="utf-8")
        args.append(str(export))
        layouts += ["--layout", str(renamed)]
        expected_groups[plate_id] = _groups_by_first_well(text)
    alpha = expected_groups["alpha_plate"]
    assert [k[1] for k in alpha[:3]] == ["QC-mid", "QC-high", "QC-low"], alpha[:4]
    _run_ok(args + layouts + ["--out", "out"], tmp_path)
    out = tmp_path / "out"
    order = sorted(expected_groups)  # plate ids in sort order: the reverse of the call
    assert order == ["alpha_plate", "zulu_plate"]

    expected = [(p, *k) for p in order for k in expected_groups[p]]
    samples = read_rows(out / "samples.csv")
    got = [(r["plate_id"], r["kind"], r["sample_id"], float(r["dilution"])) for r in samples]
    assert got == expected

    position = {(p, s, d): i for i, (p, _, s, d) in enumerate(expected)}
    reassay = [
        (r["plate_id"], r["sample_id"], float(r["dilution"]))
        for r in read_rows(out / "reassay.csv")
    ]
    assert {p for p, _, _ in reassay} == set(order), "expected re-assay rows on both plates"
    assert [position[k] for k in reassay] == sorted(position[k] for k in reassay)

    wells = read_rows(out / "wells.csv")
    assert len(wells) == 2 * 96
    assert [(r["plate_id"], _well_index(r["well"])) for r in wells] == sorted(
        (r["plate_id"], _well_index(r["well"])) for r in wells
    )
    assert wells[0]["plate_id"] == "alpha_plate" and wells[0]["well"] == "A1"

    standards = read_rows(out / "standards.csv")
    assert [(r["plate_id"], int(r["level"])) for r in standards] == sorted(
        (r["plate_id"], int(r["level"])) for r in standards
    )
    nominal = [float(r["nominal"]) for r in standards if r["plate_id"] == "alpha_plate"]
    assert nominal == sorted(nominal), "level 1..n by ascending nominal"
    for table in ("curves", "runs"):
        assert [r["plate_id"] for r in read_rows(out / f"{table}.csv")] == order, table
