"""Seeded damage to exports and layouts, run through `elisa run`, judged against the undamaged
run (issue 14): a damaged input is either refused (exit 2, one line on stderr, nothing
written) or gives exactly the wells of the undamaged input (od_raw and od of every well in
wells.csv); a value that reaches wells.csv changed is damage let through.

Used by the fuzz test of the suite (a few hundred cases) and by ``bench/fuzz_inputs.py``
(thousands, with timeouts and counts). Mutations are chosen so that none can turn one valid
OD into another valid OD (that would be undetectable by any reader): cells lost, added or
cut, lines lost or repeated, files cut, bytes changed to characters that are never part of a
number, and hostile values (out of range, non-finite, not numbers, Unicode digits). In a
spreadsheet an emptied cell is an unread well, so there a well that became empty is not damage.
"""

from __future__ import annotations

import contextlib
import csv
import io
import random
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from elisa.cli.main import main

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "fixtures"
_SUFFIX = re.compile(
    r"_(enspire|envision|kaleido|plateformat|timeformat|icontrol|magellan|spark_list|spark)$"
)

#: values that are never a plausible OD (or carried layout value)
HOSTILE = (
    "abc",
    "-0.9",
    "-1e5",
    "99999",
    "1e300",
    "1e200",
    "-1e250",
    "1e308",
    "inf",
    "-inf",
    "\U0001d7cf.\U0001d7d0",  # mathematical bold digits 1.2
    "\u0661.\u0662",  # Arabic-Indic digits 1.2
    "1e999",
    "0x1F",
    "--1",
    "1.2.3",
)
#: bytes that are never part of a number, a separator, a line end or white space (a space in
#: place of a last digit, "1.256 ", is a shorter valid number, not detectable damage)
_FLIP = [b for b in range(256) if chr(b) not in "0123456789.,+-eE;" and not chr(b).isspace()]
_NUMBER = re.compile(rb"(?<![\w.])-?\d+\.\d+(?:[eE][+-]?\d+)?(?![\w.])")

TEXT_KINDS = (
    "truncate",
    "delete_line",
    "duplicate_line",
    "blank_line",
    "delete_cell",
    "insert_cell",
    "cut_row",
    "flip",
    "hostile",
    "unicode_digit",
)
XLSX_KINDS = ("delete_row", "cut", "insert_row", "duplicate_row", "cut_row", "set_cell")
LAYOUT_KINDS = (
    "table_typo",
    "nested_table",
    "reserved_key",
    "hostile_value",
    "huge_block",
    "deep_nesting",
    "include_outside",
    "delete_line",
    "duplicate_line",
)


@dataclass(frozen=True)
class Case:
    export: Path
    layout: Path
    kind: str  # a mutation of TEXT_KINDS / XLSX_KINDS (the export) or LAYOUT_KINDS (layout)
    seed: int

    @property
    def target(self) -> str:
        return "layout" if self.kind.startswith("layout:") else "export"


def fixture_pairs() -> list[tuple[Path, Path]]:
    """Every fixture export (each reader, text and xlsx) with the layout of its plate."""
    plates = FIXTURES / "plates"
    pairs = [
        (p, p.with_suffix(".toml"))
        for p in sorted(plates.glob("*.csv"))
        if p.with_suffix(".toml").is_file()
    ]
    for export in sorted((FIXTURES / "exports").rglob("*.*")):
        layout = plates / f"{_SUFFIX.sub('', export.stem)}.toml"
        if layout.is_file():
            pairs.append((export, layout))
    return pairs


def cases(n: int, seed: int) -> list[Case]:
    """``n`` cases spread over every fixture export, its kinds of damage, and its layout."""
    rng = random.Random(seed)
    pairs = fixture_pairs()
    out = []
    for k in range(n):
        export, layout = pairs[k % len(pairs)]
        if rng.random() < 0.2:
            kind = "layout:" + rng.choice(LAYOUT_KINDS)
        elif export.suffix == ".xlsx":
            kind = "xlsx:" + rng.choice(XLSX_KINDS)
        else:
            kind = rng.choice(TEXT_KINDS)
        out.append(Case(export, layout, kind, rng.randrange(2**32)))
    return out


# ---------------------------------------------------------------- mutations


def _separator(line: bytes) -> bytes | None:
    for sep in (b"\t", b";", b","):
        if line.count(sep) >= 3:
            return sep
    return None


