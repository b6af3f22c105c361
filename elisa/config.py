"""Configuration: analyte settings and rule numbers, from elisa.toml or built-in defaults."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from elisa.analytes import (
    MODELS,
    WEIGHTINGS,
    Analyte,
    AnalyteRegistry,
    ControlTarget,
    builtin_registry,
    name_key,
)
from elisa.errors import ConfigError

DEFAULT_CONFIG_NAME = "elisa.toml"
#: The standard-curve fitters (elisa.fit.request): the one-curve lmfit path or the batched one.
FITTERS = ("lmfit", "batched")


@dataclass(frozen=True, kw_only=True)
class Rules:
    """The numbers of DESIGN section 4 (all overridable under [rules])."""

    standard_tolerance_pct: float = 20.0
    standard_end_tolerance_pct: float = 25.0
    standards_min_fraction: float = 0.75
    standards_min_levels: int = 6
    control_tolerance_pct: float = 20.0
    intra_cv_alpha: float = 0.01
    max_high_cv_fraction: float = 0.10
    profile_cv_target_pct: float = 20.0
    min_levels_5pl: int = 6
    min_levels_4pl: int = 5
    drop_failing_standards: bool = False  # the opt-in M10 drop-and-refit
    fitter: str = "lmfit"  # "lmfit" (one curve at a time) or "batched" (all plates' curves at once)


@dataclass(frozen=True)
class Config:
    """Analytes and rules, with the file they came from (None for built-in defaults)."""

    registry: AnalyteRegistry = field(default_factory=builtin_registry)
    rules: Rules = field(default_factory=Rules)
    source: Path | None = None
    sha256: str | None = None


_ANALYTE_KEYS = {
    "unit",
    "aliases",
    "intra_cv_limit_pct",
    "inter_cv_limit_pct",
    "model",
    "weighting",
    "theta",
    "wavelength",
    "controls",
}


def load_config(path: str | Path | None = None, *, cwd: Path | None = None) -> Config:
    """``path`` if given, else ./elisa.toml if present, else the built-in defaults."""
    if path is None:
        candidate = (cwd or Path.cwd()) / DEFAULT_CONFIG_NAME
        if not candidate.is_file():
            return Config()
        path = candidate
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the configuration file ({exc.strerror or exc})", file=path
        ) from None
    return config_from_bytes(data, path)


def config_from_bytes(data: bytes, path: Path) -> Config:
    """Parse a configuration file's bytes (``path`` names it in errors and provenance)."""
    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not a valid TOML configuration file: {exc}", file=path) from None
    return parse_config(doc, source=path, sha256=hashlib.sha256(data).hexdigest())


def parse_config(
    doc: Mapping[str, Any], *, source: Path | None = None, sha256: str | None = None
) -> Config:
    """Build a Config from a parsed TOML document, checking every key and value."""
    unknown = set(doc) - {"analytes", "rules"}
    if unknown:
        raise ConfigError(
            f"unknown section(s) {sorted(unknown)}; expected [analytes.NAME] and [rules]",
            file=source,
        )
    registry = builtin_registry()
    for name, table in _table(doc.get("analytes", {}), "analytes", source).items():
        registry = registry.with_analyte(
            _parse_analyte(name, _table(table, f"analytes.{name}", source), registry, source)
        )
    rules = _parse_rules(_table(doc.get("rules", {}), "rules", source), source)
    return Config(registry, rules, source, sha256)


def _table(value: Any, where: str, source: Path | None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{where}] must be a table", file=source)
    return value


def _parse_analyte(
    name: str, table: Mapping[str, Any], registry: AnalyteRegistry, source: Path | None
) -> Analyte:
    where = f"[analytes.{name}]"
    unknown = set(table) - _ANALYTE_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_ANALYTE_KEYS)}",
            file=source,
        )
    existing = next(
        (
            a
            for a in registry.analytes.values()
            if name_key(a.name) == name_key(name)
            or name_key(name) in {name_key(x) for x in a.aliases}
        ),
        None,
    )
    if existing is None and "unit" not in table:
        raise ConfigError(f"{where}: a new analyte needs a unit", file=source)
    base = existing or Analyte(name=name, unit=str(table["unit"]))
    changes: dict[str, Any] = {}
    for key in ("intra_cv_limit_pct", "inter_cv_limit_pct"):
        if key in table:
            changes[key] = _positive(table[key], f"{where} {key}", source)
    if "unit" in table:
        changes["unit"] = str(table["unit"])
    if "aliases" in table:
        if not isinstance(table["aliases"], list):
            raise ConfigError(f"{where}: aliases must be a list of names", file=source)
        changes["aliases"] = tuple(str(a) for a in table["aliases"])
    if "model" in table:
        if table["model"] not in MODELS:
            raise ConfigError(
                f"{where}: model must be one of {MODELS}, not {table['model']!r}", file=source
            )
        changes["model"] = table["model"]
    if "weighting" in table:
        if table["weighting"] not in WEIGHTINGS:
            raise ConfigError(
                f"{where}: weighting must be one of {WEIGHTINGS}, not {table['weighting']!r}",
                file=source,
            )
        changes["weighting"] = table["weighting"]
    if "theta" in table:
        theta = table["theta"]
        if theta != "estimate":
            theta = _positive(theta, f"{where} theta", source, allow_zero=True)
        changes["theta"] = theta
    if "wavelength" in table:
        changes["wavelength"] = int(_positive(table["wavelength"], f"{where} wavelength", source))
    if "controls" in table:
        controls = {}
        for control, target in _table(table["controls"], f"{where}.controls", source).items():
            target = _table(target, f"analytes.{name}.controls.{control}", source)
            controls[control] = ControlTarget(
                _positive(target.get("mean"), f"{where} controls.{control}.mean", source),
                _positive(target.get("sd"), f"{where} controls.{control}.sd", source),
            )
        changes["controls"] = controls
    return replace(base, name=existing.name if existing else name, **changes)


def _parse_rules(table: Mapping[str, Any], source: Path | None) -> Rules:
    defaults = Rules()
    known = {f.name: f for f in fields(Rules)}
    unknown = set(table) - set(known)
    if unknown:
        raise ConfigError(
            f"[rules]: unknown key(s) {sorted(unknown)}; allowed: {sorted(known)}", file=source
        )
    changes: dict[str, Any] = {}
    for key, value in table.items():
        default = getattr(defaults, key)
        if isinstance(default, str):
            if value not in _CHOICES[key]:
                raise ConfigError(
                    f"[rules] {key} must be one of {list(_CHOICES[key])}, not {value!r}",
                    file=source,
                )
            changes[key] = value
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"[rules] {key} must be true or false", file=source)
            changes[key] = value
        else:
            number = _positive(value, f"[rules] {key}", source)
            if key in _FRACTIONS and not number < 1:
                raise ConfigError(
                    f"[rules] {key} must be a fraction below 1, not {value!r}", file=source
                )
            changes[key] = int(number) if isinstance(default, int) else number
    return replace(defaults, **changes)


#: Rules that name one of a few choices.
_CHOICES = {"fitter": FITTERS}
#: Rules that are fractions (or probabilities) in (0, 1).
_FRACTIONS = {"standards_min_fraction", "intra_cv_alpha", "max_high_cv_fraction"}


def _positive(value: Any, what: str, source: Path | None, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{what} must be a positive number, not {value!r}", file=source)
    return float(value)
