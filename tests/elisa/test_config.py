"""Configuration and analyte registry (DESIGN 3.3) and unit conversion.

- the five built-in analytes with their units, aliases and CV limits;
- name matching after case-folding, dropping spaces, '-' and '_', and mapping β to b;
- an unknown analyte's error names it and lists the known ones;
- elisa.toml: overrides, new analytes, rules, and a ConfigError naming the file for unknown keys
  and bad values; ./elisa.toml picked up from the working directory;
- unit conversion factors.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest

from elisa.analytes import Analyte, ControlTarget, builtin_registry, name_key
from elisa.config import Config, Rules, load_config
from elisa.errors import ConfigError, ElisaError
from elisa.units import conversion_factor

BUILTINS = [  # name, unit, aliases, intra-assay CV limit, inter-assay CV limit, fitted
    ("FKN", "pg/mL", ("CX3CL1", "fractalkine"), 4.3, 6.0, True),
    ("TRACP-5b", "U/L", ("TRAP5b", "TRACP5b"), 3.9, 6.0, True),
    ("IL-1b", "pg/mL", ("IL-1β", "IL1B", "IL-1beta"), 4.6, 6.0, True),
    ("IL-6", "pg/mL", ("IL6",), 3.5, 6.0, True),
    ("NTX", "nmol BCE/L", ("NTx",), 4.2, 5.6, False),
]


# --------------------------------------------------------------------------- built-ins


def test_builtin_registry_holds_exactly_the_five_analytes():
    assert set(builtin_registry().analytes) == {row[0] for row in BUILTINS}


@pytest.mark.parametrize(
    "name,unit,aliases,intra,inter,fitted", BUILTINS, ids=[row[0] for row in BUILTINS]
)
def test_builtin_analyte(name, unit, aliases, intra, inter, fitted):
    registry = builtin_registry()
    analyte = registry.resolve(name)
    assert analyte.name == name
    assert analyte.unit == unit
    assert set(aliases) <= set(analyte.aliases)
    assert analyte.intra_cv_limit_pct == intra
    assert analyte.inter_cv_limit_pct == inter
    assert analyte.fitted is fitted
    # defaults of DESIGN 4.2 and 3.3
    assert analyte.model == "4PL" and analyte.weighting == "none"
    assert analyte.wavelength == 450
    for alias in aliases:
        assert registry.resolve(alias).name == name
    # the default configuration carries the same registry
    assert Config().registry.resolve(name) == analyte


def test_default_rules_are_the_numbers_of_design_section_4():
    rules = Rules()
    assert rules.standard_tolerance_pct == 20.0
    assert rules.standard_end_tolerance_pct == 25.0
    assert rules.standards_min_fraction == 0.75
    assert rules.standards_min_levels == 6
    assert rules.control_tolerance_pct == 20.0
    assert rules.intra_cv_alpha == 0.01
    assert rules.max_high_cv_fraction == 0.10
    assert rules.profile_cv_target_pct == 20.0
    assert rules.min_levels_4pl == 5 and rules.min_levels_5pl == 6
    assert rules.drop_failing_standards is False


# --------------------------------------------------------------------------- name matching


@pytest.mark.parametrize(
    "written,canonical",
    [
        ("il 1β", "IL-1b"),
        ("il_1beta", "IL-1b"),
        ("IL-1β", "IL-1b"),
        ("IL1B", "IL-1b"),
        ("Il - 1 B", "IL-1b"),
        ("IL-1b", "IL-1b"),
        ("CX3CL1", "FKN"),
        ("cx3cl1", "FKN"),
        ("Fractalkine", "FKN"),
        ("fkn", "FKN"),
        ("tracp5b", "TRACP-5b"),
        ("TRACP_5B", "TRACP-5b"),
        ("trap-5b", "TRACP-5b"),
        ("TRACP 5β", "TRACP-5b"),
        ("il6", "IL-6"),
        ("IL_6", "IL-6"),
        ("Il-6", "IL-6"),
        ("ntx", "NTX"),
        ("N-Tx", "NTX"),
    ],
)
def test_names_match_after_normalisation(written, canonical):
    assert builtin_registry().resolve(written).name == canonical


@pytest.mark.parametrize(
    "raw,key",
    [
        ("IL-1β", "il1b"),
        ("il_1 beta", "il1beta"),
        ("TRACP-5b", "tracp5b"),
        ("  FKN ", "fkn"),
        ("CX3CL1", "cx3cl1"),
    ],
)
def test_name_key(raw, key):
    assert name_key(raw) == key


@pytest.mark.parametrize("name", ["IL-8", "IL-1", "TNF-alpha", "FKN2", ""])
def test_unknown_analyte_names_it_and_lists_the_known_ones(name):
    with pytest.raises(ElisaError) as info:
        builtin_registry().resolve(name)
    text = str(info.value)
    assert repr(name) in text or f'"{name}"' in text
    for known, *_ in BUILTINS:
        assert known in text
    assert "\n" not in text


def test_unknown_analyte_error_can_name_the_file(tmp_path):
    layout = tmp_path / "plate.toml"
    with pytest.raises(ElisaError) as info:
        builtin_registry().resolve("IL-8", source=str(layout))
    assert str(layout) in str(info.value)
    assert info.value.file == str(layout)


# --------------------------------------------------------------------------- elisa.toml


def write(tmp_path: Path, text: str, name: str = "elisa.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


OVERRIDES = """
[analytes.FKN]
intra_cv_limit_pct = 5.1
inter_cv_limit_pct = 7
model = "5PL"
weighting = "pom"
theta = 0.7
wavelength = 490