def mutate_text(data: bytes, kind: str, rng: random.Random) -> bytes:
    """One kind of damage to a text export's bytes."""
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    lines = data.split(newline)
    k = rng.randrange(len(lines))
    if kind == "truncate":
        return data[: rng.randrange(len(data))]
    if kind == "delete_line":
        del lines[k]
    elif kind == "duplicate_line":
        lines.insert(k, lines[k])
    elif kind == "blank_line":
        lines.insert(k, b"")
    elif kind in ("delete_cell", "insert_cell", "cut_row"):
        rows = [i for i, line in enumerate(lines) if _separator(line) and _NUMBER.search(line)]
        if not rows:
            return data[: rng.randrange(len(data))]
        k = rng.choice(rows)
        sep = _separator(lines[k])
        cells = lines[k].split(sep)
        if kind == "cut_row":
            keep = rng.randrange(1, len(cells))
            lines[k] = sep.join(cells[:keep])
        else:
            numeric = [i for i, c in enumerate(cells) if _NUMBER.fullmatch(c.strip())]
            i = rng.choice(numeric or list(range(len(cells))))
            if kind == "delete_cell":
                del cells[i]
            else:
                cells.insert(i, cells[i])
            lines[k] = sep.join(cells)
    elif kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            out[rng.randrange(len(out))] = rng.choice(_FLIP)
        return bytes(out)
    else:  # hostile or unicode_digit: one number of the file replaced
        found = list(_NUMBER.finditer(data))
        if not found:
            return data[: rng.randrange(len(data))]
        m = rng.choice(found)
        if kind == "hostile":
            value = rng.choice(HOSTILE)
        else:
            text = m.group().decode()
            i = rng.choice([i for i, ch in enumerate(text) if ch.isdigit()])
            digit = rng.choice(("\U0001d7ce", "\u0660", "\uff10"))  # bold, Arabic, fullwidth
            value = text[:i] + chr(ord(digit) + int(text[i])) + text[i + 1 :]
        encoding = "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-8"
        replacement = value.encode(encoding, errors="replace")
        if encoding == "utf-16-le":
            return data  # hostile values in UTF-16 files: the byte offsets do not line up
        return data[: m.start()] + replacement + data[m.end() :]
    return newline.join(lines)


def mutate_xlsx(path: Path, kind: str, rng: random.Random, out: Path) -> None:
    """One row-level change to one sheet of a workbook, saved as a new workbook."""
    import openpyxl

    from tests.plates.readers.mutations import mutate_rows

    book = openpyxl.load_workbook(path)
    sheet = rng.choice(book.worksheets)
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    # set_cell writes hostile text only: an empty cell or a marker in place of a number is a
    # legal change (a missing or saturated well), not damage
    changed = mutate_rows(rows, kind, rng, values=HOSTILE)
    sheet.delete_rows(1, sheet.max_row)
    for row in changed:
        sheet.append(list(row))
    book.save(out)


def mutate_layout(text: str, kind: str, rng: random.Random) -> str:
    """One kind of damage to a wellmap layout."""
    lines = text.split("\n")
    headers = [i for i, line in enumerate(lines) if line.startswith("[")]
    keys = [i for i, line in enumerate(lines) if re.match(r"^\w+\s*=", line)]
    if kind == "table_typo":
        i = rng.choice(headers)
        word = re.match(r"^\[(\w+)", lines[i]).group(1)
        typo = rng.choice([word[:-1], word + "s", word[0] + word[2:], word[:2] + "x" + word[3:]])
        lines[i] = "[" + typo + lines[i][1 + len(word) :]
    elif kind == "nested_table":
        i = rng.choice(headers)
        lines[i] = lines[i].rstrip().rstrip("]") + ".extra]"
    elif kind == "reserved_key":
        i = rng.choice(keys)
        key = lines[i].split("=", 1)[0].strip()
        lines[i] = lines[i].replace(key, rng.choice(("well", "row", "col")), 1)
    elif kind == "hostile_value":
        numeric = [
            i for i in keys if re.match(r"^(conc|dilution|conc_low|conc_high)\s*=", lines[i])
        ]
        i = rng.choice(numeric or keys)
        key = lines[i].split("=", 1)[0].strip()
        value = rng.choice(("-1", "0", "nan", "inf", "-inf", '"abc"', "1e308", "1e300", "true"))
        if value == "0" and key not in ("dilution", "conc_low", "conc_high"):
            value = "-1"  # conc = 0 is a blank standard, role = 0 ... : only refused elsewhere
        lines[i] = f"{key} = {value}"
    elif kind == "huge_block":
        i = rng.choice(headers)
        lines[i] = re.sub(r"^\[\w+\.[^.\]]+", "[block.99999999999x1", lines[i], count=1)
    elif kind == "deep_nesting":
        depth = rng.randint(100, 600)
        lines.insert(0, "x = " + "[" * depth + "]" * depth)
    elif kind == "include_outside":
        lines[:0] = ["[meta]", f'include = "{rng.choice(("/etc/passwd", "../../../x.toml"))}"']
    elif kind == "delete_line":
        del lines[rng.randrange(len(lines))]
    else:
        k = rng.randrange(len(lines))
        lines.insert(k, lines[k])
    return "\n".join(lines)


