"""A large run without a cluster processes its exports in two chunks, one in a forked process
(`elisa.cluster.two_cores`), and writes exactly what one process writes, bad files included.

Run in a fresh interpreter: a test session may hold dask's threads, and then no fork happens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import datetime as dt, filecmp, json, shutil, sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, "bench")
from bench_scale import generate_plates

import elisa.cluster.two_cores as two_cores
import elisa.run as run
from elisa.batch.two_processes import fork_is_safe

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


class Clock(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


run.dt = SimpleNamespace(datetime=Clock, UTC=dt.UTC)  # both runs own the same time
tmp = Path(sys.argv[1])
generate_plates(tmp / "plates", 60, seed=5)
plates = tmp / "plates"
# a bad file in each half: the same bytes as plate0001 (first half) under another name, and
# plate0040's plate id given again by the last export (second half)
shutil.copyfile(plates / "plate0001.csv", plates / "plate0010a.csv")
shutil.copyfile(plates / "plate0010.toml", plates / "plate0010a.toml")
text = (plates / "plate0059.toml").read_text(encoding="utf-8")
(plates / "plate0059.toml").write_text(text.replace("plate0059", "plate0040"), encoding="utf-8")
(tmp / "elisa.toml").write_text('[rules]\nfitter = "batched"\n', encoding="utf-8")

used = []
original = two_cores.process_on_two_cores
run.fork_is_safe = lambda: used.append(fork_is_safe()) or used[-1]
bad = {}
for name, first in (("one", 10**9), ("two", 50)):
    run.TWO_CORES_FROM = first
    bad[name] = []
    run.run_exports(
        plates,
        out=tmp / name,
        db=tmp / f"{name}.sqlite",
        config=tmp / "elisa.toml",
        keep_going=True,
        on_bad_file=lambda b, name=name: bad[name].append(b.line),
    )
files = sorted(str(p.relative_to(tmp / "one")) for p in (tmp / "one").rglob("*") if p.is_file())
differ = [f for f in files if not filecmp.cmp(tmp / "one" / f, tmp / "two" / f, shallow=False)]
print(json.dumps({"forked": used, "bad": bad, "files": len(files), "differ": differ}))
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
    reason="forks only on Linux with two cores or more",
)
def test_sixty_exports_on_two_cores_give_the_one_process_outputs(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["forked"] == [True]  # the second run (61 exports) went to two cores
    assert len(got["bad"]["one"]) == 2
    assert "plate0010a.csv: has the same bytes" in got["bad"]["one"][0]
    assert "two plates have the id 'plate0040'" in got["bad"]["one"][1]
    assert got["bad"]["two"] == got["bad"]["one"]
    assert got["files"] > 60 and got["differ"] == []  # every page, table and provenance
