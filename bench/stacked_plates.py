"""Peak memory, time and report size of `elisa run` on one export holding many stacked plates.

    python bench/stacked_plates.py [N_PLATES ...]     (default: 100 1000)

Writes one plain-grid CSV with N named plates (the fkn_clean fixture's ODs with 2 % seeded
noise) and a layout without a plate id, runs `elisa run --no-db` on it in a child process,
and prints wall time, the child's peak resident memory and the sizes of report.html and the
per-plate pages. Target (issue 14): 1,000 plates under 1 GB peak memory, a report that opens.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PLATE = ROOT / "fixtures" / "plates" / "fkn_clean"
SEED = 14


def write_stacked(folder: Path, n_plates: int) -> tuple[Path, Path]:
    """One grid CSV with ``n_plates`` plates named P0001.., and the layout for all of them."""
    rows = [line.split(",") for line in PLATE.with_suffix(".csv").read_text().splitlines()]
    od = np.array([[float(v) if v else np.nan for v in row[1:]] for row in rows[1:9]])
    rng = np.random.default_rng(SEED)
    lines = []
    for k in range(n_plates):
        noisy = od * rng.normal(1.0, 0.02, size=od.shape)
        lines.append(f"P{k + 1:04d}," + ",".join(str(c) for c in range(1, 13)))
        for r, values in zip("ABCDEFGH", noisy):
            lines.append(r + "," + ",".join("" if np.isnan(v) else f"{v:.4f}" for v in values))
        lines.append("")
    export = folder / "stacked.csv"
    export.write_text("\n".join(lines))
    layout = folder / "stacked.toml"
    text = PLATE.with_suffix(".toml").read_text()
    layout.write_text("\n".join(x for x in text.splitlines() if not x.startswith("plate_id")))
    return export, layout


def main(counts: list[int]) -> None:
    print(
        f"{'plates':>7} {'exit':>4} {'seconds':>8} {'peak MB':>8} {'report.html MB':>15} "
        f"{'plate pages':>11} {'largest page MB':>15}"
    )
    for n in counts:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            export, layout = write_stacked(folder, n)
            out = folder / "out"
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            start = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "elisa",
                    "run",
                    str(export),
                    "--layout",
                    str(layout),
                    "--no-db",
                    "--out",
                    str(out),
                ],
                capture_output=True,
                text=True,
                cwd=folder,
            )
            seconds = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            if done.returncode not in (0, 1):
                print(f"{n:>7} {done.returncode:>4}  {done.stderr.strip()[:200]}")
                continue
            pages = sorted((out / "plates").glob("*.html")) if (out / "plates").is_dir() else []
            largest = max((p.stat().st_size for p in pages), default=0)
            # ru_maxrss is the largest child so far (KiB on Linux): a smaller N after a larger
            # one would repeat the larger figure, so run counts in ascending order.
            note = "" if peak > before else " (peak of an earlier, larger run)"
            print(
                f"{n:>7} {done.returncode:>4} {seconds:>8.1f} {peak / 1024:>8.0f} "
                f"{(out / 'report.html').stat().st_size / 1e6:>15.2f} {len(pages):>11} "
                f"{largest / 1e6:>15.3f}{note}"
            )


if __name__ == "__main__":
    main(sorted(int(a) for a in sys.argv[1:]) or [100, 1000])
