"""The JSON API: runs with filters, a plate's current version, masks and reviews through the
library functions, and the refusals (bad bodies, unknown plates, cross-origin posts)."""

from __future__ import annotations

from elisa.store.audit import audit_log
from tests.elisa.serve.conftest import BASE


def test_runs_lists_every_current_run_newest_first(client):
    runs = client.get("/api/runs").json()
    assert [(r["plate_id"], r["run_date"]) for r in runs] == [
        ("fkn_bad_curve", "2024-03-11"),
        ("il6_clean", "2024-03-07"),
        ("fkn_clean", "2024-03-04"),
    ]
    bad = runs[0]
    # as `elisa run` and `elisa qc` judge it: failed, and out of spec against fkn_clean
    assert bad["verdict"] == "fail" and bad["version"] == 1 and bad["out_of_spec"] is True
    assert bad["reasons"] == ["standards_failed", "controls_failed", "westgard_reject"]
    assert "1-3s:QC-low" in bad["rules"]
    assert runs[2]["verdict"] == "pass" and runs[2]["reasons"] == []


def test_runs_filters(client):
    def ids(query: str) -> list[str]:
        return [r["plate_id"] for r in client.get(f"/api/runs?{query}").json()]

    assert ids("analyte=FKN") == ["fkn_bad_curve", "fkn_clean"]
    assert ids("verdict=fail") == ["fkn_bad_curve"]
    assert ids("since=2024-03-05&until=2024-03-10") == ["il6_clean"]
    assert ids("lot=FKN-2311A&verdict=pass") == ["fkn_clean"]
    assert ids("out_of_spec=true") == ["fkn_bad_curve"]
    assert ids("out_of_spec=false") == ["il6_clean", "fkn_clean"]


def test_runs_refuses_a_bad_date(client):
    response = client.get("/api/runs?since=March")
    assert response.status_code == 400
    assert response.json() == {"error": "since 'March': expected a date as YYYY-MM-DD"}


def test_plate_gives_run_curve_wells_and_samples(client):
    plate = client.get("/api/plates/fkn_clean/FKN").json()
    assert plate["version"] == 1 and plate["run"]["verdict"] == "pass"
    assert plate["run"]["standards_passed"] == plate["run"]["standards_total"] == 7
    assert len(plate["wells"]) == 96
    assert plate["curve"]["converged"] is True and plate["curve"]["lloq"] > 0
    assert {s["sample_id"] for s in plate["samples"]} >= {"QC-low", "QC-mid"}
    assert [h["version"] for h in plate["history"]] == [1]


def test_unknown_plate_is_404(client):
    response = client.get("/api/plates/no_such_plate/FKN")
    assert response.status_code == 404
    assert "no plate 'no_such_plate' (FKN)" in response.json()["error"]


def test_mask_reprocesses_at_once_and_undo_returns_to_the_first_version(client, db):
    body = {"wells": ["A3", "b03"], "reason": "bubble in the well"}
    masked = client.post("/api/plates/fkn_clean/FKN/mask", json=body).json()
    assert masked["version"] == 2
    assert masked["masks"] == {"A3": "bubble in the well", "B3": "bubble in the well"}
    flags = {w["well"]: w["masked"] for w in masked["wells"]}
    assert flags["A3"] is True and flags["B3"] is True and flags["A5"] is False
    assert masked["history"][0]["changes"] == ["masked A3, B3 (bubble in the well)"]

    undone = client.post(
        "/api/plates/fkn_clean/FKN/mask", json={**body, "reason": "a mistake", "undo": True}
    ).json()
    assert undone["version"] == 1 and undone["masks"] == {}
    assert "version 1 made current again" in undone["message"]
    actions = [(e.action, e.user) for e in audit_log(db, "fkn_clean")]
    assert ("mask", "tech1") in actions and ("unmask", "tech1") in actions