[analytes.FKN.controls."QC-low"]
mean = 31.0
sd = 1.2

[analytes.FKN.controls."QC-high"]
mean = 250
sd = 9.5

[analytes."IL-6"]
weighting = "pom"
theta = "estimate"

[analytes.TRACP-5b]
weighting = "1/y^2"

[rules]
standard_tolerance_pct = 15.0
standards_min_levels = 5
drop_failing_standards = true
profile_cv_target_pct = 25
"""


def test_overrides_of_limits_model_weighting_theta_and_controls(tmp_path):
    path = write(tmp_path, OVERRIDES)
    config = load_config(path)
    fkn = config.registry.resolve("fractalkine")
    assert fkn.name == "FKN" and fkn.unit == "pg/mL"
    assert fkn.aliases == ("CX3CL1", "fractalkine")  # untouched fields keep their built-in value
    assert fkn.intra_cv_limit_pct == 5.1 and fkn.inter_cv_limit_pct == 7.0
    assert fkn.model == "5PL" and fkn.weighting == "pom" and fkn.theta == 0.7
    assert fkn.effective_theta == 0.7
    assert fkn.wavelength == 490
    assert dict(fkn.controls) == {
        "QC-low": ControlTarget(31.0, 1.2),
        "QC-high": ControlTarget(250.0, 9.5),
    }
    il6 = config.registry.resolve("IL6")
    assert il6.weighting == "pom" and il6.theta == "estimate" and il6.effective_theta == "estimate"
    assert il6.intra_cv_limit_pct == 3.5
    tracp = config.registry.resolve("TRACP-5b")
    assert tracp.weighting == "1/y^2" and tracp.effective_theta == 1.0
    # analytes not mentioned are the built-ins
    assert config.registry.resolve("IL-1b") == builtin_registry().resolve("IL-1b")
    assert set(config.registry.analytes) == {row[0] for row in BUILTINS}
    # rules
    assert config.rules.standard_tolerance_pct == 15.0
    assert config.rules.standards_min_levels == 5
    assert isinstance(config.rules.standards_min_levels, int)
    assert config.rules.drop_failing_standards is True
    assert config.rules.profile_cv_target_pct == 25.0
    assert config.rules.standard_end_tolerance_pct == 25.0  # not overridden
    # provenance: where it came from and its SHA-256
    assert config.source == path
    assert config.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("weighting,expected", [("none", 0.0), ("1/y", 0.5), ("1/y^2", 1.0)])
def test_effective_theta_of_fixed_weightings(tmp_path, weighting, expected):
    path = write(tmp_path, f'[analytes.FKN]\nweighting = "{weighting}"\ntheta = 0.3\n')
    assert load_config(path).registry.resolve("FKN").effective_theta == expected


def test_pom_theta_defaults_to_one(tmp_path):
    path = write(tmp_path, '[analytes.FKN]\nweighting = "pom"\n')
    assert load_config(path).registry.resolve("FKN").effective_theta == 1.0


def test_overriding_by_alias_changes_the_canonical_analyte(tmp_path):
    path = write(tmp_path, "[analytes.CX3CL1]\nintra_cv_limit_pct = 9.0\n")
    config = load_config(path)
    assert set(config.registry.analytes) == {row[0] for row in BUILTINS}
    assert config.registry.resolve("FKN").intra_cv_limit_pct == 9.0


def test_a_new_analyte_with_a_unit(tmp_path):
    path = write(
        tmp_path,
        """
