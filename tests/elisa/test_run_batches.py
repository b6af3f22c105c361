"""Batches that behave (issue 11): `elisa run DIR` and patterns pair each export with the layout
of the same stem, `--keep-going` leaves bad exports out and processes the rest.

The folders are made in tmp_path from copies of the fixture plates (each layout names its own
plate id, so copies under new stems keep the fixture's id unless the layout is changed).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from elisa.batch.pairing import BadFile, find_exports, pair_inputs
from elisa.errors import ElisaError
from elisa.run import run_exports
from tests.conftest import plate_paths, read_rows

GOOD = ("fkn_clean", "il6_clean", "tracp5b_clean")


def _folder(tmp_path: Path, names=GOOD, name: str = "plates") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for plate in names:
        export, layout = plate_paths(plate)
        shutil.copyfile(export, folder / export.name)
        shutil.copyfile(layout, folder / layout.name)
    return folder


def _stored_plates(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return sorted(r[0] for r in conn.execute("SELECT plate_id FROM plate_versions"))
    finally:
        conn.close()


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("elisa: error: ")]


# ---------------------------------------------------------------- pairing (library)


def test_a_folder_pairs_each_export_with_the_layout_of_its_stem(tmp_path):
    folder = _folder(tmp_path)
    (folder / "notes.md").write_text("not an export\n", encoding="utf-8")
    (folder / ".hidden.csv").write_text("450,1\n", encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "x.csv").write_text("450,1\n", encoding="utf-8")
    paired = pair_inputs(folder)
    assert [p.name for p in paired.exports] == [f"{n}.csv" for n in sorted(GOOD)]
    assert [p.name for p in paired.layouts] == [f"{n}.toml" for n in sorted(GOOD)]
    assert paired.bad == []


def test_an_export_without_a_layout_of_its_stem_is_a_bad_file_naming_it(tmp_path):
    folder = _folder(tmp_path, ("fkn_clean",))
    shutil.copyfile(folder / "fkn_clean.csv", folder / "plate7.csv")
    paired = pair_inputs(folder)
    assert [p.name for p in paired.exports] == ["fkn_clean.csv"]
    assert len(paired.bad) == 1
    line = paired.bad[0].line
    assert line.startswith(str(folder / "plate7.csv") + ": ") and "plate7.toml" in line
    # the carried layout needs no file beside the export
    carried = pair_inputs(folder, layout_from_export=True)
    assert len(carried.exports) == 2 and carried.layouts == [None, None] and carried.bad == []
    # one layout given applies to every export
    given = pair_inputs(folder, folder / "fkn_clean.toml")
    assert given.layouts == [folder / "fkn_clean.toml"] * 2 and given.bad == []


def test_a_pattern_takes_its_matches_but_not_layouts(tmp_path):
    folder = _folder(tmp_path)
    found = find_exports(str(folder / "*_clean*"))
    assert [p.name for p in found] == [f"{n}.csv" for n in sorted(GOOD)]
    assert find_exports([str(folder / "il6*.csv"), folder / "fkn_clean.csv"]) == [
        folder / "il6_clean.csv",
        folder / "fkn_clean.csv",
    ]


@pytest.mark.parametrize(
    ("argument", "message"),
    [("empty_dir", r"empty_dir: the directory holds no plate exports"), ("x*.csv", r"matches")],
)
def test_a_folder_without_exports_or_a_pattern_without_matches_is_an_error(
    tmp_path, argument, message
):
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "empty_dir" / "layout.toml").write_text("", encoding="utf-8")
    with pytest.raises(ElisaError, match=message) as caught:
        find_exports(str(tmp_path / argument))
    assert str(tmp_path / argument) in str(caught.value)


def test_a_bad_file_line_names_the_export_once():
    named = BadFile(Path("a/p.csv"), ElisaError("the file is empty", file="a/p.csv"))
    unnamed = BadFile(Path("a/p.csv"), ElisaError("no analyte"))
    assert named.line == "a/p.csv: the file is empty"
    assert unnamed.line == "a/p.csv: no analyte"


# ---------------------------------------------------------------- elisa run DIR


def test_a_folder_run_gives_the_tables_of_the_same_files_named_one_by_one(tmp_path, run_cli):
    folder = _folder(tmp_path)
    by_folder = run_cli(["run", folder, "--out", "by_folder", "--no-db"])
    assert by_folder.code == 0, by_folder.err
    named = ["run"] + [folder / f"{n}.csv" for n in GOOD]
    for n in GOOD:
        named += ["--layout", folder / f"{n}.toml"]
    one_by_one = run_cli([*named, "--out", "named", "--no-db"])
    assert one_by_one.code == 0, one_by_one.err
    for table in ("samples", "standards", "curves", "wells"):
        assert (tmp_path / "by_folder" / f"{table}.csv").read_bytes() == (
            tmp_path / "named" / f"{table}.csv"
        ).read_bytes()
    assert sorted(r["plate_id"] for r in read_rows(tmp_path / "by_folder" / "runs.csv")) == sorted(
        GOOD
    )


def test_a_quoted_pattern_runs_only_its_matches(tmp_path, run_cli):
    folder = _folder(tmp_path)
    done = run_cli(["run", str(folder / "*6_clean.csv"), "--no-db"])
    assert done.code == 0, done.err
    assert [r["plate_id"] for r in read_rows(tmp_path / "results" / "runs.csv")] == ["il6_clean"]


def test_without_keep_going_a_missing_layout_stops_the_run_and_writes_nothing(tmp_path, run_cli):
    folder = _folder(tmp_path)
    (folder / "il6_clean.toml").unlink()
    done = run_cli(["run", folder, "--out", "out", "--db", "s.sqlite"])
    assert done.code == 2 and done.out == ""
    assert done.err.count("\n") == 1
    assert str(folder / "il6_clean.csv") in done.err and "il6_clean.toml" in done.err
    assert not (tmp_path / "out").exists() and not (tmp_path / "s.sqlite").exists()


# ---------------------------------------------------------------- --keep-going


def _bad_folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Two good plates and one export of each kind of bad file, with the word its error line
    must hold."""
    folder = _folder(tmp_path, ("fkn_clean", "il6_clean"))
    export, layout = plate_paths("tracp5b_clean")
    shutil.copyfile(export, folder / "no_layout.csv")  # no no_layout.toml beside it
    (folder / "empty.csv").write_bytes(b"")
    shutil.copyfile(layout, folder / "empty.toml")
    shutil.copyfile(export, folder / "bad_layout.csv")
    text = layout.read_text(encoding="utf-8")
    (folder / "bad_layout.toml").write_text(
        text + '\n[well.H11]\nrole = "sample"\nsample = "SX"\ndilution = -1\n', encoding="utf-8"
    )
    fkn_export, fkn_layout = plate_paths("fkn_clean")
    grid = fkn_export.read_text(encoding="utf-8").replace("450,", "405,", 1)
    (folder / "wrong_wavelength.csv").write_text(grid, encoding="utf-8")
    (folder / "wrong_wavelength.toml").write_text(
        fkn_layout.read_text(encoding="utf-8").replace(
            'plate_id = "fkn_clean"', 'plate_id = "fkn_405"'
        ),
        encoding="utf-8",
    )
    shutil.copyfile(fkn_export, folder / "same_id.csv")  # fkn_clean's id and bytes again
    shutil.copyfile(fkn_layout, folder / "same_id.toml")
    expected = {
        "bad_layout.csv": "dilution",
        "empty.csv": "empty",
        "no_layout.csv": "no_layout.toml",
        "same_id.csv": "fkn_clean",
        "wrong_wavelength.csv": "450",
    }
    return folder, expected