def test_mask_refusals(client):
    url = "/api/plates/fkn_clean/FKN/mask"
    no_reason = client.post(url, json={"wells": ["A3"], "reason": " "})
    assert no_reason.status_code == 400 and '"reason"' in no_reason.json()["error"]
    not_a_well = client.post(url, json={"wells": ["Z99"], "reason": "x"})
    assert not_a_well.json() == {"error": "'Z99' is not a well name (expected e.g. A1 or H12)"}
    undo_unmasked = client.post(url, json={"wells": ["A3"], "reason": "x", "undo": True})
    assert undo_unmasked.status_code == 400
    assert "carry no mask recorded with 'elisa mask'" in undo_unmasked.json()["error"]
    as_form = client.post(url, data={"wells": "A3", "reason": "x"})
    assert as_form.status_code == 415


def test_review_records_the_decision_and_the_named_user(client, db):
    url = "/api/plates/fkn_bad_curve/FKN/review"
    answer = client.post(url, json={"decision": "reject", "reason": "curve", "user": "qa-ann"})
    assert answer.status_code == 200 and answer.json()["message"] == (
        "rejected version 1 as qa-ann"
    )
    entry = audit_log(db, "fkn_bad_curve")[-1]
    assert (entry.action, entry.user, entry.details) == (
        "review: reject",
        "qa-ann",
        {"reason": "curve"},
    )
    runs = {r["plate_id"]: r for r in client.get("/api/runs").json()}
    assert runs["fkn_bad_curve"]["review"] == "reject"
    bad = client.post(url, json={"decision": "maybe", "reason": "x"})
    assert bad.status_code == 400 and "accept" in bad.json()["error"]


def test_cross_origin_post_is_refused_and_writes_nothing(client, db):
    before = len(audit_log(db))
    for headers in ({"Origin": "http://evil.example"}, {"Referer": "http://evil.example/x"}):
        response = client.post(
            "/api/plates/fkn_clean/FKN/review",
            json={"decision": "accept", "reason": "x"},
            headers=headers,
        )
        assert response.status_code == 403
        assert response.json()["error"].startswith("refused: a request from another")
    same = client.post(
        "/api/plates/fkn_clean/FKN/review",
        json={"decision": "accept", "reason": "x"},
        headers={"Origin": BASE},
    )
    assert same.status_code == 200
    assert len(audit_log(db)) == before + 1


def test_a_plate_id_with_a_slash_is_one_encoded_segment(tmp_path):
    from starlette.testclient import TestClient

    from elisa.run import run_exports
    from elisa.serve.app import create_app
    from tests.conftest import plate_paths

    export, layout = plate_paths("fkn_clean")
    text = layout.read_text().replace('plate_id = "fkn_clean"', 'plate_id = "run 7/A"')
    (tmp_path / "l.toml").write_text(text)
    run_exports(export, tmp_path / "l.toml", out=tmp_path / "o", db=tmp_path / "s.sqlite")
    with TestClient(create_app(tmp_path / "s.sqlite"), base_url=BASE) as client:
        assert client.get("/api/plates/run%207%2FA/FKN").json()["plate_id"] == "run 7/A"
        masked = client.post(
            "/api/plates/run%207%2FA/FKN/mask", json={"wells": ["A3"], "reason": "r"}
        )
        assert masked.json()["version"] == 2
        page = client.get("/plates/run%207%2FA/FKN")
        assert page.status_code == 200 and "Plate run 7/A · FKN" in page.text


def test_layout_toml_from_painted_wells(client, tmp_path):
    from plates.layout.loader import load_layout

    wells = {"A1": {"role": "standard", "conc": "100"}, "B1": {"role": "standard", "conc": 50}}
    wells |= {"H1": {"role": "blank"}, "A3": {"role": "sample", "sample": "S1", "dilution": "2"}}
    answer = client.post("/api/layout/toml", json={"wells": wells, "expt": {"analyte": "FKN"}})
    (tmp_path / "l.toml").write_text(answer.json()["toml"])
    layout = load_layout(tmp_path / "l.toml")[None]
    rows = layout.wells.set_index("well")
    assert rows.loc["A1", "conc"] == 100.0 and rows.loc["A3", "sample"] == "S1"
    assert rows.loc["A3", "dilution"] == 2 and layout.expt["analyte"] == "FKN"
    bad = client.post("/api/layout/toml", json={"wells": {"C4": {"role": "standard"}}})
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("layout-editor.toml: well C4: a standard needs conc")
