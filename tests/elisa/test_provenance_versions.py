"""The library versions in provenance.json, read from the installed metadata's header."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import pytest

from elisa.files.provenance import installed_version


@pytest.mark.parametrize("name", ["scipy", "lmfit", "numpy", "pandas", "elisa-toolkit"])
def test_the_version_is_the_one_importlib_metadata_reads(name):
    assert installed_version(name) == version(name)


def _fake_distribution(root, metadata: str) -> None:
    info = root / "fake_lab_tool-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(metadata, encoding="utf-8")


def test_a_version_named_only_in_the_description_is_not_taken(tmp_path, monkeypatch):
    # The header ends at the first blank line; a "Version:" line in the body is prose.
    _fake_distribution(tmp_path, "Metadata-Version: 2.1\nName: fake-lab-tool\n\nVersion: 9\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(LookupError, match="fake-lab-tool names no version"):
        installed_version("fake-lab-tool")


def test_the_header_version_is_read(tmp_path, monkeypatch):
    _fake_distribution(
        tmp_path, "Metadata-Version: 2.1\nName: fake-lab-tool\nVersion: 1.0rc2 \n\nbody\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert installed_version("fake-lab-tool") == "1.0rc2"


def test_a_library_not_installed_is_an_error():
    with pytest.raises(PackageNotFoundError):
        installed_version("no-such-library-for-elisa")
