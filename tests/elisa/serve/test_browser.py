"""A real browser on the review app: open a stored plate, click two wells, mask them with a
reason, see the new version's verdict, undo, accept with a reason; the audit log has each step
with its user, and the browser asked no other host for anything."""

from __future__ import annotations

import pytest

from elisa.store.audit import audit_log
from tests.elisa.serve.browser import browser_missing, chromium, requested_urls, served

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))


def click_and_wait(driver, element_id: str) -> None:
    """Click a button that loads a new page and wait until the new page is there."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, element_id).click()
    WebDriverWait(driver, 120).until(expected_conditions.staleness_of(page))


def test_mask_undo_and_accept_in_a_browser(db):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    from elisa.serve.app import create_app

    with served(create_app(db, user="tech-dana")) as base, chromium() as driver:
        driver.get(f"{base}/runs")
        page = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(By.LINK_TEXT, "fkn_clean").click()
        WebDriverWait(driver, 60).until(expected_conditions.staleness_of(page))
        verdict = driver.find_element(By.ID, "verdict")
        assert verdict.get_attribute("data-version") == "1"

        for well in ("A3", "A4"):
            driver.find_element(By.CSS_SELECTOR, f'g[data-well="{well}"]').click()
        assert driver.find_element(By.ID, "wells").get_attribute("value") == "A3 A4"
        driver.find_element(By.ID, "mask-reason").send_keys("bubbles in QC-low")
        click_and_wait(driver, "mask-btn")

        verdict = driver.find_element(By.ID, "verdict")
        assert verdict.get_attribute("data-version") == "2"
        assert verdict.get_attribute("data-verdict") == "pass"
        assert "PASS" in verdict.text and "version 2" in verdict.text
        assert "masked A3, A4 (bubbles in QC-low)" in driver.find_element(By.ID, "history").text

        for well in ("A3", "A4"):
            driver.find_element(By.CSS_SELECTOR, f'g[data-well="{well}"]').click()
        driver.find_element(By.ID, "mask-reason").send_keys("masked the wrong pair")
        click_and_wait(driver, "undo-btn")
        assert driver.find_element(By.ID, "verdict").get_attribute("data-version") == "1"

        driver.find_element(By.ID, "review-reason").send_keys("controls and curve fine")
        name = driver.find_element(By.ID, "review-user")
        name.clear()
        name.send_keys("qa-erin")
        click_and_wait(driver, "accept-btn")
        assert "accepted version 1 as qa-erin" in driver.find_element(By.ID, "message").text

        urls = requested_urls(driver)

    # the browser's own chrome:// pages aside, every request went to the app
    network = [u for u in urls if u.split(":")[0] in ("http", "https", "ws", "wss")]
    assert len(network) >= 8  # pages, the script, the stylesheet, the form posts
    assert [u for u in network if not u.startswith(f"{base}/")] == []
    steps = [(e.action, e.user, e.version) for e in audit_log(db, "fkn_clean")][1:]
    assert steps == [
        ("mask", "tech-dana", None),
        ("mask: version 2 added", "tech-dana", 2),
        ("unmask", "tech-dana", None),
        ("unmask: earlier version made current", "tech-dana", 1),
        ("review: accept", "qa-erin", 1),
    ]


def test_layout_editor_template_gives_a_layout_that_loads(db, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from elisa.serve.app import create_app
    from plates.layout.loader import load_layout

    with served(create_app(db)) as base, chromium() as driver:
        driver.get(f"{base}/layout")
        driver.find_element(By.ID, "template").click()
        driver.find_element(By.ID, "expt-analyte").send_keys("FKN")
        driver.find_element(By.ID, "expt-plate_id").send_keys("new-plate")
        driver.find_element(By.ID, "make").click()
        WebDriverWait(driver, 30).until(
            lambda d: d.find_element(By.ID, "toml").get_property("value")
        )
        text = driver.find_element(By.ID, "toml").get_property("value")
    (tmp_path / "l.toml").write_text(text)
    layout = load_layout(tmp_path / "l.toml")[None]
    rows = layout.wells.set_index("well")
    assert rows.loc["A1", "conc"] == 1000.0 and rows.loc["G2", "conc"] == 15.625  # 1000 / 2**6
    assert rows.loc["H1", "role"] == "blank" and rows.loc["A3", "sample"] == "QC-low"
    assert rows.loc["C3", "sample"] == rows.loc["C4", "sample"] == "S01"
    assert layout.expt["plate_id"] == "new-plate"