[analytes.CTX]
unit = "ng/mL"
aliases = ["beta-CrossLaps", "CTX-I"]
intra_cv_limit_pct = 4.0
model = "5PL"
""",
    )
    config = load_config(path)
    ctx = config.registry.resolve("ctx i")
    assert isinstance(ctx, Analyte)
    assert ctx.name == "CTX" and ctx.unit == "ng/mL"
    assert ctx.aliases == ("beta-CrossLaps", "CTX-I")
    assert config.registry.resolve("BETA_CROSSLAPS").name == "CTX"
    assert ctx.intra_cv_limit_pct == 4.0 and ctx.model == "5PL" and ctx.weighting == "none"
    assert ctx.fitted
    # the built-ins are still there, and an unknown name lists the new analyte too
    assert {row[0] for row in BUILTINS} < set(config.registry.analytes)
    with pytest.raises(ElisaError, match="CTX"):
        config.registry.resolve("IL-8")


def test_a_file_with_a_bom_and_an_empty_file_are_accepted(tmp_path):
    path = tmp_path / "elisa.toml"
    path.write_bytes('\ufeff[analytes.FKN]\nmodel = "5PL"\n'.encode("utf-8"))
    assert load_config(path).registry.resolve("FKN").model == "5PL"
    empty = write(tmp_path, "", "empty.toml")
    config = load_config(empty)
    assert config.registry == builtin_registry() and config.rules == Rules()
    assert config.source == empty


BAD_FILES = {
    "unknown section": "[analyte.FKN]\nunit = 'pg/mL'\n",
    "unknown analyte key": "[analytes.FKN]\ncolour = 'red'\n",
    "unknown rules key": "[rules]\nstandards_tolerance = 20\n",
    "new analyte without unit": "[analytes.CTX]\nintra_cv_limit_pct = 4.0\n",
    "unknown model": "[analytes.FKN]\nmodel = '6PL'\n",
    "unknown weighting": "[analytes.FKN]\nweighting = '1/x'\n",
    "negative theta": "[analytes.FKN]\nweighting = 'pom'\ntheta = -0.5\n",
    "theta text": "[analytes.FKN]\nweighting = 'pom'\ntheta = 'guess'\n",
    "theta boolean": "[analytes.FKN]\nweighting = 'pom'\ntheta = true\n",
    "limit text": "[analytes.FKN]\nintra_cv_limit_pct = 'high'\n",
    "limit zero": "[analytes.FKN]\nintra_cv_limit_pct = 0\n",
    "limit negative": "[analytes.FKN]\ninter_cv_limit_pct = -6.0\n",
    "wavelength text": "[analytes.FKN]\nwavelength = '450nm'\n",
    "aliases not a list": "[analytes.FKN]\naliases = 'CX3CL1'\n",
    "analyte not a table": "[analytes]\nFKN = 3\n",
    "analytes not a table": "analytes = 3\n",
    "control without sd": "[analytes.FKN.controls.QC-low]\nmean = 31.0\n",
    "control negative mean": "[analytes.FKN.controls.QC-low]\nmean = -1.0\nsd = 1.0\n",
    "control not a table": "[analytes.FKN]\ncontrols = 5\n",
    "rule text": "[rules]\nstandards_min_levels = 'six'\n",
    "rule negative": "[rules]\nstandard_tolerance_pct = -5\n",
    "rule boolean as number": "[rules]\ndrop_failing_standards = 1\n",
    "rule number as boolean": "[rules]\nstandard_tolerance_pct = true\n",
    "not TOML": "[analytes.FKN\nunit = pg/mL\n",
    "binary": None,
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_configuration_is_a_config_error_naming_the_file(tmp_path, case):
    text = BAD_FILES[case]
    path = tmp_path / "elisa.toml"
    if text is None:
        path.write_bytes(b"\x00\xff\xfe\x89PNG\r\n\x1a\n\x00\x00")
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    err = info.value
    assert err.file == str(path)
    assert str(path) in str(err)
    assert "\n" not in str(err)  # one line for the CLI
    # and the same from the working directory
    with pytest.raises(ConfigError):
        load_config(cwd=tmp_path)


@pytest.mark.parametrize(
    "case,words",
    [
        ("unknown analyte key", ["colour"]),
        ("unknown rules key", ["standards_tolerance"]),
        ("new analyte without unit", ["CTX", "unit"]),
        ("unknown model", ["6PL"]),
        ("unknown weighting", ["1/x"]),
        ("limit text", ["intra_cv_limit_pct"]),
    ],
)
def test_config_errors_say_what_is_wrong(tmp_path, case, words):
    path = write(tmp_path, BAD_FILES[case])
    with pytest.raises(ConfigError) as info:
        load_config(path)
    for word in words:
        assert word in str(info.value)


def test_missing_explicit_file_is_a_config_error(tmp_path):
    missing = tmp_path / "nowhere" / "elisa.toml"
    with pytest.raises(ConfigError) as info:
        load_config(missing)
    assert str(missing) in str(info.value)


def test_config_error_is_an_elisa_error_and_a_value_error():
    assert issubclass(ConfigError, ElisaError) and issubclass(ConfigError, ValueError)


# --------------------------------------------------------------------------- lookup order


def test_elisa_toml_in_the_working_directory_is_picked_up(tmp_path):
    path = write(tmp_path, '[analytes.FKN]\nmodel = "5PL"\n')
    config = load_config(cwd=tmp_path)
    assert config.source == path
    assert config.registry.resolve("FKN").model == "5PL"
    assert config.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_built_in_defaults_without_a_file(tmp_path):
    config = load_config(cwd=tmp_path)
    assert config.source is None and config.sha256 is None
    assert config.registry == builtin_registry() and config.rules == Rules()


def test_the_working_directory_default_follows_chdir(tmp_path, monkeypatch):
    write(tmp_path, "[analytes.IL6]\nintra_cv_limit_pct = 8.0\n")
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.source is not None and config.source.name == "elisa.toml"
    assert config.registry.resolve("IL-6").intra_cv_limit_pct == 8.0


def test_an_explicit_file_wins_over_the_working_directory(tmp_path):
    write(tmp_path, '[analytes.FKN]\nmodel = "5PL"\n')
    other = write(tmp_path, '[analytes.FKN]\nweighting = "1/y"\n', "other.toml")
    config = load_config(other, cwd=tmp_path)
    assert config.source == other
    fkn = config.registry.resolve("FKN")
    assert fkn.weighting == "1/y" and fkn.model == "4PL"


def test_a_directory_named_elisa_toml_is_not_picked_up(tmp_path):
    (tmp_path / "elisa.toml").mkdir()
    assert load_config(cwd=tmp_path).source is None


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    "src,dst,factor",
    [
        ("ng/mL", "pg/mL", 1000.0),
        ("pg/mL", "ng/mL", 1e-3),
        ("pg/mL", "pg/mL", 1.0),
        ("µg/mL", "ng/mL", 1000.0),
        ("μg/mL", "pg/mL", 1e6),  # Greek mu, not the micro sign
        ("ug/mL", "µg/mL", 1.0),
        ("ng / ml", "PG/ML", 1000.0),  # spaces and case ignored
        ("ng/L", "pg/mL", 1.0),
        ("mg/mL", "ng/mL", 1e6),
        ("U/L", "U/L", 1.0),
        ("nmol BCE/L", "nmol BCE/L", 1.0),
    ],
)
def test_conversion_factor(src, dst, factor):
    assert conversion_factor(src, dst) == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize(
    "src,dst",
    [
        ("U/L", "pg/mL"),
        ("pg/mL", "U/L"),
        ("nmol BCE/L", "pg/mL"),
        ("IU/mL", "ng/mL"),
        ("pmol/L", "pg/mL"),
        ("furlongs", "pg/mL"),
    ],
)
def test_unknown_conversion_is_none(src, dst):
    assert conversion_factor(src, dst) is None


def test_conversion_round_trip():
    units = ["pg/mL", "ng/mL", "µg/mL", "mg/mL", "pg/L", "ng/L", "µg/L"]
    for a in units:
        for b in units:
            assert math.isclose(
                conversion_factor(a, b) * conversion_factor(b, a), 1.0, rel_tol=1e-12
            )


def test_westgard_rule_sets_are_configured_and_validated():
    from elisa.config import parse_config
    from elisa.errors import ConfigError

    config = parse_config(
        {
            "westgard": {
                "seed": 7,
                "controls_2": {"reject": ["1-3s", "2-2s@control"], "warn": ["1-2s"]},
            },
            "analytes": {"FKN": {"tea_pct": 25}},
        }
    )
    assert config.westgard.rule_set(2).label == "1-3s;2-2s@control"
    assert config.westgard.rule_set(3).label.startswith("1-3s;2of3-2s@run+control")
    assert config.westgard.seed == 7 and config.registry.resolve("FKN").tea_pct == 25.0
    for doc, message in (
        ({"westgard": {"controls_2": {"reject": ["2-2s"]}}}, r"\[westgard.controls_2\].*say"),
        ({"westgard": {"controls_0": {"reject": ["1-3s"]}}}, "unknown key 'controls_0'"),
        ({"westgard": {"controls_2": {"warn": ["1-2s"]}}}, "needs reject"),
        ({"westgard": {"controls_2": {"reject": "1-3s"}}}, "must be a list"),
        ({"westgard": {"n_simulated": 1000}}, "≥ 100000"),
        ({"analytes": {"FKN": {"tea_pct": -1}}}, "tea_pct must be a positive number"),
    ):
        with pytest.raises(ConfigError, match=message):
            parse_config(doc)
