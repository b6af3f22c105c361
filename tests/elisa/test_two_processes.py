"""Rendering outputs in two processes (`elisa.batch.two_processes`) gives what one process gives.

The forking cases run in a fresh interpreter: a test session may hold other threads (dask's, from
the cluster tests), and then no fork happens, by design.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from elisa.batch.two_processes import InChild, fork_is_safe, in_two_processes

ROOT = Path(__file__).resolve().parents[2]
CAN_FORK = sys.platform.startswith("linux") and (os.cpu_count() or 1) >= 2
forking = pytest.mark.skipif(not CAN_FORK, reason="forks only on Linux with two cores or more")

STEPS = """
import json, multiprocessing, os
from elisa.batch.two_processes import InChild, fork_is_safe, in_two_processes
PARENT = os.getpid()
assert fork_is_safe()

def pid():
    return os.getpid()

def fails_in_a_child():
    if os.getpid() != PARENT:
        raise RuntimeError("only in the child")
    return "here"

def dies_in_a_child():
    if os.getpid() != PARENT:
        os._exit(3)
    return "here"
"""


def run_fresh(code: str) -> object:
    """What ``code`` (after the STEPS above) prints as JSON, run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", STEPS + textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@forking
def test_the_other_steps_run_in_a_forked_child_in_order():
    got = run_fresh("""
        steps = []
        mine, theirs = in_two_processes([pid, lambda: "a"], [pid, lambda: "b"], lambda: steps.append(1))
        print(json.dumps([mine == [PARENT, "a"], theirs[1], theirs[0] != PARENT, len(steps)]))
    """)
    assert got == [True, "b", True, 4]


@forking
@pytest.mark.parametrize("step", ["fails_in_a_child", "dies_in_a_child"])
def test_a_child_that_fails_or_dies_has_its_steps_run_here(step):
    got = run_fresh(f"print(json.dumps(in_two_processes([lambda: 1], [{step}, lambda: 2])))")
    assert got == [[1], ["here", 2]]


@forking
def test_an_error_here_ends_the_child():
    got = run_fresh("""
        def broken():
            raise ValueError("bad page")

        try:
            in_two_processes([broken], [lambda: sum(range(10**10))])  # the child would run long
        except ValueError as exc:
            print(json.dumps([str(exc), len(multiprocessing.active_children())]))
    """)
    assert got == ["bad page", 0]


@forking
def test_outputs_rendered_in_two_processes_are_the_same_bytes():
    got = run_fresh("""
        from pathlib import Path
        import elisa
        import elisa.files.staging as staging

        plates = Path("fixtures/plates")
        names = ("fkn_clean", "tracp5b_saturated", "fkn_bad_curve")
        results = elisa.process(
            [plates / f"{n}.csv" for n in names], layout=[plates / f"{n}.toml" for n in names]
        )
        one = staging.render_outputs(results)
        staging.TWO_PROCESSES_FROM = 1
        forked = []
        split = staging.in_two_processes

        def spied(*args, **kwargs):
            forked.append(kwargs["fork"] and fork_is_safe())
            return split(*args, **kwargs)

        staging.in_two_processes = spied
        two = staging.render_outputs(results)
        print(json.dumps([forked, list(two) == list(one), all(two[n] == one[n] for n in one)]))
    """)
    assert got == [[True], True, True]


@forking
def test_steps_started_in_a_child_are_collected_after_other_work():
    got = run_fresh("""
        done = []
        with InChild([pid, lambda: "b"]) as child:
            here = sum(range(10**5))  # this process goes on meanwhile
            theirs = child.results(lambda: done.append(1))
        print(json.dumps([theirs[0] != PARENT, theirs[1], here, len(done)]))
    """)
    assert got == [True, "b", sum(range(10**5)), 2]


@forking
@pytest.mark.parametrize("step", ["fails_in_a_child", "dies_in_a_child"])
def test_steps_whose_child_fails_or_dies_run_here_when_collected(step):
    got = run_fresh(f"""
        with InChild([{step}, lambda: 2]) as child:
            print(json.dumps(child.results()))
    """)
    assert got == ["here", 2]


@forking
def test_leaving_before_collecting_ends_the_child():
    got = run_fresh("""
        try:
            with InChild([lambda: sum(range(10**10))]):  # would run long
                raise ValueError("the store failed")
        except ValueError as exc:
            print(json.dumps([str(exc), len(multiprocessing.active_children())]))
    """)
    assert got == ["the store failed", 0]


def test_without_fork_the_steps_wait_until_collected():
    ran = []
    with InChild([lambda: ran.append("step") or os.getpid()], fork=False) as child:
        ran.append("other work")
        assert child.results() == [os.getpid()]
    assert ran == ["other work", "step"]


