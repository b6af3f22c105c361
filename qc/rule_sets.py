"""Westgard rules as data: what each rule counts, where it looks, and the rule set per number of
controls (DESIGN 4.6, methods §6).

A rule is written as its name and, for a rule over several results, where it looks:

- ``1-3s``: one result beyond ±3 SD (any single result; no scope);
- ``R-4s@run``: within one run, one result beyond +2 SD and another beyond −2 SD (range rules
  look within a run only; applying them across runs is a documented misuse);
- ``2of3-2s@run+control``, ``3-1s@control``, ``10-x@pooled``: m of k consecutive results beyond
  the same limit L (``m-Ls`` is m of m, ``n-x`` is n of n beyond the mean), looking
  ``run`` (within one run, across its controls), ``control`` (along one control's series across
  consecutive runs) and/or ``pooled`` (along all results in run order, controls low to high
  within a run: across runs and controls together).

A rule set lists reject rules and warning rules (a warning gates nothing). The defaults, one per
number of controls, were chosen from their power functions (``qc.power``) so that the
probability of false rejection is at most 5 % for 1 to 4 controls (docs/computation.md); the
classic sets of methods §6, with every multi-result rule looking everywhere, are kept as
``classic_rule_set`` for comparison.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from qc.codes import (
    RULE_1_2S,
    RULE_1_3S,
    RULE_2_2S,
    RULE_2OF3_2S,
    RULE_3_1S,
    RULE_4_1S,
    RULE_6X,
    RULE_10X,
    RULE_R_4S,
    SCOPE_CONTROL,
    SCOPE_POOLED,
    SCOPE_RUN,
    SCOPES,
)
from qc.errors import QCError

SINGLE = "single"
RANGE = "range"
WINDOW = "window"

_NUMBER = r"(\d+(?:\.\d+)?)"
_RANGE = re.compile(rf"^R-{_NUMBER}s$")
_M_OF_K = re.compile(rf"^(\d+)of(\d+)-{_NUMBER}s$")
_M_LS = re.compile(rf"^(\d+)-{_NUMBER}s$")
_N_X = re.compile(r"^(\d+)-x$")


@dataclass(frozen=True)
class Rule:
    """One rule: m of k consecutive results beyond the same limit (SD), where it looks, and
    whether it rejects the run or only warns."""

    name: str  # "2of3-2s", "R-4s", ...
    kind: str  # SINGLE, RANGE or WINDOW
    m: int  # results beyond the limit needed
    k: int  # of this many consecutive results
    limit: float  # SD; a range rule needs one result beyond +limit and one beyond −limit
    scopes: tuple[str, ...]  # () for a single-result rule; in the order of SCOPES
    reject: bool = True

    @property
    def label(self) -> str:
        """The rule and where it looks, e.g. ``2of3-2s@run+control``; ``1-3s`` for one result."""
        return self.name if not self.scopes else f"{self.name}@{'+'.join(self.scopes)}"


@dataclass(frozen=True)
class RuleSet:
    """Reject rules then warning rules, each rule name at most once."""

    rules: tuple[Rule, ...]

    @property
    def reject_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.reject)

    @property
    def warning_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if not r.reject)

    @property
    def label(self) -> str:
        """The reject rules with where each looks, ``;``-joined (the ``rules`` of qc_rules.csv)."""
        return ";".join(r.label for r in self.reject_rules)

    @property
    def warning_label(self) -> str:
        return ";".join(r.label for r in self.warning_rules)

    @property
    def max_window(self) -> int:
        """The most consecutive results any reject rule looks back over."""
        return max([r.k for r in self.reject_rules] or [1])


def parse_rule(text: str, *, reject: bool = True) -> Rule:
    """A rule from its written form (see the module docstring); QCError naming what is wrong."""
    if not isinstance(text, str):
        raise QCError(f"a rule must be written as text like '2of3-2s@run+control', not {text!r}")
    name, _, where = text.strip().partition("@")
    scopes = tuple(s.strip() for s in where.split("+")) if where else ()
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or len(set(scopes)) != len(scopes):
        raise QCError(
            f"rule {text!r}: where it looks must be distinct of {', '.join(SCOPES)} joined by "
            f"'+', got {where!r}"
        )
    scopes = tuple(s for s in SCOPES if s in scopes)
    if match := _RANGE.match(name):
        width = float(match.group(1))
        if scopes not in ((), (SCOPE_RUN,)):
            raise QCError(f"rule {text!r}: a range rule looks within a run only ('{name}@run')")
        return Rule(name, RANGE, 2, 2, width / 2, (SCOPE_RUN,), reject)
    if match := _M_OF_K.match(name):
        m, k, limit = int(match.group(1)), int(match.group(2)), float(match.group(3))
    elif match := _M_LS.match(name):
        m, limit = int(match.group(1)), float(match.group(2))
        k = m
    elif match := _N_X.match(name):
        m, limit = int(match.group(1)), 0.0
        k = m
    else:
        raise QCError(
            f"rule {text!r}: expected a rule like 1-3s, 2-2s, 2of3-2s, R-4s, 4-1s or 10-x, "
            "with '@' and where it looks for a rule over several results"
        )
    if not 1 <= m <= k:
        raise QCError(f"rule {text!r}: needs 1 ≤ m ≤ k in 'm of k', got {m} of {k}")
    if m == 1 and k == 1:
        if scopes:
            raise QCError(f"rule {text!r}: a one-result rule looks at every result; drop '@'")
        return Rule(name, SINGLE, 1, 1, limit, (), reject)
    if not scopes:
        raise QCError(
            f"rule {text!r}: say where a rule over several results looks, e.g. "
            f"'{name}@{SCOPE_RUN}+{SCOPE_CONTROL}' (of {', '.join(SCOPES)})"
        )
    return Rule(name, WINDOW, m, k, limit, scopes, reject)


def rule_set_from(reject: Iterable[str], warn: Iterable[str] = ()) -> RuleSet:
    """A rule set from written rules; QCError for a bad rule or a name given twice."""
    rules = [parse_rule(t) for t in reject] + [parse_rule(t, reject=False) for t in warn]
    names = [r.name for r in rules]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise QCError(f"rule(s) {', '.join(twice)} given more than once; list each rule once")
    return RuleSet(tuple(rules))


#: Defaults by number of controls (more than 4 use the 4-control set); see docs/computation.md.
DEFAULT_RULES: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    1: (
        (RULE_1_3S, f"{RULE_2_2S}@{SCOPE_CONTROL}", f"{RULE_4_1S}@{SCOPE_CONTROL}"),
        (RULE_1_2S, f"{RULE_10X}@{SCOPE_CONTROL}"),
    ),
    2: (
        (
            RULE_1_3S,
            f"{RULE_2_2S}@{SCOPE_RUN}+{SCOPE_CONTROL}",
            f"{RULE_R_4S}@{SCOPE_RUN}",
            f"{RULE_4_1S}@{SCOPE_CONTROL}",
        ),
        (RULE_1_2S, f"{RULE_10X}@{SCOPE_CONTROL}"),
    ),
    3: (
        (
            RULE_1_3S,
            f"{RULE_2OF3_2S}@{SCOPE_RUN}+{SCOPE_CONTROL}",
            f"{RULE_R_4S}@{SCOPE_RUN}",
            f"{RULE_3_1S}@{SCOPE_RUN}",
            f"{RULE_4_1S}@{SCOPE_CONTROL}",
        ),
        (RULE_1_2S, f"{RULE_10X}@{SCOPE_CONTROL}"),
    ),
    4: (
        (
            RULE_1_3S,
            f"{RULE_2_2S}@{SCOPE_RUN}+{SCOPE_CONTROL}",
            f"{RULE_R_4S}@{SCOPE_RUN}",
            f"{RULE_4_1S}@{SCOPE_RUN}+{SCOPE_CONTROL}",
        ),
        (RULE_1_2S, f"{RULE_10X}@{SCOPE_CONTROL}"),
    ),
}

#: methods §6 read literally (the rule sets before issue 10): every multi-result rule but 2-2s
#: and 2of3-2s also looks along the pooled sequence.
_ALL = f"{SCOPE_RUN}+{SCOPE_CONTROL}+{SCOPE_POOLED}"
_SAME_LEVEL = f"{SCOPE_RUN}+{SCOPE_CONTROL}"
CLASSIC_RULES: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    2: (
        (
            RULE_1_3S,
            f"{RULE_2_2S}@{_SAME_LEVEL}",
            RULE_R_4S,
            f"{RULE_4_1S}@{_ALL}",
            f"{RULE_10X}@{_ALL}",
        ),
        (RULE_1_2S,),
    ),
    3: (
        (
            RULE_1_3S,
            f"{RULE_2OF3_2S}@{_SAME_LEVEL}",
            RULE_R_4S,
            f"{RULE_3_1S}@{_ALL}",
            f"{RULE_6X}@{_ALL}",
        ),
        (RULE_1_2S,),
    ),
}


def default_rule_set(n_controls: int) -> RuleSet:
    """The default rule set for ``n_controls`` control levels (1-4; more use the 4 set)."""
    if n_controls < 1:
        raise QCError(f"a rule set needs at least one control, got {n_controls}")
    return rule_set_from(*DEFAULT_RULES[min(n_controls, 4)])


def classic_rule_set(n_controls: int) -> RuleSet:
    """methods §6 literally: the N = 3 set for 3 controls, the N = 2 set otherwise."""
    return rule_set_from(*CLASSIC_RULES[3 if n_controls == 3 else 2])
