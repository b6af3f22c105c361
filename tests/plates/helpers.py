"""Small builders of grid text for the plates tests."""

from __future__ import annotations

import numpy as np

LETTERS = "ABCDEFGHIJKLMNOP"


def grid_lines(
    values, label: str = "", delimiter: str = ",", decimal: str = ".", fmt=repr
) -> list[str]:
    """Lines of one grid: header ``label,1..N`` then ``A..`` rows of ``values`` (2-D)."""
    values = np.asarray(values, dtype=object)
    n_rows, n_cols = values.shape
    lines = [delimiter.join([label] + [str(c) for c in range(1, n_cols + 1)])]
    for r in range(n_rows):
        cells = []
        for v in values[r]:
            text = v if isinstance(v, str) else fmt(float(v))
            if decimal != ".":
                text = text.replace(".", decimal)
            cells.append(text)
        lines.append(delimiter.join([LETTERS[r]] + cells))
    return lines


def grid_text(*grids, delimiter: str = ",", decimal: str = ".", labels=None) -> str:
    labels = labels or [""] * len(grids)
    blocks = ["\n".join(grid_lines(g, lab, delimiter, decimal)) for g, lab in zip(grids, labels)]
    return "\n\n".join(blocks) + "\n"


def plate_values(n_rows: int = 8, n_cols: int = 12, seed: int = 0) -> np.ndarray:
    return np.round(np.random.default_rng(seed).uniform(0.04, 3.5, (n_rows, n_cols)), 3)