def test_keep_going_reports_each_bad_file_once_and_keeps_the_good_plates(tmp_path, run_cli):
    folder, expected = _bad_folder(tmp_path)
    done = run_cli(["run", folder, "--keep-going", "--out", "out", "--db", "s.sqlite"])
    assert done.code == 2
    lines = _error_lines(done.err)
    assert len(lines) == len(done.err.splitlines()) == len(expected)
    for name, word in expected.items():
        mine = [line for line in lines if f"{folder / name}: " in line]
        assert len(mine) == 1, (name, lines)
        assert word in mine[0], (name, mine[0])
    runs = read_rows(tmp_path / "out" / "runs.csv")
    assert sorted(r["plate_id"] for r in runs) == ["fkn_clean", "il6_clean"]
    assert {r["verdict"] for r in runs} == {"pass"}
    assert _stored_plates(tmp_path / "s.sqlite") == ["fkn_clean", "il6_clean"]
    assert "5 bad export(s) left out" in done.out


def test_keep_going_gives_the_good_plates_the_numbers_of_a_run_without_the_bad(tmp_path, run_cli):
    folder, _ = _bad_folder(tmp_path)
    run_cli(["run", folder, "--keep-going", "--out", "kept", "--no-db"])
    good = run_cli(
        [
            "run",
            *(folder / f"{n}.csv" for n in ("fkn_clean", "il6_clean")),
            *("--layout", folder / "fkn_clean.toml", "--layout", folder / "il6_clean.toml"),
            "--out",
            "good",
            "--no-db",
        ]
    )
    assert good.code == 0, good.err
    for table in ("samples", "standards", "curves", "wells", "reassay"):
        assert (tmp_path / "kept" / f"{table}.csv").read_bytes() == (
            tmp_path / "good" / f"{table}.csv"
        ).read_bytes()


