"""The HTML pages with the test client: runs, plate (mask, undo, sign-off by form), QC,
downloads, upload (good, bad, too large) and the layout editor; CSRF on forms."""

from __future__ import annotations

import re

import pytest

from elisa.store.audit import audit_log
from elisa.store.database import Store
from tests.conftest import plate_paths, run_elisa
from tests.elisa.serve.conftest import BASE


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_home_goes_to_runs_and_runs_shows_badges_and_reasons(client):
    page = client.get("/")
    assert page.status_code == 200 and page.url.path == "/runs"
    assert page.text.index("fkn_bad_curve") < page.text.index(">fkn_clean<")  # newest first
    assert (
        '<span class="badge fail">FAIL</span> <span class="badge oos">OUT OF SPEC</span>'
        in page.text
    )
    assert "standards_failed, controls_failed, westgard_reject" in page.text
    assert 'href="/plates/il6_clean/IL-6"' in page.text
    filtered = client.get("/runs?analyte=IL-6")
    assert "il6_clean" in filtered.text and "fkn_clean" not in filtered.text


def test_runs_page_says_what_is_wrong_with_a_filter(client):
    page = client.get("/runs?until=2024-13-01")
    assert page.status_code == 400
    assert "until &#39;2024-13-01&#39;: expected a date as YYYY-MM-DD" in page.text


def test_plate_page_shows_curve_map_forms_history_and_tables(client):
    page = client.get("/plates/fkn_bad_curve/FKN")
    assert page.status_code == 200
    text = page.text
    assert 'id="platemap" class="platemap"' in text and text.count("<svg") == 2  # map, curve
    assert "standards_failed</code>: Too few standard levels recovered" in text
    assert 'data-version="1" data-verdict="fail"' in text
    for form in ('id="mask-form"', 'id="review-form"', 'id="history"', "/static/plate.js"):
        assert form in text
    assert "first processing" in text
    assert "download/samples.csv" in text and "download/report.html" in text
    assert 'src="http' not in text and 'href="http' not in text  # nothing from other hosts


def test_unknown_plate_page_is_404(client):
    page = client.get("/plates/nope/FKN")
    assert page.status_code == 404 and "no plate &#39;nope&#39; (FKN)" in page.text


def test_mask_undo_and_accept_by_form(client, db):
    url = "/plates/fkn_clean/FKN"
    token = csrf(client.get(url).text)
    masked = client.post(
        f"{url}/action",
        data={"csrf": token, "action": "mask", "wells": "A3, B3", "reason": "tip", "user": "bo"},
    )
    assert masked.status_code == 200 and masked.url.path == url
    assert "masked A3, B3; FKN: version 2 added" in masked.text
    assert 'data-version="2"' in masked.text and "masked A3, B3 (tip)" in masked.text
    undone = client.post(
        f"{url}/action",
        data={"csrf": token, "action": "undo", "wells": "A3 B3", "reason": "wrong wells"},
    )
    assert 'data-version="1"' in undone.text and "version 1 made current again" in undone.text
    accepted = client.post(
        f"{url}/action",
        data={"csrf": token, "action": "accept", "reason": "checked", "user": "qa-cy"},
    )
    assert "accepted version 1 as qa-cy" in accepted.text
    steps = [(e.action, e.user) for e in audit_log(db, "fkn_clean")][1:]
    assert steps[0] == ("mask", "bo") and steps[1] == ("mask: version 2 added", "bo")
    assert ("unmask", "tech1") in steps and steps[-1] == ("review: accept", "qa-cy")


