"""Rule sets written as text (qc.rule_sets): parsing, where each rule looks, validation."""

import pytest

from qc.errors import QCError
from qc.rule_sets import default_rule_set, parse_rule, rule_set_from


@pytest.mark.parametrize(
    ("text", "kind", "m", "k", "limit", "scopes"),
    [
        ("1-3s", "single", 1, 1, 3.0, ()),
        ("1-2.5s", "single", 1, 1, 2.5, ()),
        ("R-4s", "range", 2, 2, 2.0, ("run",)),
        ("R-4s@run", "range", 2, 2, 2.0, ("run",)),
        ("2of3-2s@control+run", "window", 2, 3, 2.0, ("run", "control")),
        ("4-1s@pooled", "window", 4, 4, 1.0, ("pooled",)),
        ("10-x@run+control+pooled", "window", 10, 10, 0.0, ("run", "control", "pooled")),
    ],
)
def test_rules_parse_with_where_they_look(text, kind, m, k, limit, scopes):
    rule = parse_rule(text)
    assert (rule.kind, rule.m, rule.k, rule.limit, rule.scopes) == (kind, m, k, limit, scopes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2-2s", "say where"),
        ("R-4s@control", "within a run only"),
        ("1-3s@run", "drop '@'"),
        ("4-1s@everywhere", "where it looks"),
        ("3of2-2s@run", "1 ≤ m ≤ k"),
        ("2-2x", "expected a rule"),
    ],
)
def test_bad_rules_are_named(text, message):
    with pytest.raises(QCError, match=message):
        parse_rule(text)


def test_a_rule_listed_twice_is_refused():
    with pytest.raises(QCError, match="4-1s"):
        rule_set_from(["1-3s", "4-1s@run"], ["4-1s@control"])


def test_defaults_name_where_each_rule_looks_and_warn_with_1_2s():
    assert default_rule_set(3).label == ("1-3s;2of3-2s@run+control;R-4s@run;3-1s@run;4-1s@control")
    assert default_rule_set(2).label == "1-3s;2-2s@run+control;R-4s@run;4-1s@control"
    assert default_rule_set(7) == default_rule_set(4)
    for n in (1, 2, 3, 4):
        assert default_rule_set(n).warning_label == "1-2s;10-x@control"
        assert not any("pooled" in r.scopes for r in default_rule_set(n).rules)
