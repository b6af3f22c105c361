"""The pipeline with `[rules] fitter = "batched"` (all plates' curves fitted in one call) gives
the same tables as the one-plate lmfit path on every fixture plate."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import elisa
from elisa.config import load_config
from elisa.errors import ConfigError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _fixture_plates() -> list[Path]:
    exports = [
        p
        for folder in ("plates", "top_loss")
        for p in sorted((FIXTURES / folder).glob("*.csv"))
        if p.with_suffix(".toml").exists()
    ]
    assert len(exports) >= 13
    return exports


def _process(exports: list[Path], fitter: str) -> list[elisa.Results]:
    """Process the plates in as few runs as possible (a run refuses one export given twice, and
    the top-loss plates share exports): every run fits all its plates' curves in one call."""
    runs: list[tuple[set[bytes], list[Path]]] = []
    for export in exports:
        data = export.read_bytes()
        free = next((r for r in runs if data not in r[0]), None)
        if free is None:
            free = (set(), [])
            runs.append(free)
        free[0].add(data)
        free[1].append(export)
    cfg = load_config(None)
    cfg = dataclasses.replace(cfg, rules=dataclasses.replace(cfg.rules, fitter=fitter))
    return [
        elisa.process(run, [e.with_suffix(".toml") for e in run], config=cfg) for _, run in runs
    ]


def _assert_tables_agree(one: pd.DataFrame, many: pd.DataFrame, rtol: float) -> None:
    assert list(one.columns) == list(many.columns) and len(one) == len(many)
    for column in one.columns:
        if one[column].dtype.kind == "f":
            np.testing.assert_allclose(
                many[column].to_numpy(float),
                one[column].to_numpy(float),
                rtol=rtol,
                atol=1e-12,
                err_msg=column,
            )
        else:
            pd.testing.assert_series_equal(many[column], one[column], obj=column)


def test_fixture_plates_give_the_same_tables_with_either_fitter():
    exports = _fixture_plates()
    lmfit_runs, batched_runs = _process(exports, "lmfit"), _process(exports, "batched")
    assert len(batched_runs) == 2 and len(batched_runs[0].runs) >= 8  # batches, not single plates
    for one, many in zip(lmfit_runs, batched_runs, strict=True):
        _assert_tables_agree(one.curves, many.curves, rtol=1e-6)
        _assert_tables_agree(one.samples, many.samples, rtol=1e-6)
        _assert_tables_agree(one.runs, many.runs, rtol=1e-6)
        assert many.samples["conc"].notna().sum() > 30  # concentrations compared, not NaNs
        assert many.provenance["settings"]["rules"]["fitter"] == "batched"
        assert one.provenance["settings"]["rules"]["fitter"] == "lmfit"


def test_an_unknown_fitter_is_a_config_error(tmp_path):
    path = tmp_path / "elisa.toml"
    path.write_text('[rules]\nfitter = "fast"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fitter must be one of \['lmfit', 'batched'\]"):
        load_config(path)
    path.write_text('[rules]\nfitter = "batched"\n', encoding="utf-8")
    assert load_config(path).rules.fitter == "batched"
