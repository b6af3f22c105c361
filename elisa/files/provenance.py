"""provenance.json: inputs with hashes, every setting, software versions and the time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import platform
from typing import Any

import numpy as np

from elisa._version import __version__
from elisa.config import Config
from elisa.fit.bounds import CURVE_BOUNDS_NOTE
from elisa.missing import json_scalar
from elisa.reduction.wells import PlateWells


def _settings(analyte) -> dict[str, Any]:
    fields = dataclasses.asdict(analyte)
    fields["aliases"] = list(analyte.aliases)
    fields["controls"] = {k: dataclasses.asdict(v) for k, v in analyte.controls.items()}
    return fields


def _control_targets(wells: PlateWells) -> dict[str, dict[str, float | None]]:
    """Each control's expected value and range from the layout (concentration units), from its
    first well, by control name."""
    first: dict[str, int] = {}
    for i, (role, sample) in enumerate(zip(wells.role.tolist(), wells.sample.tolist())):
        if role == "control" and sample == sample and sample is not None:
            first.setdefault(sample, i)
    columns = {k: getattr(wells, k).tolist() for k in ("conc", "conc_low", "conc_high")}
    return {
        str(name): {
            k: (None if values[first[name]] != values[first[name]] else float(values[first[name]]))
            for k, values in columns.items()
        }
        for name in sorted(first)
    }


def _masked_wells(wells: PlateWells) -> dict[str, str]:
    """Masked well → its reason."""
    return {
        well: mask
        for well, mask, masked in zip(
            wells.well.tolist(), wells.mask.tolist(), wells.masked.tolist()
        )
        if masked
    }


def installed_version(distribution: str) -> str:
    """The version of an installed distribution, from the ``Version`` line of its metadata.

    Read directly: `importlib.metadata.version` parses the whole file (long description and all)
    with the email parser, about 20 ms a library, a tenth of a one-plate run's own work."""
    from importlib.metadata import distribution as installed

    found = installed(distribution)
    text = found.read_text("METADATA") or found.read_text("PKG-INFO") or ""  # PKG-INFO: egg-info
    for line in text.splitlines():
        if not line.strip():  # the header ends at the first blank line
            break
        name, _, value = line.partition(":")
        if name == "Version":
            return value.strip()
    raise LookupError(f"the installed metadata of {distribution} names no version")


def _library_versions() -> dict[str, str]:
    """The versions of the fitting libraries: the one-plate fitter calls scipy directly, and
    importing lmfit for its version would cost 0.3 s."""
    return {"scipy": installed_version("scipy"), "lmfit": installed_version("lmfit")}


def provenance_record(
    plan: list, reductions: list, reads: list[dict], cfg: Config, now: dt.datetime
) -> dict[str, Any]:
    """Everything needed to trace each number back to its inputs (DESIGN 5.1, 7)."""
    exports, layouts = {}, {}
    plates = []
    for item, r, chosen in zip(plan, reductions, reads):
        exports[str(item.export.path)] = {
            "sha256": item.export.sha256,
            "format": item.export.format,
            "metadata": dict(item.export.metadata),
            "plates_in_file": [
                {
                    "name": p.name,
                    "wavelengths": list(p.wavelengths),
                    "read_mode": p.metadata.get("read_mode", "absorbance"),
                }
                for p in item.export.plates
            ],
        }
        layouts[str(item.layout.source)] = {"sha256": item.layout.sha256}
        plates.append(
            {
                "plate_id": item.plate_id,
                "analyte": item.analyte.name,
                "source_file": str(item.export.path),
                "source_sha256": item.export.sha256,
                "plate_name_in_export": item.read.name,
                "layout": str(item.layout.source),
                "layout_plate": item.layout.plate,
                "layout_sha256": item.layout.sha256,
                "run_date": item.run_date.value,
                "run_date_source": item.run_date.source,
                "unit": item.analyte.unit,  # of every concentration in the results
                "layout_unit": item.layout.expt.get("unit"),
                "unit_conversion": (
                    dataclasses.asdict(item.unit_conversion) if item.unit_conversion else None
                ),
                **chosen,
                "blank_mean_od": r.blank_mean,
                "blank_wells": list(r.blank_wells),
                "masked_wells": _masked_wells(r.well_arrays),
                "control_targets": _control_targets(r.well_arrays),
                "failed_control_wells": list(r.failed_control_wells),
                "fit": {
                    "model": r.fit.model,
                    "weighting": r.fit.weighting,
                    "theta": r.fit.theta,
                    "n_points": r.fit.n_points,
                    "converged": r.fit.converged,
                    "at_bound": list(r.fit.at_bound),
                    "message": r.fit.message,
                    "params": r.fit.params,
                    "covariance_free_params": np.asarray(r.fit.covariance).tolist(),
                },
                "verdict": r.verdict,
            }
        )
    return json_safe(
        {
            "software": {
                "name": "elisa-toolkit",
                "version": __version__,
                "python": platform.python_version(),
                "numpy": np.__version__,
                **_library_versions(),
            },
            "created_utc": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "inputs": {"exports": exports, "layouts": layouts},
            "config": {"source": str(cfg.source) if cfg.source else None, "sha256": cfg.sha256},
            "settings": {
                "rules": dataclasses.asdict(cfg.rules),
                "westgard": {
                    "rule_sets": {
                        f"controls_{n}": {"reject": rs.label, "warn": rs.warning_label}
                        for n, rs in sorted(cfg.westgard.rule_sets.items())
                    },
                    "n_simulated": cfg.westgard.n_simulated,
                    "seed": cfg.westgard.seed,
                },
                "analytes": {
                    p["analyte"]: _settings(item.analyte) for p, item in zip(plates, plan)
                },
                "curve_bounds": CURVE_BOUNDS_NOTE,
            },
            "plates": plates,
        }
    )


def json_safe(value: Any) -> Any:
    """NaN and infinities (a failed fit's parameters) become null; numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return json_scalar(value)
