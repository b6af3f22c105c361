"""`elisa run --dask` / `--workers` (issue 11): chunks of plates processed on a dask cluster of
worker processes give the outputs of the one-process run, byte for byte; the checks that span
files span every chunk; a bad scheduler address or a failing worker writes nothing.

One local cluster (two worker processes, one thread each) serves the module. Plates are made
by bench/bench_scale.py's generator (the fixture plate model, each plate its own export and
layout). Runs compared byte for byte share one processing time (`fixed_clock`): the time in
provenance.json and the report is the one thing a run owns.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from elisa.cluster import session  # noqa: E402
from elisa.errors import ElisaError  # noqa: E402
from elisa.run import run_exports  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from bench_scale import generate_plates  # noqa: E402  (the fixture plate model, many plates)

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
BATCHED = '[rules]\nfitter = "batched"\n'


@contextmanager
def fixed_clock():
    """`elisa.run` sees NOW as the processing time (every chunk gets it from the run)."""

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return NOW

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("elisa.run.dt", SimpleNamespace(datetime=Clock, UTC=dt.UTC))
        yield


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def differing_files(a: Path, b: Path) -> list[str]:
    """Files of either folder (recursively) that are missing from the other or differ."""
    names = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    names |= {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    return sorted(
        str(n)
        for n in names
        if not ((a / n).is_file() and (b / n).is_file() and filecmp.cmp(a / n, b / n, False))
    )


def run_both(tmp: Path, exports, client, config: Path | None = None, chunk_size=None):
    """The one-process run and the cluster run of ``exports`` into tmp/one and tmp/cluster
    (each with its own new store); their outcomes."""
    with fixed_clock():
        one = run_exports(exports, out=tmp / "one", db=tmp / "one.sqlite", config=config)
        on_cluster = run_exports(
            exports,
            out=tmp / "cluster",
            db=tmp / "cluster.sqlite",
            config=config,
            dask=client,
            chunk_size=chunk_size,
        )
    return one, on_cluster


# ---------------------------------------------------------------- 200 plates, byte for byte


@pytest.fixture(scope="module")
def two_hundred(tmp_path_factory, client):
    tmp = tmp_path_factory.mktemp("two_hundred")
    generate_plates(tmp / "plates", 200)
    config = tmp / "elisa.toml"
    config.write_text(BATCHED, encoding="utf-8")
    one, on_cluster = run_both(tmp, tmp / "plates", client, config)
    return tmp, one, on_cluster


def test_two_hundred_plates_on_two_workers_give_the_one_process_outputs(two_hundred):
    tmp, one, _ = two_hundred
    assert len(one.results.runs) == 200
    assert sorted(p.name for p in (tmp / "one").iterdir()) == sorted(
        p.name for p in (tmp / "cluster").iterdir()
    )
    assert differing_files(tmp / "one", tmp / "cluster") == []  # CSVs, xlsx, report, pages


def test_the_cluster_run_returns_the_one_process_results(two_hundred):
    _, one, on_cluster = two_hundred
    for name in ("samples", "standards", "curves", "wells", "runs", "reassay"):
        pd.testing.assert_frame_equal(getattr(one.results, name), getattr(on_cluster.results, name))
    assert on_cluster.results.provenance == one.results.provenance
    assert on_cluster.results.plates.identical(one.results.plates)
    assert [r.plate_id for r in on_cluster.recorded] == [r.plate_id for r in one.recorded]


def test_the_default_lmfit_fitter_gives_the_same_numbers_in_any_chunk(tmp_path, client):
    generate_plates(tmp_path / "plates", 7, seed=5)
    one, _ = run_both(tmp_path, tmp_path / "plates", client, chunk_size=3)
    assert len(one.results.curves) == 7
    assert differing_files(tmp_path / "one", tmp_path / "cluster") == []


# ---------------------------------------------------------------- checks across chunks


@pytest.fixture(scope="module")
def clashing(tmp_path_factory):
    """Eight exports in order, two to a chunk: p0-p3; p4 = p0's bytes under another name (its
    own layout, id 'twin'); p5 with the id 'twin', refused in p4's chunk but accepted by the run
    (p4 is refused, so 'twin' is free); p6 with p1's plate id; p7."""
    tmp = tmp_path_factory.mktemp("clashing")
    generate_plates(tmp / "made", 7, seed=3)
    folder = tmp / "plates"
    folder.mkdir()
    made = tmp / "made"
    for i in range(4):
        for suffix in (".csv", ".toml"):
            shutil.copyfile(made / f"plate{i:04d}{suffix}", folder / f"p{i}{suffix}")
    copies = {4: ("plate0000", "twin"), 5: ("plate0004", "twin"), 6: ("plate0005", "plate0001")}
    for i, (made_as, plate_id) in copies.items():
        shutil.copyfile(made / f"{made_as}.csv", folder / f"p{i}.csv")
        _layout(made / f"{made_as}.toml", folder / f"p{i}.toml", made_as, plate_id)
    for suffix in (".csv", ".toml"):
        shutil.copyfile(made / f"plate0006{suffix}", folder / f"p7{suffix}")
    (tmp / "elisa.toml").write_text(BATCHED, encoding="utf-8")
    return tmp


def _layout(source: Path, target: Path, old_id: str, new_id: str) -> None:
    text = source.read_text(encoding="utf-8")
    target.write_text(text.replace(f'plate_id = "{old_id}"', f'plate_id = "{new_id}"'), "utf-8")


