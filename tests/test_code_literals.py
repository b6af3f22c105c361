"""No fail code, warning code, flag or Westgard rule label is spelt out as a string literal outside
qc/codes.py: every module uses the constants, so renaming a code is one edit.

The vocabularies come from qc/codes.py itself, so the test stays in step when a code is added.

One name is shared on purpose: ``saturated`` is a flag *and* the name of the wells.csv column
and of the plate dataset's variable that hold each read's saturation (DESIGN 5.1). A column is
addressed as ``frame["saturated"]`` or ``record.get("saturated")``; those two forms are accepted
for column names. The few other places that name the column or the vendor's own word are listed
in ALLOWED with how many literals each may hold, so a new literal there still fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from qc import codes

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("elisa", "plates", "qc")
VOCABULARY = {
    *codes.FAIL_CODES,
    *codes.WARNING_CODES,
    *codes.FLAGS,
    *codes.WESTGARD_RULES,
}
#: Codes that are also a table column or dataset variable name (DESIGN 5.1).
COLUMN_NAMES = {codes.SATURATED}
#: (module, literal) -> how many literals that module may hold, and why they are no code.
ALLOWED: dict[tuple[str, str], tuple[int, str]] = {
    ("elisa/results.py", "saturated"): (
        2,
        "WELLS_COLUMNS names the wells.csv column, and the column dtypes name it again",
    ),
    ("plates/model.py", "saturated"): (
        2,
        "the plate dataset's saturation variable and PlateRead attribute; plates sits below "
        "qc and may not import its codes",
    ),
    ("plates/readers/envision/common.py", "saturated"): (1, "the vendor's over-range cell text"),
    ("plates/readers/envision/workstation.py", "saturated"): (
        1,
        "the title of the vendor's saturation grid",
    ),
    ("qc/intra_assay.py", "high_cv"): (1, "the argument's name, quoted in an error message"),
    ("elisa/files/column_notes.py", "saturated"): (
        1,
        "the wells.csv column that results.xlsx's columns sheet describes",
    ),
}


def _modules() -> list[Path]:
    found = []
    for package in PACKAGES:
        found += sorted((ROOT / package).rglob("*.py"))
    return [p for p in found if p.relative_to(ROOT).as_posix() != "qc/codes.py"]


def _column_access(node: ast.Constant, parent: ast.AST | None) -> bool:
    """``frame["x"]`` or ``record.get("x")``: the literal names a column, not a code."""
    if isinstance(parent, ast.Subscript) and parent.slice is node:
        return True
    return (
        isinstance(parent, ast.Call)
        and isinstance(parent.func, ast.Attribute)
        and parent.func.attr == "get"
        and bool(parent.args)
        and parent.args[0] is node
    )


def code_literals(path: Path) -> list[tuple[int, str]]:
    """(line, literal) of every string constant in ``path`` that equals a code, column
    accesses of COLUMN_NAMES left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    hits = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if node.value not in VOCABULARY:
            continue
        if node.value in COLUMN_NAMES and _column_access(node, parents.get(node)):
            continue
        hits.append((node.lineno, node.value))
    return sorted(hits)


def test_the_scan_sees_the_packages_and_the_vocabulary():
    modules = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert {"elisa/pipeline.py", "qc/westgard.py", "plates/model.py"} <= modules
    assert {"westgard_reject", "intra_cv_not_assessable", "high_cv", "2of3-2s"} <= VOCABULARY


def test_the_scan_finds_a_code_literal(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text(
        'flags = set()\nflags.add("high_cv")\nx = wells["saturated"]\nrule = "R-4s"\n'
        'y = rec.get("saturated")\nz = {"saturated": 1}\n',
        encoding="utf-8",
    )
    assert code_literals(module) == [(2, "high_cv"), (4, "R-4s"), (6, "saturated")]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_code_literal_outside_qc_codes(path):
    name = path.relative_to(ROOT).as_posix()
    hits = code_literals(path)
    counts: dict[str, int] = {}
    for _, literal in hits:
        counts[literal] = counts.get(literal, 0) + 1
    unexpected = [
        f"{name}:{line}: {literal!r}"
        for line, literal in hits
        if counts[literal] > ALLOWED.get((name, literal), (0, ""))[0]
    ]
    assert not unexpected, "use the constant from qc/codes.py: " + "; ".join(unexpected)


def test_every_allowance_is_still_needed():
    for (name, literal), (count, _why) in ALLOWED.items():
        found = [hit for hit in code_literals(ROOT / name) if hit[1] == literal]
        assert len(found) == count, (
            f"{name} holds {len(found)} {literal!r} literals, {count} allowed"
        )
