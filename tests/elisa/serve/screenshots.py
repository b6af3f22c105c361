"""Screenshots of the review app for the README: ``python -m tests.elisa.serve.screenshots
docs`` (needs chromium and chromium-driver). A store of fixture plates, one plate masked."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from elisa.run import run_exports
from elisa.serve.app import create_app
from elisa.store.annotations import mask_wells
from tests.conftest import plate_paths
from tests.elisa.serve.browser import chromium, screenshot, served

PLATES = ("fkn_clean", "tracp5b_clean", "il1b_clean", "il6_clean", "fkn_bad_curve", "il6_noisy")


def main(out: Path) -> None:
    from selenium.webdriver.common.by import By

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store.sqlite"
        for name in PLATES:
            export, layout = plate_paths(name)
            run_exports(export, layout, out=Path(tmp) / name, db=db, user="tech1")
        mask_wells(db, "il6_clean", ["C5"], "pipetting error", user="tech1")
        with served(create_app(db, user="tech1")) as base, chromium(1280, 900) as driver:
            driver.get(f"{base}/runs")
            screenshot(driver, out / "serve-runs.png", 600)
            driver.get(f"{base}/plates/il6_clean/IL-6")
            for well in ("D7", "D8"):
                driver.find_element(By.CSS_SELECTOR, f'g[data-well="{well}"]').click()
            screenshot(driver, out / "serve-plate.png", 1150)
            driver.get(f"{base}/layout")
            driver.find_element(By.ID, "template").click()
            driver.find_element(By.ID, "expt-analyte").send_keys("FKN")
            screenshot(driver, out / "serve-layout.png", 800)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
