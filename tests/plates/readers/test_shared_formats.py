"""Every file of ../shared/formats against what it must give, collected from each reader's
EXPECTED table; sniffing over all real files and all project fixtures."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from elisa.cli.main import main
from plates.errors import AssayError, PlateError
from plates.readers import SUPPORTED_FORMATS, read_export, sniff_format

REPO = Path(__file__).resolve().parents[3]
FORMATS = REPO.parent / "shared" / "formats"
READER_TESTS = ("bmg", "envision", "gen5", "skanit", "softmax", "tecan")
# The plain-grid examples: the plater convention holds text (drug names, labels), not ODs.
GRID_EXPECTED = [
    (
        "generic_grid/plater__example-1.csv",
        "grid",
        None,
        None,
        None,
        "expected an OD value or a marker",
    ),
    (
        "generic_grid/plater__384_validPlate.csv",
        "grid",
        None,
        None,
        None,
        "expected an OD value or a marker",
    ),
]
NOT_EXPORTS = {"README.md", "MANIFEST.tsv"}


def _relative(path) -> str:
    path = Path(path)
    return str(path.relative_to(FORMATS)) if path.is_absolute() else str(path)


def expected_rows() -> dict[str, tuple]:
    rows = {}
    for name in READER_TESTS:
        module = importlib.import_module(f"tests.plates.readers.test_{name}")
        for row in module.EXPECTED:
            key = _relative(row[0])
            assert key not in rows, f"{key} is in two EXPECTED tables"
            rows[key] = row
    for row in GRID_EXPECTED:
        rows[row[0]] = row
    return rows


def shared_files() -> list[str]:
    if not FORMATS.is_dir():
        return []
    return sorted(
        str(p.relative_to(FORMATS))
        for p in FORMATS.glob("*/*")
        if p.is_file() and p.parent.name != "LICENSES" and p.name not in NOT_EXPORTS
    )


needs_shared = pytest.mark.skipif(not FORMATS.is_dir(), reason="../shared/formats is absent")


@needs_shared
def test_every_shared_file_has_a_row():
    rows = expected_rows()
    assert set(shared_files()) == set(rows), "files without a row, or rows without a file"


@needs_shared
@pytest.mark.parametrize("relative", shared_files())
def test_shared_file_reads_to_its_row(relative):
    _, fmt, n_plates, wells, wavelengths, refused = expected_rows()[relative]
    path = FORMATS / relative
    assert sniff_format(path.read_bytes(), path) == fmt
    if refused:
        with pytest.raises(PlateError, match=refused.replace("(", r"\(").replace(")", r"\)")):
            read_export(path)
        return
    export = read_export(path)
    assert export.format == fmt
    assert len(export.plates) == n_plates
    first = export.plates[0]
    assert first.n_rows * first.n_cols == wells
    assert tuple(first.wavelengths) == tuple(wavelengths)


@needs_shared
@pytest.mark.parametrize("relative", shared_files())
def test_no_shared_file_crashes_the_command_line(relative, tmp_path, capsys):
    code = main(["inspect", str(FORMATS / relative)])
    err = capsys.readouterr().err
    assert code in (0, 2)
    assert "Traceback" not in err and len(err.splitlines()) <= 1


def fixture_exports() -> list[tuple[str, Path]]:
    files = [
        ("grid", p)
        for p in sorted((REPO / "fixtures" / "plates").glob("*.csv"))
        if not p.name.endswith(".truth.csv") and p.name not in ("curves.csv", "expected.csv")
    ]
    for folder in sorted((REPO / "fixtures" / "exports").glob("*")):
        files += [(folder.name, p) for p in sorted(folder.iterdir()) if p.is_file()]
    return files


@pytest.mark.parametrize("fmt, path", fixture_exports(), ids=lambda v: getattr(v, "name", v))
def test_fixture_exports_sniff_as_their_format(fmt, path):
    assert sniff_format(path.read_bytes(), path) == fmt


def test_every_format_has_export_fixtures():
    folders = {p.name for p in (REPO / "fixtures" / "exports").iterdir() if p.is_dir()}
    assert folders >= set(SUPPORTED_FORMATS) - {"grid"}


def test_an_unknown_file_lists_the_supported_formats(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("Dear colleague,\nplease find the plate attached.\n")
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "notes.txt" in err
    for fmt in SUPPORTED_FORMATS:
        assert fmt in err


def test_only_the_project_error_escapes_for_random_mutations_of_fixtures(tmp_path):
    """A fixed sample of byte-level damage to every fixture export (the per-reader tests add
    hypothesis-driven mutations of the real files)."""
    import random

    rng = random.Random(11)
    for _fmt, path in fixture_exports():
        data = path.read_bytes()
        for k in range(6):
            damaged = bytearray(data)
            cut = rng.randrange(1, len(damaged))
            if k % 3 == 0:
                damaged = damaged[:cut]
            elif k % 3 == 1:
                damaged[cut : cut + 8] = bytes(rng.randrange(256) for _ in range(8))
            else:
                damaged = damaged[:cut] + b"\n\x00junk;;\t,\n" + damaged[cut:]
            target = tmp_path / f"m{k}{path.suffix}"
            target.write_bytes(bytes(damaged))
            try:
                read_export(target)
            except AssayError:
                pass