# ---------------------------------------------------------------- running and judging


@dataclass(frozen=True)
class Outcome:
    code: int
    stderr: str
    wells: list[dict] | None  # wells.csv rows, None when nothing was written
    written: bool


def run_elisa(export: Path, layout: Path, out: Path) -> Outcome:
    """`elisa run EXPORT --layout LAYOUT --no-db --out OUT` in this process."""
    err, std = io.StringIO(), io.StringIO()
    args = ["run", str(export), "--layout", str(layout), "--analyte", _analyte(layout)]
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        code = main([*args, "--no-db", "--out", str(out)])
    wells_csv = out / "wells.csv"
    wells = None
    if wells_csv.is_file():
        with wells_csv.open(newline="", encoding="utf-8") as handle:
            wells = list(csv.DictReader(handle))
    return Outcome(code, err.getvalue(), wells, out.exists())


def _analyte(layout: Path) -> str:
    match = re.search(r'^analyte\s*=\s*"([^"]+)"', layout.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else "FKN"


_ORIGINALS: dict[tuple[Path, Path], Outcome] = {}


def original(export: Path, layout: Path) -> Outcome:
    key = (export, layout)
    if key not in _ORIGINALS:
        with tempfile.TemporaryDirectory() as folder:
            _ORIGINALS[key] = run_elisa(export, layout, Path(folder) / "out")
    return _ORIGINALS[key]


#: the wells.csv columns that carry a well's value
VALUE_COLUMNS = ("od_raw", "od", "saturated")
#: and those that carry its layout (judged for layout damage other than lost or repeated lines)
LAYOUT_COLUMNS = ("role", "sample_id", "conc_nominal", "dilution")


def verdict(case: Case, outcome: Outcome, before: Outcome) -> str:
    """``refused``, ``accepted-correct``, or what went wrong: ``bad-refusal`` (exit 2 but
    more than one line or something written), ``bad-exit`` (another code), ``damaged``."""
    if outcome.code == 2:
        lines = outcome.stderr.strip().splitlines()
        ok = len(lines) == 1 and "Traceback" not in outcome.stderr and not outcome.written
        return "refused" if ok else "bad-refusal"
    if outcome.code not in (0, 1) or outcome.wells is None:
        return "bad-exit"
    columns = VALUE_COLUMNS
    if case.kind in ("layout:delete_line", "layout:duplicate_line"):
        # a lost or repeated layout line may be a legal other layout (a blank well fewer
        # changes every corrected od): the raw reads must still be the export's
        columns = ("od_raw", "saturated")
    elif case.kind.startswith("layout:"):
        columns = VALUE_COLUMNS + LAYOUT_COLUMNS
    now = {(w["plate_id"], w["well"]): w for w in outcome.wells}
    then = {(w["plate_id"], w["well"]): w for w in before.wells or []}
    if set(now) != set(then):
        return "damaged"
    # an empty spreadsheet cell is how a sheet shows an unread well: a sheet's well that
    # became empty (no number) is a legal reading, not a changed value
    blank_ok = case.kind.startswith("xlsx:")
    for key, row in now.items():
        if blank_ok and row["od_raw"] == "" and row["saturated"] == "false":
            continue
        if any(row[c] != then[key][c] for c in columns):
            return "damaged"
    return "accepted-correct"


def run_case(case: Case, folder: Path) -> str:
    """Apply the case's damage in ``folder``, run it, and judge it."""
    rng = random.Random(case.seed)
    before = original(case.export, case.layout)
    export, layout = case.export, case.layout
    if case.kind.startswith("layout:"):
        layout = folder / case.layout.name
        text = mutate_layout(case.layout.read_text(encoding="utf-8"), case.kind[7:], rng)
        layout.write_text(text, encoding="utf-8")
    elif case.kind.startswith("xlsx:"):
        export = folder / case.export.name
        mutate_xlsx(case.export, case.kind[5:], rng, export)
    else:
        export = folder / case.export.name
        export.write_bytes(mutate_text(case.export.read_bytes(), case.kind, rng))
    return verdict(case, run_elisa(export, layout, folder / "out"), before)
