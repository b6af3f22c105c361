"""`elisa inspect`: what an export contains, before processing it (`elisa.inspect`)."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from elisa.cli.echo import echo
from elisa.inspect import inspect_export
from plates.wells import row_labels


def _cell(value: float, saturated: bool) -> str:
    if saturated:
        return "OVER"
    return "." if np.isnan(value) else f"{value:.4g}"


def inspect_command(args: argparse.Namespace) -> int:
    """Print format, plates, wavelengths and a grid preview of each read."""
    export = inspect_export(args.export, args.fmt, layout_toml=args.layout_toml)
    echo(f"file: {export.path}")
    echo(f"sha256: {export.sha256}")
    echo(f"format: {export.format}")
    echo(f"plates: {len(export.plates)}")
    for index, plate in enumerate(export.plates, start=1):
        waves = ", ".join("unlabelled" if w is None else f"{w} nm" for w in plate.wavelengths)
        echo()
        echo(
            f"plate {index}: {plate.name or '(unnamed)'}  {plate.n_rows}x{plate.n_cols} wells;"
            f" reads: {waves}"
        )
        for key, value in sorted(plate.metadata.items()):
            echo(f"  {key}: {value}")
        for w_index, wavelength in enumerate(plate.wavelengths):
            echo(f"  read {'unlabelled' if wavelength is None else f'{wavelength} nm'}:")
            header = "".join(f"{c:>9}" for c in range(1, plate.n_cols + 1))
            echo(f"     {header}")
            for r, label in enumerate(row_labels(plate.n_rows)):
                cells = "".join(
                    f"{_cell(plate.od[w_index, r, c], plate.saturated[w_index, r, c]):>9}"
                    for c in range(plate.n_cols)
                )
                echo(f"  {label}  {cells}")
    carried = [p for p in export.plates if p.layout]
    if not carried:
        echo()
        echo("layout carried by the export: none")
        return 0
    for plate in carried:
        roles = Counter(str(f.get("role", "")) for f in plate.layout.values())
        summary = ", ".join(f"{n} {role}" for role, n in sorted(roles.items()))
        echo()
        echo(
            f"layout carried by the export for {plate.name or '(unnamed)'}: "
            f"{len(plate.layout)} wells ({summary})"
            + (f", concentrations in {unit}" if (unit := plate.metadata.get("conc_unit")) else "")
        )
    if args.layout_toml:
        echo(f"layout written to {Path(args.layout_toml)}")
    return 0
