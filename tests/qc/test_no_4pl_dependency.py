"""qc stays plain statistics: it never imports the application package (DESIGN 2)."""

import ast
import subprocess
import sys
from pathlib import Path

import qc

QC_DIR = Path(qc.__file__).parent


def test_qc_sources_do_not_import_elisa():
    for path in sorted(QC_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] != "elisa", f"{path.name} imports {name}"


def test_importing_qc_modules_loads_no_elisa():
    code = (
        "import sys\n"
        "import qc.codes, qc.standards, qc.controls, qc.replicates, qc.intra_assay, "
        "qc.plate_verdict\n"
        "bad = [m for m in sys.modules if m == 'elisa' or m.startswith('elisa.')]\n"
        "assert not bad, bad\n"
    )
    root = QC_DIR.parent
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
