"""The analyte registry: canonical names, aliases, units and the study's precision limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from elisa.errors import ElisaError

MODELS = ("4PL", "5PL")
WEIGHTINGS = ("none", "1/y", "1/y^2", "pom")


@dataclass(frozen=True)
class ControlTarget:
    """A fixed Levey-Jennings mean and SD for one control (concentration units of the analyte)."""

    mean: float
    sd: float


@dataclass(frozen=True, kw_only=True)
class Analyte:
    """One measured quantity and how it is fitted and judged."""

    name: str
    unit: str
    aliases: tuple[str, ...] = ()
    intra_cv_limit_pct: float = 5.0
    inter_cv_limit_pct: float = 6.0
    model: str = "4PL"
    weighting: str = "none"
    theta: float | str = 1.0  # for pom: a number, or "estimate"
    wavelength: int = 450  # measurement wavelength, nm
    fitted: bool = True  # False for analyser results imported as they are
    # allowable total error, % (sigma metrics): the ±20 % a control may deviate from its target
    # under plate acceptance (DESIGN 4.5), unless the study sets its own
    tea_pct: float = 20.0
    controls: Mapping[str, ControlTarget] = field(default_factory=dict)

    @property
    def effective_theta(self) -> float | str:
        """The power-of-the-mean exponent the weighting implies (0 when unweighted)."""
        return {"none": 0.0, "1/y": 0.5, "1/y^2": 1.0}.get(self.weighting, self.theta)


BUILTIN_ANALYTES: tuple[Analyte, ...] = (
    Analyte(
        name="FKN",
        unit="pg/mL",
        aliases=("CX3CL1", "fractalkine"),
        intra_cv_limit_pct=4.3,
        inter_cv_limit_pct=6.0,
    ),
    Analyte(
        name="TRACP-5b",
        unit="U/L",
        aliases=("TRAP5b", "TRACP5b"),
        intra_cv_limit_pct=3.9,
        inter_cv_limit_pct=6.0,
    ),
    Analyte(
        name="IL-1b",
        unit="pg/mL",
        aliases=("IL-1β", "IL1B", "IL-1beta"),
        intra_cv_limit_pct=4.6,
        inter_cv_limit_pct=6.0,
    ),
    Analyte(
        name="IL-6", unit="pg/mL", aliases=("IL6",), intra_cv_limit_pct=3.5, inter_cv_limit_pct=6.0
    ),
    Analyte(
        name="NTX",
        unit="nmol BCE/L",
        aliases=("NTx",),
        intra_cv_limit_pct=4.2,
        inter_cv_limit_pct=5.6,
        fitted=False,
    ),
)


def name_key(name: str) -> str:
    """The matching key of a name: case-folded, without spaces, '-' and '_', with β as b."""
    folded = name.replace("β", "b").replace("ß", "b").casefold()
    return "".join(ch for ch in folded if ch not in " -_\t")


@dataclass(frozen=True)
class AnalyteRegistry:
    """Analytes by canonical name, looked up by any alias."""

    analytes: Mapping[str, Analyte]

    def resolve(self, name: str, *, source: str | None = None) -> Analyte:
        """The analyte called ``name`` (canonical or alias); a clear error listing the known ones."""
        key = name_key(name)
        for analyte in self.analytes.values():
            if key in {name_key(n) for n in (analyte.name, *analyte.aliases)}:
                return analyte
        known = ", ".join(sorted(self.analytes))
        raise ElisaError(
            f"unknown analyte {name!r}; known analytes: {known} "
            "(add others under [analytes.NAME] in elisa.toml)",
            file=source,
        )

    def with_analyte(self, analyte: Analyte) -> AnalyteRegistry:
        """A registry where ``analyte`` replaces the one of the same name, or is added."""
        merged = dict(self.analytes)
        merged[analyte.name] = analyte
        return AnalyteRegistry(merged)


def builtin_registry() -> AnalyteRegistry:
    """The study's analytes with their stated performance (DESIGN 3.3)."""
    return AnalyteRegistry({a.name: a for a in BUILTIN_ANALYTES})


def updated(analyte: Analyte, **changes: object) -> Analyte:
    """A copy of ``analyte`` with some fields changed."""
    return replace(analyte, **changes)  # type: ignore[arg-type]