def test_keep_going_with_every_file_bad_writes_nothing(tmp_path, run_cli):
    folder = tmp_path / "plates"
    folder.mkdir()
    (folder / "a.csv").write_bytes(b"")
    (folder / "b.csv").write_text("450,1\n", encoding="utf-8")
    done = run_cli(["run", folder, "--keep-going", "--out", "out", "--db", "s.sqlite"])
    assert done.code == 2
    lines = _error_lines(done.err)
    assert len(lines) == 3 and lines[-1].endswith(
        "no export could be processed: every one was a bad file"
    )
    assert not (tmp_path / "out").exists() and not (tmp_path / "s.sqlite").exists()


def test_keep_going_leaves_out_an_export_refused_by_the_store(tmp_path, run_cli):
    first = _folder(tmp_path, ("fkn_clean",), name="first")
    assert run_cli(["run", first, "--db", "s.sqlite", "--out", "one"]).code == 0
    folder = _folder(tmp_path, ("il6_clean",), name="second")
    other, _ = plate_paths("fkn_discordant")  # other reads under fkn_clean's id
    shutil.copyfile(other, folder / "fkn_clean.csv")
    shutil.copyfile(first / "fkn_clean.toml", folder / "fkn_clean.toml")
    done = run_cli(["run", folder, "--keep-going", "--db", "s.sqlite", "--out", "two"])
    assert done.code == 2
    lines = _error_lines(done.err)
    assert len(lines) == 1
    assert lines[0].startswith(f"elisa: error: {folder / 'fkn_clean.csv'}: plate 'fkn_clean'")
    assert "--replace" in lines[0]
    assert [r["plate_id"] for r in read_rows(tmp_path / "two" / "runs.csv")] == ["il6_clean"]
    assert _stored_plates(tmp_path / "s.sqlite") == ["fkn_clean", "il6_clean"]


def test_the_library_call_lists_the_bad_files_as_found(tmp_path):
    folder, expected = _bad_folder(tmp_path)
    seen: list[BadFile] = []
    outcome = run_exports(
        folder, out=tmp_path / "out", db=False, keep_going=True, on_bad_file=seen.append
    )
    assert sorted(b.file.name for b in outcome.bad_files) == sorted(expected)
    assert list(outcome.bad_files) == seen
    assert sorted(outcome.results.runs["plate_id"]) == ["fkn_clean", "il6_clean"]
    with pytest.raises(ElisaError, match=r"no_layout\.toml"):
        run_exports(folder, out=tmp_path / "out2", db=False)
