"""One verdict per run: the across-runs judgement kept in the store and carried into runs.csv.

A run is *out of spec* when a reject rule fired at it and no reviewer accepted it, or when a
reviewer rejected it. An out-of-spec run is ``fail`` with ``westgard_reject`` (DESIGN 4.5) in
runs.csv, qc_runs.csv, the store and both reports. The judgement of earlier runs can change
later (the lot's 20-run baseline is set and applies back to its first runs; a review is
recorded; a plate is re-processed): `refresh_statuses` re-judges, writes what changed and adds an
audit entry whenever a run's out-of-spec status changes, naming the cause.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from elisa.across_runs.series import AnalyteQC, StoredRun, evaluate_analyte, load_runs, rules_text
from elisa.config import Config, load_config
from elisa.results import Results
from elisa.store.annotations import mask_wells, review_plate
from elisa.store.database import Store, using_store
from elisa.store.qc_status import RunStatus, put_status, stored_statuses
from elisa.store.versions import Recorded
from qc.codes import WESTGARD_REJECT, WESTGARD_WARNING
from qc.plate_verdict import plate_verdict

#: Causes named in the audit log.
CAUSE_RUN = "run processed"
CAUSE_REVIEW = "review recorded"
CAUSE_MASK = "plate re-processed after a mask"
CAUSE_QC = "series re-judged by elisa qc"
CAUSE_BASELINE = "baseline set"
AUDIT_WESTGARD = "westgard"
AUDIT_OUT = "westgard: out of spec"
AUDIT_IN = "westgard: back in spec"
#: The columns of runs.csv that a run's stored status sets.
STATUS_COLUMNS = ("verdict", "reasons", "warnings", "out_of_spec", "rules")


def run_status(run: StoredRun, outcome: AnalyteQC | None, index: int | None) -> RunStatus:
    """A run's status: plate codes plus the Westgard codes (``outcome`` None: review-rejected)."""
    if outcome is None or index is None:
        out_of_spec, hits, limits = True, [], ""
    else:
        out_of_spec = outcome.out_of_spec(index)
        hits, limits = outcome.rules_at(index), outcome.limits_text(index)
    fails = _codes(run.reasons) + ([WESTGARD_REJECT] if out_of_spec else [])
    warns = _codes(run.warnings) + ([WESTGARD_WARNING] if any(not h.reject for h in hits) else [])
    verdict, reasons, warnings = plate_verdict(fails, warns)
    return RunStatus(
        run.plate_id,
        run.analyte,
        run.version_id,
        verdict,
        reasons,
        warnings,
        out_of_spec,
        rules_text(hits),
        limits,
    )


def judge_analyte(store: Store, config: Config, analyte: str) -> tuple[AnalyteQC, list[RunStatus]]:
    """The Westgard outcome and every current run's status (rejected runs too), in run order."""
    every_run = load_runs(store, analyte)  # read once: the series and the statuses share it
    outcome = evaluate_analyte(store, config.registry.resolve(analyte), config.westgard, every_run)
    position = {r.plate_id: i for i, r in enumerate(outcome.runs)}
    statuses = []
    for run in every_run:
        at = position.get(run.plate_id)
        statuses.append(run_status(run, None if at is None else outcome, at))
    return outcome, statuses


def refresh_statuses(
    store: Store, config: Config, analytes: Iterable[str], cause: str
) -> dict[str, tuple[AnalyteQC, list[RunStatus]]]:
    """Re-judge ``analytes`` and store every status that changed, with audit entries, in one
    transaction (a step of the caller's, when inside one); returns the outcome and statuses per
    analyte (what the store now holds)."""
    judged = {}
    with store.atomic():
        for analyte in sorted(set(analytes)):
            outcome, statuses = judge_analyte(store, config, analyte)
            before = stored_statuses(store, analyte)
            for status in statuses:
                old = before.get(status.plate_id)
                if old == status:
                    continue
                put_status(store, status)
                _audit_change(store, old, status, cause)
            judged[analyte] = (outcome, statuses)
    return judged