@forking
def test_a_large_run_renders_its_report_parts_in_a_child_to_the_same_outputs():
    """With the store, the report's status-free parts are rendered in a forked process while
    the store is updated; the output folder is byte for byte that of a run rendering all here."""
    got = run_fresh("""
        import datetime as dt, filecmp, tempfile
        from pathlib import Path
        from types import SimpleNamespace
        import elisa.files.staging as staging
        import elisa.run as run

        class Clock(dt.datetime):
            @classmethod
            def now(cls, tz=None):
                return dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)

        run.dt = SimpleNamespace(datetime=Clock, UTC=dt.UTC)  # both runs own the same time
        tmp = Path(tempfile.mkdtemp())
        parts = run.report_parts

        def spied(results):  # which process renders them, in a file: a child's memory is its own
            with (tmp / "rendered_by").open("a") as log:
                log.write(f"{os.getpid() == PARENT} ")
            return parts(results)

        run.report_parts = spied
        plates = Path("fixtures/plates")
        names = ("fkn_clean", "tracp5b_saturated", "fkn_bad_curve")
        for name, first in (("here", 10**9), ("forked", 1)):
            run.TWO_PROCESSES_FROM = staging.TWO_PROCESSES_FROM = first
            run.run_exports(
                [plates / f"{n}.csv" for n in names],
                [plates / f"{n}.toml" for n in names],
                out=tmp / name,
                db=tmp / f"{name}.sqlite",
            )
        files = sorted(p.name for p in (tmp / "here").iterdir())
        same = [filecmp.cmp(tmp / "here" / f, tmp / "forked" / f, shallow=False) for f in files]
        print(json.dumps([len(files), all(same), (tmp / "rendered_by").read_text().split()]))
    """)
    assert got == [9, True, ["True", "False"]]  # here, then in a forked child


@forking
def test_a_full_disk_in_the_tables_process_fails_the_run_and_leaves_the_folder():
    """The tables' forked process writes into the staged folder; when the disk is full there,
    the run writes them again itself, reports the file, and the old folder stays as it was."""
    got = run_fresh("""
        import errno, tempfile
        from pathlib import Path
        import elisa.files.staging as staging
        import elisa.files.swap as swap
        import elisa.run as run
        from elisa.errors import ElisaError

        real = swap.write_new

        def full(path, data):
            if Path(path).name == "results.xlsx":
                raise OSError(errno.ENOSPC, "No space left on device (simulated)", str(path))
            return real(path, data)

        plates = Path("fixtures/plates")
        tmp = Path(tempfile.mkdtemp())
        args = ([plates / "fkn_clean.csv", plates / "il6_clean.csv"],
                [plates / "fkn_clean.toml", plates / "il6_clean.toml"])
        run.run_exports(*args, out=tmp / "out", db=False)
        before = {p.name: p.read_bytes() for p in (tmp / "out").iterdir()}
        staging.TWO_PROCESSES_FROM = 1
        swap.write_new = full
        try:
            run.run_exports(*args, out=tmp / "out", db=False)
        except ElisaError as exc:
            message = str(exc)
        after = {p.name: p.read_bytes() for p in (tmp / "out").iterdir()}
        print(json.dumps([message, after == before, sorted(p.name for p in tmp.iterdir())]))
    """)
    message, unchanged, left = got
    assert "results.xlsx" in message and "No space left on device" in message
    assert "nothing was changed" in message
    assert unchanged and left == ["out"]  # no staged folder left beside it


def test_an_error_everywhere_is_raised_here():
    def broken():
        raise ValueError("bad cell")

    with pytest.raises(ValueError, match="bad cell"):
        in_two_processes([lambda: 1], [broken])


def test_no_fork_while_another_thread_runs():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not fork_is_safe()
        assert in_two_processes([os.getpid], [os.getpid]) == ([os.getpid()], [os.getpid()])
    finally:
        stop.set()
        thread.join()


def test_without_fork_every_step_runs_here():
    assert in_two_processes([os.getpid], [os.getpid], fork=False) == (
        [os.getpid()],
        [os.getpid()],
    )


def _ended(pid: int) -> bool:
    """Whether process ``pid`` has exited (gone, or a zombie nobody has reaped yet)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


@forking
def test_a_child_whose_run_is_killed_ends_instead_of_waiting_for_a_reader(tmp_path):
    """The run killed (kill -9) while its child works: the child's result (larger than a pipe
    holds) cannot be sent, and the child ends rather than waiting forever."""
    marker = tmp_path / "child.pid"
    code = STEPS + textwrap.dedent(f"""
        import time
        from pathlib import Path

        def child_work():
            Path({str(marker)!r}).write_text(str(os.getpid()))
            time.sleep(1.0)  # the run is killed meanwhile
            return b"x" * 10**6

        in_two_processes([lambda: time.sleep(60)], [child_work])
    """)
    run = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE)
    child = None
    try:
        for _ in range(200):
            if marker.is_file() and marker.read_text():
                break
            time.sleep(0.05)
        child = int(marker.read_text())
        run.kill()
        run.wait()
        for _ in range(200):
            if _ended(child):
                break
            time.sleep(0.05)
        assert _ended(child), "the child of a killed run is still waiting"
    finally:
        run.kill()
        if child is not None and not _ended(child):
            os.kill(child, signal.SIGKILL)  # a failed check leaves no process behind
