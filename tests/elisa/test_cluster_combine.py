"""The client's side of a chunked run, without a cluster: chunks processed in this process
(`process_chunk`) and put together (`combine_parts`) give what one `process` call gives; the
checks that span files are replayed over the chunks' records in order (`judge_files`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from elisa.cluster.chunks import ChunkOptions, FileRecord, process_chunk
from elisa.cluster.combine import combine_parts, judge_files, select_files
from elisa.cluster.session import chunk_size_for, needs_one_process
from elisa.config import load_config
from elisa.errors import ElisaError
from elisa.files.provenance import provenance_record
from elisa.pipeline import process
from elisa.results import TABLE_COLUMNS
from tests.conftest import plate_paths

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def options(folder: Path | None = None) -> ChunkOptions:
    return ChunkOptions(
        analyte=None,
        config=load_config(None),
        fmt=None,
        wavelength=None,
        reference=None,
        masks={},
        now=NOW,
        folder=str(folder or os.getcwd()),
    )


def pair(name: str) -> tuple[str, str]:
    export, layout = plate_paths(name)
    return str(export), str(layout)


def assert_same_results(got, expected) -> None:
    for name in TABLE_COLUMNS:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name))
    assert got.provenance == expected.provenance
    assert got.plates.identical(expected.plates)


# ---------------------------------------------------------------- combine_parts


def test_two_chunks_combined_are_one_process_call():
    # the chunks' plate ids interleave: the tables must be re-ordered by plate id across them
    first = process_chunk([pair("tracp5b_clean"), pair("fkn_clean")], options())
    second = process_chunk([pair("il6_clean")], options())
    header = provenance_record([], [], [], load_config(None), NOW)
    combined = combine_parts([first.part, second.part], header, None)
    names = ("tracp5b_clean", "fkn_clean", "il6_clean")
    one = process([plate_paths(n)[0] for n in names], [plate_paths(n)[1] for n in names], now=NOW)
    assert list(combined.runs["plate_id"]) == sorted(combined.runs["plate_id"])
    assert [p["source_file"] for p in combined.provenance["plates"]] == [pair(n)[0] for n in names]
    assert_same_results(combined, one)


def test_a_file_left_out_of_a_part_leaves_no_row_input_or_plate_behind():
    chunk = process_chunk([pair("fkn_clean"), pair("il6_clean")], options())
    fkn = pair("fkn_clean")[0]
    kept = select_files(chunk.part, {fkn})
    header = provenance_record([], [], [], load_config(None), NOW)
    combined = combine_parts([kept], header, None)
    one = process(plate_paths("fkn_clean")[0], plate_paths("fkn_clean")[1], now=NOW)
    assert_same_results(combined, one)


def test_a_worker_in_another_folder_reads_the_files_named_relative_to_the_clients(
    tmp_path, monkeypatch
):
    client_folder = tmp_path / "client"
    (client_folder / "plates").mkdir(parents=True)
    for path in plate_paths("il6_clean"):
        shutil.copyfile(path, client_folder / "plates" / path.name)
    relative = ("plates/il6_clean.csv", "plates/il6_clean.toml")
    monkeypatch.chdir(client_folder)
    here = process_chunk([relative], options(client_folder))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    elsewhere = process_chunk([relative], options(client_folder))
    assert elsewhere.files[0].error is None
    assert elsewhere.part.results.provenance == here.part.results.provenance
    assert elsewhere.part.results.provenance["plates"][0]["source_file"] == relative[0]
    pd.testing.assert_frame_equal(elsewhere.part.results.samples, here.part.results.samples)


# ---------------------------------------------------------------- judge_files


def record(name: str, sha: str | None, ids=(), error=None, processed=True, late=None):
    return FileRecord(Path(name), sha, tuple(ids), error, processed, late)


def test_the_same_bytes_under_a_second_name_are_refused_naming_the_first():
    verdicts = judge_files([record("a.csv", "ab" * 32, ["p1"]), record("b.csv", "ab" * 32, ["p2"])])
    assert verdicts.kept == (0,)
    (bad,) = verdicts.bad
    assert bad.file == Path("b.csv")
    assert "same bytes (SHA-256 abababababab) as a.csv (plate 'p1')" in bad.line


def test_a_plate_id_taken_earlier_comes_before_the_files_own_error():
    own = ElisaError("no analyte", file="c.toml")
    verdicts = judge_files(
        [record("a.csv", "1", ["p1"]), record("c.csv", "2", ["p2", "p1"], error=own)]
    )
    (bad,) = verdicts.bad
    assert "two plates have the id 'p1' (a.csv and c.csv)" in bad.line


def test_a_files_own_error_stands_when_nothing_clashes_and_takes_no_id():
    own = ElisaError("no analyte", file="c.toml")
    verdicts = judge_files(
        [
            record("c.csv", "2", ["p1"], error=own, processed=False),
            record("d.csv", "3", ["p1"]),
        ]
    )
    assert [b.line for b in verdicts.bad] == ["c.csv: c.toml: no analyte"]
    assert verdicts.kept == (1,)


def test_reads_that_do_not_fit_are_reported_after_every_planning_error():
    late = ElisaError("no read at 450 nm", file="a.csv")
    verdicts = judge_files(
        [
            record("a.csv", "1", ["p1"], late=late),
            record("b.csv", None, error=ElisaError("empty", file="b.csv"), processed=False),
            record("c.csv", "3", ["p1"]),  # p1 stays taken by a.csv, as in one process
        ]
    )
    assert [b.file.name for b in verdicts.bad] == ["b.csv", "c.csv", "a.csv"]
    assert verdicts.kept == ()


def test_an_export_its_chunk_refused_for_an_id_the_run_gives_it_is_processed_again():
    verdicts = judge_files(
        [
            record("a.csv", "1", ["p1"]),
            record("b.csv", "1", ["twin"]),  # a.csv's bytes: refused, so 'twin' stays free
            record("c.csv", "3", ["twin"], processed=False),  # its chunk gave 'twin' to b.csv
        ]
    )
    assert verdicts.again == (2,)
    processed = judge_files(
        [
            record("a.csv", "1", ["p1"]),
            record("b.csv", "1", ["twin"]),
            record("c.csv", "3", ["twin"]),  # processed again: fitted this time
        ]
    )
    assert (processed.kept, processed.again) == ((0, 2), ())


# ---------------------------------------------------------------- chunk size, one process


@pytest.mark.parametrize(
    ("files", "workers", "given", "expected"),
    [(200, 2, None, 50), (3, 4, None, 1), (10_000, 8, None, 100), (200, 2, 7, 7)],
)
def test_chunk_size(files, workers, given, expected):
    assert chunk_size_for(files, workers, given) == expected


def test_a_chunk_size_below_one_is_refused():
    with pytest.raises(ElisaError, match="--chunk-size 0"):
        chunk_size_for(10, 2, 0)


def test_unnamed_reads_with_analytes_of_two_wavelengths_go_to_one_process():
    chunk = process_chunk([pair("fkn_clean"), pair("il6_clean")], options())
    assert (chunk.analyte_nms, chunk.unnamed_reads) == (frozenset({450}), False)
    assert not needs_one_process([chunk], None)
    unnamed = dataclasses.replace(chunk, unnamed_reads=True)
    assert not needs_one_process([unnamed], None)  # one wavelength: the first plate's
    other = dataclasses.replace(chunk, analyte_nms=frozenset({405}))
    assert needs_one_process([unnamed, other], None)
    assert not needs_one_process([unnamed, other], 450)  # --wavelength names every read
