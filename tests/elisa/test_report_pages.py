"""A run of many plates gets report.html as an index and one page per plate (issue 14, item 5:
one page for 1,000 plates was 91 MB); the output folder takes and replaces those pages."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import elisa.report.plate_report as plate_report
from elisa.files.swap import OutputError
from elisa.run import run_exports
from tests.conftest import plate_paths

N_PLATES = 4


def stacked_export(folder: Path, n_plates: int = N_PLATES) -> tuple[Path, Path]:
    """One grid CSV holding ``n_plates`` copies of fkn_clean named P1.., and its layout
    without a plate id (each plate takes its grid's name)."""
    export, layout = plate_paths("fkn_clean")
    lines = export.read_text().splitlines()
    grids = []
    for k in range(n_plates):
        grids += [f"P{k + 1}" + lines[0][lines[0].index(",") :], *lines[1:9], ""]
    path = folder / "stacked.csv"
    path.write_text("\n".join(grids))
    text = "\n".join(x for x in layout.read_text().splitlines() if not x.startswith("plate_id"))
    (folder / "stacked.toml").write_text(text)
    return path, folder / "stacked.toml"


@pytest.fixture
def paged_run(tmp_path, monkeypatch):
    """A run of four plates with at most two plates on one page: paged."""
    monkeypatch.setattr(plate_report, "MAX_PLATES_ON_ONE_PAGE", 2)
    export, layout = stacked_export(tmp_path)
    return run_exports(export, layout, out=tmp_path / "out", db=False)


def _links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"#]+)"', html)


def test_the_index_links_every_plate_page_and_each_page_links_back(paged_run):
    out = paged_run.out_dir
    index = (out / "report.html").read_text()
    pages = sorted((out / "plates").iterdir())
    assert [p.name for p in pages] == [f"plate-{k:04d}.html" for k in range(1, N_PLATES + 1)]
    assert _links(index) == [f"plates/{p.name}" for p in pages]
    assert "<svg" not in index  # no figures on the index
    for k, page in enumerate(pages, start=1):
        html = page.read_text()
        assert f"Plate P{k} · FKN" in html and f"Plate {k} of {N_PLATES}" in html
        for link in _links(html):
            assert (page.parent / link).resolve().is_file(), (page.name, link)
        assert html.count("<svg") == 2  # the curve and the plate map of this plate only
        assert "Provenance of this plate" in html and "stacked.csv" in html


def test_each_page_shows_exactly_its_plates_rows(paged_run):
    """The tables were split by plate once: each page's samples table holds that plate's rows
    of samples.csv and no other plate's."""
    out = paged_run.out_dir
    samples = pd.read_csv(out / "samples.csv", dtype=str, keep_default_na=False)
    for k in range(1, N_PLATES + 1):
        html = (out / "plates" / f"plate-{k:04d}.html").read_text()
        table = html.split("<h3>Samples and controls</h3>", 1)[1].split("</table>", 1)[0]
        expected = samples[samples["plate_id"] == f"P{k}"]["sample_id"]
        assert len(expected) > 0
        assert table.count("<tr") - 1 == len(expected)


def test_a_small_run_keeps_one_page_without_a_plates_folder(tmp_path):
    export, layout = stacked_export(tmp_path, n_plates=2)
    outcome = run_exports(export, layout, out=tmp_path / "out", db=False)
    assert not (outcome.out_dir / "plates").exists()
    html = (outcome.out_dir / "report.html").read_text()
    assert html.count('<section id="plate-') == 2
    assert _links(html) == []  # only in-page anchors


def test_a_paged_folder_is_replaced_whole_by_a_smaller_run(paged_run, tmp_path):
    export, layout = plate_paths("fkn_clean")
    outcome = run_exports(export, layout, out=paged_run.out_dir, db=False)
    assert not (outcome.out_dir / "plates").exists()  # no stale pages of the earlier run


def test_a_plates_folder_holding_other_files_is_refused(paged_run):
    note = paged_run.out_dir / "plates" / "notes.txt"
    note.write_text("mine")
    export, layout = plate_paths("fkn_clean")
    with pytest.raises(OutputError, match=r"did not write \(plates/notes\.txt\)"):
        run_exports(export, layout, out=paged_run.out_dir, db=False)
    assert note.read_text() == "mine"
