"""Start-up costs nothing: the library, the store and `elisa --help` load no fitting stack.

`python -X importtime` lists every module a start imports (on stderr); lmfit, matplotlib and
xarray (each hundreds of milliseconds) must not be among them, nor dask (loaded only by a run
on a cluster, `elisa run --dask` / `--workers`). The speed itself is measured in
bench/bench_startup.py, not here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("lmfit", "matplotlib", "xarray", "dask", "distributed")


def imported_modules(*args: str) -> set[str]:
    """Every module `python -X importtime ARGS` imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    modules = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                modules.add(name)
    return modules


def test_the_importtime_reading_sees_a_heavy_import():
    # The check below could pass by reading nothing: here the same reading must find lmfit.
    assert "lmfit" in imported_modules("-c", "import elisa.fit.model")


@pytest.mark.parametrize(
    "args",
    [("-c", "import elisa"), ("-c", "import elisa.store"), ("-m", "elisa", "--help")],
    ids=["import elisa", "import elisa.store", "elisa --help"],
)
def test_start_up_loads_no_heavy_library(args):
    modules = imported_modules(*args)
    assert "elisa" in modules
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == []


def test_writing_outputs_loads_no_plotting_or_spreadsheet_library():
    """The plate report draws its SVG and results.xlsx writes its XML itself: the output
    writers (used by run, mask and review) need neither matplotlib nor openpyxl."""
    modules = imported_modules("-c", "import elisa.files.staging")
    assert "elisa.report.curve_figure" in modules
    assert sorted(m for m in modules if m.split(".")[0] in ("matplotlib", "openpyxl")) == []


def test_the_lazy_package_attributes_still_work():
    code = (
        "import sys, elisa\n"
        "assert 'elisa.pipeline' not in sys.modules\n"
        "from elisa import Results, process\n"
        "from elisa.pipeline import process as p\n"
        "from elisa.results import Results as R\n"
        "assert process is p and Results is R\n"
        "print(elisa.__version__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    from elisa._version import __version__

    assert done.stdout.strip() == __version__
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        __import__("elisa").nothing  # noqa: B018


def test_the_installed_version_is_the_single_source():
    from importlib.metadata import version

    from elisa._version import __version__

    assert version("elisa-toolkit") == __version__


@pytest.mark.parametrize(
    "args",
    [("-c", "import elisa.run"), ("-m", "elisa", "run", "--help")],
    ids=["import elisa.run", "elisa run --help"],
)
def test_a_run_without_a_cluster_loads_no_dask(args):
    modules = imported_modules(*args)
    assert "elisa.cli.main" in modules or "elisa.run" in modules
    assert sorted(m for m in modules if m.split(".")[0] in ("dask", "distributed")) == []


def test_the_importtime_reading_sees_dask_when_a_cluster_is_used():
    assert "distributed" in imported_modules(
        "-c", "import elisa.cluster.session as s; s._distributed()"
    )


def test_one_plate_run_loads_neither_lmfit_nor_wellmap(tmp_path):
    """The README's first command: the fit calls scipy's solver directly (elisa.fit.solve), the
    layout is expanded without wellmap (plates.layout.expand), and χ²/t quantiles come from
    scipy.special, so none of lmfit, wellmap or scipy.stats (a second between them) is loaded.
    Nor is xml.sax (results.xlsx escapes its text with html.escape; xml.sax's escaping loads
    urllib and http, 10 ms)."""
    modules = imported_modules(
        "-m",
        "elisa",
        "run",
        "fixtures/plates/fkn_clean.csv",
        "--layout",
        "fixtures/plates/fkn_clean.toml",
        "--out",
        str(tmp_path / "results"),
        "--db",
        str(tmp_path / "elisa.sqlite"),
    )
    assert "elisa.fit.solve" in modules and "plates.layout.expand" in modules
    assert (tmp_path / "results" / "report.html").is_file()
    loaded = sorted(m for m in modules if m.split(".")[0] in ("lmfit", "wellmap", "matplotlib"))
    assert loaded + sorted(m for m in modules if m.startswith("scipy.stats")) == []
    assert "xml.sax" not in modules
