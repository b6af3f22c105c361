"""The figures of qc_report.html: Levey-Jennings charts a reviewer can read, and the power curves
of the rule set in use (issue 10). matplotlib is imported only when a figure is drawn."""

from __future__ import annotations

import datetime as dt

import numpy as np

from elisa.across_runs.series import AnalyteQC, ControlChart
from elisa.report.figures import figure_svg, plain_text
from qc.power import RE_FACTORS, SHIFTS_SD, Power

SD_LINES = (
    (0, "mean", "#222", "-"),
    (1, "±1 SD", "#9e9e9e", ":"),
    (2, "±2 SD", "#ef6c00", "--"),
    (3, "±3 SD", "#c62828", "-."),
)
REJECT_COLOUR = "#c62828"
WARNING_COLOUR = "#ef6c00"
REJECT_MARK = "reject rule fired (run out of spec unless accepted)"
WARNING_MARK = "warning rule only (gates nothing)"
MEAN_MARK = "run mean"
#: The gid prefix of a run's rule label (the SVG id becomes ``<figure prefix>-rules-<run>``).
LABEL_GID = "rules"


def _dates(runs: list) -> list[dt.date | None]:
    out: list[dt.date | None] = []
    for r in runs:
        try:
            out.append(dt.date.fromisoformat(str(r.run_date)[:10]))
        except ValueError:
            out.append(None)
    return out


def run_labels(outcome: AnalyteQC, control: str) -> dict[int, tuple[str, bool]]:
    """Per run index with a hit on ``control``: its rule names (reject rules first, each once,
    ``, ``-joined) and whether any of them rejects."""
    out: dict[int, tuple[str, bool]] = {}
    for index in sorted({h.run for h in outcome.hits if control in h.controls}):
        hits = [h for h in outcome.rules_at(index) if control in h.controls]
        names = list(dict.fromkeys(h.rule for h in hits))
        out[index] = (", ".join(names), any(h.reject for h in hits))
    return out


def lj_chart_svg(outcome: AnalyteQC, chart: ControlChart, prefix: str) -> str:
    """One control's run means against its limits. Each run with a rule on this control gets one
    square (red when a reject rule fired, drawn above the orange warning square, which is then
    not drawn) and one label listing its rules, set vertically above the plot so labels of
    neighbouring runs never overlap. Every line and mark is in the legend."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    runs = outcome.runs
    dates = _dates(runs)
    use_dates = all(d is not None for d in dates)
    x = dates if use_dates else list(range(1, len(runs) + 1))
    fig = Figure(figsize=(10, 4.2))
    ax = fig.add_subplot()
    means = np.array([lim.mean if lim else np.nan for lim in chart.limits])
    sds = np.array([lim.sd if lim else np.nan for lim in chart.limits])
    for k, label, colour, style in SD_LINES:
        for sign in (1,) if k == 0 else (1, -1):
            ax.step(
                x,
                means + sign * k * sds,
                where="mid",
                color=colour,
                linestyle=style,
                linewidth=1,
                label=label if sign == 1 else None,
            )
    ax.plot(x, chart.run_means, "o-", color="#1565c0", markersize=4, linewidth=0.8, label=MEAN_MARK)
    for index, (text, rejects) in run_labels(outcome, chart.control).items():
        colour = REJECT_COLOUR if rejects else WARNING_COLOUR
        ax.plot(
            [x[index]],
            [chart.run_means[index]],
            "s",
            markersize=10,
            markerfacecolor="none",
            markeredgecolor=colour,
            markeredgewidth=2,
            zorder=4 if rejects else 3,
        )
        label = ax.annotate(
            text,
            xy=(x[index], 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 3),
            textcoords="offset points",
            rotation=90,
            ha="center",
            va="bottom",
            fontsize=7,
            color=colour,
        )
        label.set_gid(f"{LABEL_GID}-{runs[index].plate_id}")
    handles, _ = ax.get_legend_handles_labels()
    for colour, text in ((REJECT_COLOUR, REJECT_MARK), (WARNING_COLOUR, WARNING_MARK)):
        handles.append(
            Line2D(
                [],
                [],
                marker="s",
                linestyle="none",
                markersize=9,
                markerfacecolor="none",
                markeredgecolor=colour,
                markeredgewidth=2,
                label=text,
            )
        )
    ax.set_ylabel(plain_text(f"conc ({outcome.analyte.unit})"))
    ax.set_xlabel("run date" if use_dates else "run")
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if use_dates:
        fig.autofmt_xdate()
    return figure_svg(fig, prefix)


def power_curves_svg(power: Power, prefix: str) -> str:
    """Probability of rejecting a run against the size of a systematic shift (SD) and of a
    random-error increase (× SD), from the simulated power function; the no-error point is Pfr."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.2))
    shift, spread = fig.subplots(1, 2)
    shift.plot((0.0, *SHIFTS_SD), (power.pfr, *power.ped_se), "o-", color="#1565c0")
    shift.set_xlabel("systematic shift (SD)")
    spread.plot((1.0, *RE_FACTORS), (power.pfr, *power.ped_re), "o-", color="#6a1b9a")
    spread.set_xlabel("random-error increase (× SD)")
    for ax in (shift, spread):
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("probability of rejection")
        ax.axhline(0.9, color="#9e9e9e", linestyle=":", linewidth=1)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{power.n_controls} control(s): {power.rules}", fontsize=8)
    fig.tight_layout()
    return figure_svg(fig, prefix)
