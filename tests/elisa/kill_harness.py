"""Kill −9 `elisa run` and `elisa mask` at random moments and judge what is left (issue 14).

Used by `tests/elisa/test_kills.py` (a few kills) and `bench/kill_runs.py` (as many as asked).
Every round starts from the same state: a store holding one plate (fkn_clean) and the output
folder of that run. A round starts either `elisa run` of another plate into the same folder and
store, or `elisa mask` on the stored plate, and kills it after a seeded random delay. Then:

- the store passes ``PRAGMA integrity_check``;
- the store's content is exactly the state before the command or exactly the state after a
  complete one (versions, current versions, masks, blobs and audit entries): a run or a mask
  exists whole or not at all;
- the output folder is the old one or the new one, file for file (times blanked);
- never a store holding the new run beside the old output folder: the store commits only once
  the new folder is in place.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLATES = REPO / "fixtures" / "plates"
FIRST, SECOND = "fkn_clean", "fkn_discordant"
TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?")
COMMANDS = {
    "run": [
        "run",
        str(PLATES / f"{SECOND}.csv"),
        "--layout",
        str(PLATES / f"{SECOND}.toml"),
        "--out",
        "out",
        "--db",
        "elisa.sqlite",
    ],
    "mask": ["mask", FIRST, "C5", "--reason", "kill test", "--db", "elisa.sqlite"],
}


def _elisa(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "elisa", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _blanked(path: Path) -> bytes:
    """A file's bytes, times blanked in the text files (results.xlsx carries no time)."""
    data = path.read_bytes()
    if path.suffix in (".csv", ".html", ".json"):
        return TIME.sub("<time>", data.decode("utf-8")).encode("utf-8")
    return data


def folder_state(out: Path) -> dict[str, str] | None:
    """SHA-256 of every file in ``out`` with times blanked (None when there is no folder)."""
    if not out.is_dir():
        return None
    return {p.name: hashlib.sha256(_blanked(p)).hexdigest() for p in sorted(out.iterdir())}


def store_state(db: Path) -> tuple[str, tuple]:
    """(integrity_check's answer, the store's content without times): opening the store rolls
    back what a killed writer left in its journal, as any later command would."""
    conn = sqlite3.connect(db)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        content = tuple(
            tuple(conn.execute(query).fetchall())
            for query in (
                "SELECT plate_id, analyte, version, fingerprint, masks_json, length(tables_json) "
                "FROM plate_versions ORDER BY id",
                "SELECT c.plate_id, c.analyte, v.version FROM current_versions c "
                "JOIN plate_versions v ON v.id = c.version_id ORDER BY 1, 2",
                "SELECT plate_id, analyte, well, action, reason FROM masks ORDER BY id",
                "SELECT sha256, kind FROM blobs ORDER BY sha256",
                "SELECT action, plate_id, analyte, version FROM audit ORDER BY id",
            )
        )
    finally:
        conn.close()
    return check, content


@dataclass
class Judged:
    """Counts over the rounds, by what each round left."""

    counts: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = [f"{key}: {n}" for key, n in sorted(self.counts.items())]
        lines.append(f"failures: {len(self.failures)}")
        lines += [f"  {f}" for f in self.failures]
        return "\n".join(lines)


class KillRounds:
    """The fixed starting state, the two complete outcomes, and rounds of kills in ``work``."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.base = work / "base"
        self.play = work / "play"
        for folder in (self.base, self.play):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        first = [
            "run",
            str(PLATES / f"{FIRST}.csv"),
            "--layout",
            str(PLATES / f"{FIRST}.toml"),
            "--out",
            "out",
            "--db",
            "elisa.sqlite",
        ]
        self._complete(first, self.base)
        self.before_store = store_state(self.base / "elisa.sqlite")[1]
        self.before_folder = folder_state(self.base / "out")
        self.after_store, self.duration = {}, {}
        self.after_folder = {}
        for name, args in COMMANDS.items():
            self.reset()
            start = time.perf_counter()
            self._complete(args, self.play)
            self.duration[name] = time.perf_counter() - start
            self.after_store[name] = store_state(self.play / "elisa.sqlite")[1]
            self.after_folder[name] = folder_state(self.play / "out")
        assert self.after_folder["run"] != self.before_folder
        assert self.after_store["mask"] != self.before_store

    @staticmethod
    def _complete(args: list[str], cwd: Path) -> None:
        process = _elisa(args, cwd)
        _, err = process.communicate()
        if process.returncode not in (0, 1):
            raise RuntimeError(f"elisa {args[0]} failed: {err.decode(errors='replace')}")

    def reset(self) -> None:
        """Put the starting store and folder in ``play``, with nothing left by earlier rounds."""
        shutil.rmtree(self.play, ignore_errors=True)
        shutil.copytree(self.base, self.play)

    def leftovers(self) -> list[str]:
        """Hidden staging folders beside the output folder."""
        return sorted(p.name for p in self.play.iterdir() if p.name.startswith(".out."))

    def round(self, name: str, delay: float, judged: Judged) -> None:
        """Start ``name``, kill it after ``delay`` seconds, judge what is left."""
        self.reset()
        process = _elisa(COMMANDS[name], self.play)
        time.sleep(delay)
        finished = process.poll() is not None
        if not finished:
            process.send_signal(signal.SIGKILL)
        process.communicate()
        where = f"{name} killed after {delay:.2f}s"
        check, content = store_state(self.play / "elisa.sqlite")
        folder = folder_state(self.play / "out")
        if check != "ok":
            judged.failures.append(f"{where}: integrity_check says {check}")
        store = (
            "old"
            if content == self.before_store
            else "new"
            if content == self.after_store[name]
            else "partial"
        )
        if name == "mask":
            folder_is = "old" if folder == self.before_folder else "mixed"
        else:
            folder_is = (
                "old"
                if folder == self.before_folder
                else "new"
                if folder == self.after_folder[name]
                else "missing"
                if folder is None
                else "mixed"
            )
        judged.counts[f"{name}: {'finished' if finished else 'killed'}"] += 1
        judged.counts[f"{name}: store {store}, folder {folder_is}"] += 1
        if self.leftovers():
            judged.counts[f"{name}: staging left beside the folder"] += 1
        if store == "partial" or folder_is in ("mixed", "missing"):
            judged.failures.append(f"{where}: store {store}, folder {folder_is}")
        if name == "run" and store == "new" and folder_is == "old":
            judged.failures.append(f"{where}: the store committed before the folder was swapped")

    def next_run_cleans_up(self) -> bool:
        """After the last kill, a complete run leaves the new folder and no staging."""
        self._complete(COMMANDS["run"], self.play)
        return not self.leftovers() and folder_state(self.play / "out") == self.after_folder["run"]


def kill_rounds(work: Path, kills: int, seed: int) -> Judged:
    """``kills`` rounds, alternating run and mask, each killed at a seeded random moment within
    1.2 times the command's complete duration."""
    rounds = KillRounds(work)
    rng = random.Random(seed)
    judged = Judged()
    for i in range(kills):
        name = ("run", "mask")[i % 2]
        rounds.round(name, rng.uniform(0.0, 1.2 * rounds.duration[name]), judged)
    if not rounds.next_run_cleans_up():
        judged.failures.append("the next run left staging folders or the wrong outputs")
    return judged
