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
from plates.limits import InputLimits, toml_depth
from qc.errors import QCError
from qc.power import N_SIMULATED, SEED
from qc.rule_sets import RuleSet, default_rule_set, rule_set_from

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
class Westgard:
    """Westgard rule sets by number of controls (under [westgard]; defaults in qc.rule_sets)
    and the simulation of their power functions."""

    rule_sets: Mapping[int, RuleSet] = field(default_factory=dict)  # configured ones only
    n_simulated: int = N_SIMULATED
    seed: int = SEED

    def rule_set(self, n_controls: int) -> RuleSet:
        """The configured set for this many controls, else the default."""
        return self.rule_sets.get(n_controls) or default_rule_set(n_controls)


@dataclass(frozen=True)
class Config:
    """Analytes and rules, with the file they came from (None for built-in defaults)."""

    registry: AnalyteRegistry = field(default_factory=builtin_registry)
    rules: Rules = field(default_factory=Rules)
    westgard: Westgard = field(default_factory=Westgard)
    source: Path | None = None
    sha256: str | None = None
    #: input limits (file size, plates per file, plausible OD range) from [limits]
    limits: InputLimits = field(default_factory=InputLimits)


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
    "tea_pct",
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
    except RecursionError:
        doc = None
    deepest = InputLimits().max_toml_depth
    if doc is None or toml_depth(doc) > deepest:
        raise ConfigError(f"tables or arrays nested more than {deepest} deep", file=path)
    return parse_config(doc, source=path, sha256=hashlib.sha256(data).hexdigest())


def parse_config(
    doc: Mapping[str, Any], *, source: Path | None = None, sha256: str | None = None
) -> Config:
    """Build a Config from a parsed TOML document, checking every key and value."""
    unknown = set(doc) - {"analytes", "rules", "westgard", "limits"}
    if unknown:
        raise ConfigError(
            f"unknown section(s) {sorted(unknown)}; expected [analytes.NAME], [rules], "
            "[westgard] and [limits]",
            file=source,
        )
    registry = builtin_registry()
    for name, table in _table(doc.get("analytes", {}), "analytes", source).items():
        registry = registry.with_analyte(
            _parse_analyte(name, _table(table, f"analytes.{name}", source), registry, source)
        )
    rules = _parse_rules(_table(doc.get("rules", {}), "rules", source), source)
    limits = _parse_limits(_table(doc.get("limits", {}), "limits", source), source)
    westgard = _parse_westgard(_table(doc.get("westgard", {}), "westgard", source), source)
    return Config(
        registry=registry,
        rules=rules,
        westgard=westgard,
        source=source,
        sha256=sha256,
        limits=limits,
    )


_LIMIT_KEYS = ("od_min", "od_max", "max_file_mb", "max_plates_per_file")


def _parse_limits(table: Mapping[str, Any], source: Path | None) -> InputLimits:
    unknown = set(table) - set(_LIMIT_KEYS)
    if unknown:
        raise ConfigError(
            f"[limits]: unknown key(s) {sorted(unknown)}; allowed: {list(_LIMIT_KEYS)}",
            file=source,
        )
    for key, value in table.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ConfigError(f"[limits] {key} must be a number, not {value!r}", file=source)
    changes = dict(table)
    if "max_plates_per_file" in changes:
        changes["max_plates_per_file"] = int(changes["max_plates_per_file"])
    limits = replace(InputLimits(), **changes)
    try:
        limits.check()
    except ValueError as exc:
        raise ConfigError(f"[limits]: {exc}", file=source) from None
    return limits


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
    for key in ("intra_cv_limit_pct", "inter_cv_limit_pct", "tea_pct"):
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
#: [westgard] keys besides the rule sets [westgard.controls_N]
_WESTGARD_KEYS = {"n_simulated", "seed"}
_RULE_SET_KEYS = {"reject", "warn"}
#: Fewest simulated runs for a power function (issue 10: at least 100,000).
MIN_SIMULATED = 100_000


def _parse_westgard(table: Mapping[str, Any], source: Path | None) -> Westgard:
    """[westgard]: n_simulated, seed, and [westgard.controls_N] with reject = [...], warn = [...]
    (rules written as in qc.rule_sets, e.g. "2of3-2s@run+control")."""
    sets: dict[int, RuleSet] = {}
    changes: dict[str, Any] = {}
    allowed = "n_simulated, seed and [westgard.controls_N] (N = 1, 2, ...)"
    for key, value in table.items():
        if key in _WESTGARD_KEYS:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            if not ok or (key == "n_simulated" and value < MIN_SIMULATED):
                least = MIN_SIMULATED if key == "n_simulated" else 0
                raise ConfigError(
                    f"[westgard] {key} must be a whole number ≥ {least}, not {value!r}",
                    file=source,
                )
            changes[key] = value
            continue
        number = key.removeprefix("controls_")
        if not (key.startswith("controls_") and number.isdigit() and int(number) >= 1):
            raise ConfigError(f"[westgard]: unknown key {key!r}; allowed: {allowed}", file=source)
        where = f"[westgard.{key}]"
        spec = _table(value, f"westgard.{key}", source)
        unknown = set(spec) - _RULE_SET_KEYS
        if unknown or "reject" not in spec:
            raise ConfigError(
                f"{where}: needs reject = [rules] and may have warn = [rules]; got keys "
                f"{sorted(spec)}",
                file=source,
            )
        lists = {}
        for name in _RULE_SET_KEYS & set(spec):
            items = spec[name]
            if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
                raise ConfigError(
                    f'{where} {name} must be a list of rules like ["1-3s", "2-2s@run+control"]',
                    file=source,
                )
            lists[name] = items
        if not lists["reject"]:
            raise ConfigError(f"{where} reject must list at least one rule", file=source)
        try:
            sets[int(number)] = rule_set_from(lists["reject"], lists.get("warn", ()))
        except QCError as exc:
            raise ConfigError(f"{where}: {exc}", file=source) from None
    return Westgard(sets, **changes)


#: Rules that are fractions (or probabilities) in (0, 1).
_FRACTIONS = {"standards_min_fraction", "intra_cv_alpha", "max_high_cv_fraction"}


def _positive(value: Any, what: str, source: Path | None, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{what} must be a positive number, not {value!r}", file=source)
    return float(value)