def test_a_form_post_without_the_csrf_token_is_refused(client, db):
    before = len(audit_log(db))
    page = client.post("/plates/fkn_clean/FKN/action", data={"action": "accept", "reason": "x"})
    assert page.status_code == 403 and "CSRF token" in page.text
    cross = client.post(
        "/plates/fkn_clean/FKN/action",
        data={"csrf": csrf(client.get("/upload").text), "action": "accept", "reason": "x"},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert cross.status_code == 403
    assert len(audit_log(db)) == before


def test_a_mask_without_wells_says_so_on_the_page(client):
    token = csrf(client.get("/plates/fkn_clean/FKN").text)
    page = client.post(
        "/plates/fkn_clean/FKN/action",
        data={"csrf": token, "action": "mask", "wells": "", "reason": "x"},
    )
    assert page.status_code == 400
    assert "no wells given: click wells on the plate map first" in page.text


def test_qc_pages(client):
    index = client.get("/qc")
    assert 'href="/qc/FKN"' in index.text and 'href="/qc/IL-6"' in index.text
    page = client.get("/qc/FKN")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 2  # one Levey-Jennings chart per control
    assert "QC-low" in page.text and 'href="/plates/fkn_bad_curve/FKN"' in page.text


def test_downloads_are_the_current_versions_outputs(client, tmp_path):
    csv = client.get("/plates/fkn_clean/FKN/download/samples.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "fkn_clean_FKN_v1_samples.csv" in csv.headers["content-disposition"]
    export, layout = plate_paths("fkn_clean")
    run_elisa(["run", export, "--layout", layout, "--no-db", "--out", "r"], tmp_path)
    assert csv.text == (tmp_path / "r" / "samples.csv").read_text()
    report = client.get("/plates/fkn_clean/FKN/download/report.html")
    assert "ELISA plate report" in report.text
    missing = client.get("/plates/fkn_clean/FKN/download/secrets.txt")
    assert missing.status_code == 404


def test_upload_processes_a_plate_into_the_store(client):
    export, layout = plate_paths("tracp5b_clean")
    token = csrf(client.get("/upload").text)
    page = client.post(
        "/upload",
        data={"csrf": token, "user": "up"},
        files={
            "export": (export.name, export.read_bytes()),
            "layout": (layout.name, layout.read_bytes()),
        },
    )
    assert page.status_code == 200
    assert "tracp5b_clean [TRACP-5b]: pass, version 1" in page.text
    runs = {r["plate_id"] for r in client.get("/api/runs").json()}
    assert "tracp5b_clean" in runs


def test_a_bad_upload_shows_the_clis_message_and_writes_nothing(client, db, tmp_path):
    export, _ = plate_paths("il1b_clean")
    (tmp_path / export.name).write_bytes(export.read_bytes())
    (tmp_path / "broken.toml").write_text("[well.A1\nrole = 'standard'\n")
    cli = run_elisa(
        ["run", export.name, "--layout", "broken.toml", "--db", db, "--out", "o"], tmp_path
    )
    assert cli.code == 2
    message = cli.err.strip().removeprefix("elisa: error: ")
    before = (len(audit_log(db)), len(Store(db).current_versions()))
    page = client.post(
        "/upload",
        data={"csrf": csrf(client.get("/upload").text)},
        files={
            "export": (export.name, export.read_bytes()),
            "layout": ("broken.toml", b"[well.A1\nrole = 'standard'\n"),
        },
    )
    assert page.status_code == 400
    shown = re.search(r'<p class="banner error" id="error">(.*?)</p>', page.text).group(1)
    assert shown.replace("&#39;", "'").replace("&#34;", '"') == message
    assert (len(audit_log(db)), len(Store(db).current_versions())) == before


def test_an_upload_over_the_limit_is_refused(db):
    from starlette.testclient import TestClient

    from elisa.serve.app import create_app

    with TestClient(create_app(db, max_upload_bytes=1000), base_url=BASE) as client:
        token = csrf(client.get("/upload").text)
        page = client.post(
            "/upload", data={"csrf": token}, files={"export": ("x.csv", b"1" * 5000)}
        )
    assert page.status_code == 413 and "the limit is" in page.text


def test_layout_editor_page_loads_its_own_script(client):
    page = client.get("/layout")
    assert page.status_code == 200 and '<script src="/static/layout.js">' in page.text
    assert client.get("/static/layout.js").status_code == 200
    assert client.get("/static/app.css").status_code == 200


@pytest.mark.parametrize(
    "path", ["/runs", "/plates/fkn_clean/FKN", "/qc/FKN", "/upload", "/layout"]
)
def test_pages_reference_only_the_app_itself(client, path):
    text = client.get(path).text
    assert not re.search(r'(src|href)="(https?:)?//', text), path
