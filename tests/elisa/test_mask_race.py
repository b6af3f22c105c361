"""`elisa run` and `elisa mask` on the same plate at the same time: the version made current
always carries every mask the store records (issue 14, finding 6)."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import elisa.run
from elisa.run import run_exports
from elisa.store.annotations import mask_wells
from elisa.store.database import Store
from elisa.store.versions import all_recorded_masks
from tests.conftest import plate_paths

PLATE = "fkn_clean"
WELLS = ("C5", "D7")  # sample wells of the fixture plate


def _first_run(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    export, layout = plate_paths(PLATE)
    db = tmp_path / "elisa.sqlite"
    run_exports(export, layout, out=tmp_path / "out", db=db)
    return export, layout, db, tmp_path / "out"


def _current_carries_every_mask(db: Path) -> tuple[dict, dict, set[str]]:
    """(masks recorded, masks of the current version, wells flagged masked in its table)."""
    with Store(db) as store:
        recorded = all_recorded_masks(store).get(PLATE, {})
        current = store.current_version(PLATE, "FKN")
    flagged = {
        row["well"] for row in json.loads(current.tables_json)["wells"] if row["masked"] is True
    }
    return recorded, json.loads(current.masks_json), flagged


def test_a_mask_committed_while_a_run_processes_is_applied_by_the_run(tmp_path, monkeypatch):
    """The interleaving that lost the mask: run reads the masks (none), the mask commits while
    the run processes, then the run records. The run must re-process with the mask."""
    export, layout, db, out = _first_run(tmp_path)
    real = elisa.run.process
    calls: list[dict] = []

    def process_then_let_mask_commit(*args, **kwargs):
        calls.append(kwargs.get("masks") or {})
        if len(calls) == 1:  # the run has read the masks: now a mask commits
            mask_wells(db, PLATE, ["C5"], "bubble", user="tech")
        return real(*args, **kwargs)

    monkeypatch.setattr(elisa.run, "process", process_then_let_mask_commit)
    outcome = run_exports(export, layout, out=out, db=db)
    assert calls[0] == {} and calls[-1] == {PLATE: {"C5": "bubble"}}
    recorded, current, flagged = _current_carries_every_mask(db)
    assert recorded == current == {"C5": "bubble"}
    assert "C5" in flagged
    wells = outcome.results.wells
    assert bool(wells.loc[wells["well"] == "C5", "masked"].iloc[0]) is True  # outputs too


def test_mask_and_run_racing_twenty_times_never_lose_a_mask(tmp_path):
    """Twenty races of a run against a mask (or unmask) in separate threads, each with its own
    connection, started with seeded random offsets of up to 0.4 s."""
    export, layout, db, out = _first_run(tmp_path)
    rng = random.Random(14)
    errors: list[BaseException] = []

    def guarded(target):
        def call():
            try:
                target()
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        return call

    for i in range(20):
        well = WELLS[(i // 2) % 2]
        undo = i % 2 == 1  # mask, then lift it: the recorded set changes every round
        delays = rng.uniform(0, 0.4), rng.uniform(0, 0.4)
        threads = [
            threading.Timer(
                delays[0], guarded(lambda: run_exports(export, layout, out=out, db=db))
            ),
            threading.Timer(
                delays[1],
                guarded(lambda w=well, u=undo: mask_wells(db, PLATE, [w], "race", undo=u)),
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        recorded, current, flagged = _current_carries_every_mask(db)
        assert recorded == current, f"round {i}: current version lost a mask"
        assert set(recorded) <= flagged, f"round {i}"