def _audit_change(store: Store, old: RunStatus | None, new: RunStatus, cause: str) -> None:
    details = {"rules": new.rules, "out_of_spec": new.out_of_spec, "verdict": new.verdict}
    if old is None:  # first judgement of this run: recorded when a rule fired
        if new.rules or new.out_of_spec:
            store.audit(AUDIT_WESTGARD, details, plate_id=new.plate_id, analyte=new.analyte)
        return
    if old.out_of_spec == new.out_of_spec:
        return
    if cause != CAUSE_REVIEW and old.limits != new.limits and _baseline_now(old, new):
        cause = CAUSE_BASELINE
    store.audit(
        AUDIT_OUT if new.out_of_spec else AUDIT_IN,
        {**details, "cause": cause, "previous_rules": old.rules, "limits": new.limits},
        plate_id=new.plate_id,
        analyte=new.analyte,
    )


def _baseline_now(old: RunStatus, new: RunStatus) -> bool:
    return "=baseline" in new.limits and "=baseline" not in old.limits


def with_westgard(results: Results, store: Store, config: Config) -> Results:
    """``results`` with its runs judged against the store's history as it is now, writing
    nothing (for showing a stored plate; the commands that change the store use
    `refresh_statuses`)."""
    judged = {}
    for analyte in sorted(set(results.runs["analyte"])):
        judged[analyte] = judge_analyte(store, config, analyte)
    return with_statuses(results, judged)


def mask_and_rejudge(
    db: Store | str | Path | None,
    plate_id: str,
    wells: list[str],
    reason: str,
    undo: bool = False,
    *,
    user: str | None = None,
    config: Config | str | Path | None = None,
) -> list[Recorded]:
    """`mask_wells`, then the series re-judged with ``config``'s rules, in one transaction
    (`elisa mask`)."""
    config = config if isinstance(config, Config) else load_config(config)
    with using_store(db, user=user) as store, store.atomic():
        outcomes = mask_wells(store, plate_id, wells, reason, undo)
        refresh_statuses(store, config, {o.analyte for o in outcomes}, CAUSE_MASK)
    return outcomes


def review_and_rejudge(
    db: Store | str | Path | None,
    plate_id: str,
    decision: str,
    reason: str,
    *,
    user: str | None = None,
    config: Config | str | Path | None = None,
) -> list[int]:
    """`review_plate`, then the series re-judged with ``config``'s rules, in one transaction
    (`elisa review`): a review can change this run's status and, through the baseline, others'."""
    config = config if isinstance(config, Config) else load_config(config)
    with using_store(db, user=user) as store, store.atomic():
        versions = review_plate(store, plate_id, decision, reason)
        analytes = {analyte for _, analyte in store.plate_keys(plate_id)}
        refresh_statuses(store, config, analytes, CAUSE_REVIEW)
    return versions


def with_statuses(
    results: Results, judged: dict[str, tuple[AnalyteQC, list[RunStatus]]]
) -> Results:
    """``results`` with verdict, reasons, warnings, out_of_spec and rules of runs.csv taken from
    the stored statuses (so runs.csv says what the store holds)."""
    runs = results.runs.copy()
    by_key = {(s.plate_id, s.analyte): s for _, statuses in judged.values() for s in statuses}
    keys = zip(runs["plate_id"].tolist(), runs["analyte"].tolist(), strict=True)
    found = [by_key.get(key) for key in keys]  # per row of runs: its status, or None
    for column in STATUS_COLUMNS:  # whole columns: a row-by-row update costs 1,000s of lookups
        kept = runs[column].tolist()
        values = [kept[i] if s is None else getattr(s, column) for i, s in enumerate(found)]
        runs[column] = pd.array(values, dtype=runs[column].dtype)
    return dataclasses.replace(results, runs=runs)


def _codes(text: object) -> list[str]:
    return [c for c in str(text or "").split(";") if c]
