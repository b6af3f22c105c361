"""The layers hold: `plates` ◄ `qc` ◄ `elisa`, imports flow one way only (DESIGN 2).

`plates` (exports, layouts, the plate model) imports neither `qc` nor `elisa`; `qc` (plain
statistics, nothing about 4PL) does not import `elisa`. Every module's syntax tree is read,
imports inside functions included, plus `__import__`/`importlib.import_module` with a literal
name; a subprocess then imports every module of a package and checks what got loaded.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"plates": {"qc", "elisa"}, "qc": {"elisa"}}


def imported_names(source: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in `source`, wherever it sits.

    Relative imports stay inside their own package, so they are left out."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in {"__import__", "import_module"} and isinstance(first, ast.Constant):
                found.append((node.lineno, str(first.value)))
    return found


def layer_violations(package: str) -> list[str]:
    """`file:line imports name` for each import of a package above `package`."""
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, name in imported_names(path.read_text(encoding="utf-8")):
            if name.split(".")[0] in FORBIDDEN[package]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return bad


def test_the_scan_finds_imports_inside_functions_and_dynamic_ones():
    source = (
        "import numpy\n"
        "from . import sibling\n"
        "def late():\n"
        "    from elisa.fit import model\n"
        "    import qc.codes as codes\n"
        "    return __import__('elisa'), importlib.import_module('qc.standards')\n"
    )
    names = [name for _, name in imported_names(source)]
    assert names == ["numpy", "elisa.fit", "qc.codes", "elisa", "qc.standards"]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_a_higher_layer(package):
    assert (ROOT / package / "__init__.py").is_file()
    assert layer_violations(package) == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_importing_every_module_loads_no_higher_layer(package):
    code = (
        "import importlib, pkgutil, sys\n"
        f"import {package}\n"
        f"names = [m.name for m in pkgutil.walk_packages({package}.__path__, '{package}.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        f"above = {sorted(FORBIDDEN[package])!r}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in above)\n"
        "print(len(names), loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    count, loaded = done.stdout.split(" ", 1)
    assert int(count) > 5  # every module was walked, not an empty package
    assert loaded.strip() == "[]"
