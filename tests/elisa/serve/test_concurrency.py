"""The app and `run_exports` writing one store at the same time lose nothing; a write that
finds the store held past the busy timeout is refused with 503 and says so on the page."""

from __future__ import annotations

import re
import threading

from elisa.run import run_exports
from elisa.store.audit import audit_log
from elisa.store.database import Store
from tests.conftest import plate_paths

ADDED = ("il1b_clean", "tracp5b_clean", "il6_noisy", "fkn_discordant")


def test_masking_while_run_exports_adds_plates_loses_no_write(client, db, tmp_path):
    errors: list[BaseException] = []

    def batch() -> None:
        try:
            for name in ADDED:
                export, layout = plate_paths(name)
                run_exports(export, layout, out=tmp_path / name, db=db, user="batch")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    worker = threading.Thread(target=batch)
    worker.start()
    answers = []
    for i in range(6):  # mask, unmask, mask, ... while the batch runs
        body = {"wells": ["C3"], "reason": f"step {i}", "undo": i % 2 == 1}
        answers.append(client.post("/api/plates/fkn_clean/FKN/mask", json=body))
    worker.join()
    assert errors == []
    assert [a.status_code for a in answers] == [200] * 6
    plates = {v.plate_id for v in Store(db).current_versions()}
    assert plates >= {"fkn_clean", "fkn_bad_curve", "il6_clean", *ADDED}
    log = audit_log(db)
    assert [e.details["reason"] for e in log if e.action in ("mask", "unmask")] == [
        f"step {i}" for i in range(6)
    ]
    assert sum(e.action == "run: version 1 added" and e.user == "batch" for e in log) == 4
    assert client.get("/api/plates/fkn_clean/FKN").json()["masks"] == {}  # the last was undo


def test_a_write_waits_then_reports_a_busy_store(db):
    from starlette.testclient import TestClient

    from elisa.serve.app import create_app

    app = create_app(db, busy_timeout_s=0.2)
    holder = Store(db, user="long-batch")
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        page = client.get("/plates/fkn_clean/FKN")  # reading works while nobody writes
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        with holder.atomic():  # a long batch holds the write lock
            api = client.post(
                "/api/plates/fkn_clean/FKN/mask", json={"wells": ["A3"], "reason": "x"}
            )
            form = client.post(
                "/plates/fkn_clean/FKN/action",
                data={"csrf": token, "action": "accept", "reason": "fine"},
            )
        assert api.status_code == 503
        assert api.json()["error"].endswith(
            "the store is busy: another command holds it (a long 'elisa run'?); "
            "nothing was written, try again"
        )
        assert form.status_code == 503 and "the store is busy" in form.text
        after = client.post("/api/plates/fkn_clean/FKN/mask", json={"wells": ["A3"], "reason": "x"})
        assert after.status_code == 200 and after.json()["version"] == 2
    holder.close()
    assert [e.action for e in audit_log(db, "fkn_clean")].count("review: accept") == 0