def test_exports_clashing_across_chunks_are_the_bad_files_of_one_process(
    clashing, tmp_path, client
):
    bad: dict[str, list[str]] = {"one": [], "cluster": []}
    with fixed_clock():
        for name, cluster in (("one", None), ("cluster", client)):
            run_exports(
                clashing / "plates",
                out=tmp_path / name,
                db=tmp_path / f"{name}.sqlite",
                config=clashing / "elisa.toml",
                keep_going=True,
                on_bad_file=lambda b, name=name: bad[name].append(b.line),
                **({} if cluster is None else {"dask": cluster, "chunk_size": 2}),
            )
    assert len(bad["one"]) == 2
    assert "p4.csv: has the same bytes" in bad["one"][0]
    assert "two plates have the id 'plate0001'" in bad["one"][1]
    assert bad["cluster"] == bad["one"]
    assert differing_files(tmp_path / "one", tmp_path / "cluster") == []
    runs = pd.read_csv(tmp_path / "cluster/runs.csv")
    assert sorted(runs["plate_id"]) == [f"plate{i:04d}" for i in (0, 1, 2, 3, 6)] + ["twin"]
    assert runs.loc[runs["plate_id"] == "twin", "source_file"].str.endswith("p5.csv").all()


def test_without_keep_going_the_first_clash_is_the_error_of_one_process(clashing, client):
    errors = []
    for cluster in (None, client):
        with pytest.raises(ElisaError) as caught:
            chunks = {} if cluster is None else {"dask": cluster, "chunk_size": 2}
            run_exports(clashing / "plates", db=False, **chunks)
        errors.append(str(caught.value))
    assert "p4.csv: has the same bytes" in errors[0]
    assert errors[1] == errors[0]


# ---------------------------------------------------------------- failures write nothing


def test_a_bad_scheduler_address_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(session, "CONNECT_TIMEOUT_S", 1)
    generate_plates(tmp_path / "plates", 1)
    with pytest.raises(ElisaError) as caught:
        run_exports(
            tmp_path / "plates",
            out=tmp_path / "out",
            db=tmp_path / "s.sqlite",
            dask="tcp://127.0.0.1:1",
        )
    message = str(caught.value)
    assert "cannot reach a dask scheduler at 'tcp://127.0.0.1:1'" in message
    assert "expected the address of a running dask.distributed scheduler" in message
    assert "\n" not in message
    assert not (tmp_path / "out").exists() and not (tmp_path / "s.sqlite").exists()


def test_a_scheduler_without_workers_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(session, "WORKER_WAIT_S", 1)
    generate_plates(tmp_path / "plates", 1)
    with (
        distributed.LocalCluster(
            n_workers=0, processes=False, dashboard_address=":0", silence_logs=50
        ) as empty,
        pytest.raises(ElisaError) as caught,
    ):
        run_exports(
            tmp_path / "plates",
            out=tmp_path / "out",
            db=tmp_path / "s.sqlite",
            dask=empty.scheduler_address,
        )
    message = str(caught.value)
    assert f"the dask scheduler at '{empty.scheduler_address}' has no worker" in message
    assert f"dask worker {empty.scheduler_address}" in message and "\n" not in message
    assert not (tmp_path / "out").exists() and not (tmp_path / "s.sqlite").exists()


class FailsOnWorker(str):
    """An analyte name that a worker gets as `NameFailing`: the client never resolves it."""

    def __reduce__(self):
        return (NameFailing, (str(self),))


class NameFailing(str):
    """A name whose use fails with an error that is not bad input (a bug on a worker)."""

    def replace(self, *args):
        raise RuntimeError("the worker failed")


def test_a_failing_worker_leaves_outputs_and_store_untouched(tmp_path, client):
    generate_plates(tmp_path / "plates", 3)
    run_exports(tmp_path / "plates", out=tmp_path / "out", db=tmp_path / "s.sqlite")
    before = {p.name: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(Exception, match="the worker failed"):
        run_exports(
            tmp_path / "plates",
            out=tmp_path / "out",
            db=tmp_path / "s.sqlite",
            analyte=FailsOnWorker("FKN"),
            dask=client,
        )
    after = {p.name: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


# ---------------------------------------------------------------- the command line


def elisa(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "elisa", *args], cwd=cwd, capture_output=True, text=True
    )


def test_workers_on_the_command_line_write_the_one_process_csvs(tmp_path):
    generate_plates(tmp_path / "plates", 6)
    one = elisa("run", "plates", "--no-db", "--out", "one", cwd=tmp_path)
    two = elisa("run", "plates", "--no-db", "--out", "two", "--workers", "2", cwd=tmp_path)
    assert (one.returncode, one.stderr) == (two.returncode, two.stderr) == (0, ""), two.stderr
    assert two.stdout.replace("two/", "one/") == one.stdout
    differing = differing_files(tmp_path / "one", tmp_path / "two")
    assert differing == ["provenance.json", "report.html"]  # the run's own time only


def test_a_bad_scheduler_address_on_the_command_line_exits_2(tmp_path):
    generate_plates(tmp_path / "plates", 1)
    done = elisa("run", "plates", "--out", "out", "--dask", "nowhere", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("elisa: error: cannot reach a dask scheduler at 'nowhere'")
    assert len(done.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plates"]  # no store, no outputs


def test_without_distributed_installed_the_error_says_how_to_install_it(tmp_path):
    generate_plates(tmp_path / "plates", 1)
    code = (
        "import sys; sys.modules['distributed'] = None; "
        "sys.argv = ['elisa', 'run', 'plates', '--workers', '2']; "
        "from elisa.cli.main import entry; entry()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "need dask.distributed" in done.stderr
    assert "pip install 'elisa-toolkit[cluster]'" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plates"]
