"""The progress bar of `elisa run` (issue 11): drawn on stderr when it is a terminal, absent in
a pipe and with --quiet; a bad file's line (--keep-going) is printed whole above the bar.

The terminal is a pseudo-terminal (`os.openpty`) given a window size, as a real one has; the
command runs as `python -m elisa` in a subprocess with stderr on the terminal's slave side.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import plate_paths

termios = pytest.importorskip("termios")  # pseudo-terminals: POSIX only
fcntl = pytest.importorskip("fcntl")

PLATES = ("fkn_clean", "il6_clean")


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "plates"
    folder.mkdir()
    for name in PLATES:
        for path in plate_paths(name):
            shutil.copyfile(path, folder / path.name)
    return folder


def _on_terminal(args: list[str], cwd: Path) -> tuple[int, str, bytes]:
    """Run `python -m elisa ARGS` with stderr on a pseudo-terminal of 100 columns: exit code,
    stdout, and every byte written to the terminal."""
    import struct

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    with open(cwd / "stdout.txt", "w+", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "elisa", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=slave,
        )
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer of the terminal has closed it
                break
            if not chunk:
                break
            seen += chunk
        os.close(master)
        code = proc.wait(timeout=300)
        out.seek(0)
        return code, out.read(), seen


def test_the_bar_is_drawn_on_a_terminal_and_not_with_quiet(tmp_path):
    folder = _folder(tmp_path)
    code, out, terminal = _on_terminal(
        ["run", str(folder), "--db", "s.sqlite", "--out", "out"], tmp_path
    )
    assert code == 0, terminal.decode(errors="replace")
    stages = (
        ("reading exports", 2),
        ("fitting plates", 2),
        ("storing plates", 2),
        ("writing outputs", 9),
    )
    for stage, total in stages:
        assert f"{stage}:".encode() in terminal, stage
        assert f"/{total} [".encode() in terminal, stage
    assert b"\r" in terminal  # redrawn in place
    assert "fkn_clean [FKN]: pass" in out and "il6_clean [IL-6]: pass" in out
    assert b"elisa: error" not in terminal

    code, out, terminal = _on_terminal(
        ["run", str(folder), "--no-db", "--out", "quiet", "--quiet"], tmp_path
    )
    assert code == 0 and terminal == b""
    assert "fkn_clean [FKN]: pass" in out


def test_no_bar_in_a_pipe(tmp_path):
    folder = _folder(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "elisa", "run", str(folder), "--no-db", "--out", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert "fkn_clean [FKN]: pass" in done.stdout and "\r" not in done.stdout


def test_bad_file_lines_are_printed_whole_above_the_bar(tmp_path):
    folder = _folder(tmp_path)
    (folder / "il6_clean.toml").unlink()  # found when pairing, before any bar
    (folder / "empty.csv").write_bytes(b"")  # found while the reading bar is drawn
    shutil.copyfile(folder / "fkn_clean.toml", folder / "empty.toml")
    code, out, terminal = _on_terminal(
        ["run", str(folder), "--no-db", "--out", "out", "--keep-going"], tmp_path
    )
    assert code == 2
    lines = {
        f"elisa: error: {folder / 'il6_clean.csv'}: no layout: expected il6_clean.toml": (
            b"carries its layout"
        ),
        f"elisa: error: {folder / 'empty.csv'}: the file is empty": b"empty",
    }
    for line, end in lines.items():
        start = terminal.index(line.encode())
        assert terminal[start:].split(b"\r\n", 1)[0].endswith(end)  # whole, on its own line
        assert start == 0 or terminal[start - 1 : start] in (b"\r", b"\n")  # at a line start
    assert terminal.index(b"reading exports:") < terminal.index(b"empty.csv: the file")
    assert "fkn_clean [FKN]: pass" in out and "2 bad export(s) left out" in out
