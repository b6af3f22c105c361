"""The app's writes and reads, each on its own store connection, with errors sorted into what
the client should hear: 400 bad request, 404 no such plate, 503 store busy.

Masks and reviews go through the library functions of `elisa mask` and `elisa review`, so the
app and the command record exactly the same things (one transaction each).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from elisa.across_runs.status import mask_and_rejudge, review_and_rejudge
from elisa.serve.plate_data import PlateView, plate_view
from elisa.serve.settings import ServeSettings
from elisa.store.database import Store, StoreBusyError, StoreError
from plates.errors import AssayError

T = TypeVar("T")


class ActionError(Exception):
    """A request the app refuses or cannot do now; ``status`` is the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def with_store(settings: ServeSettings, work: Callable[[Store], T], user: str | None = None) -> T:
    """Run ``work`` on a fresh connection, closed afterwards, errors as `ActionError`."""
    try:
        with settings.open_store(user) as store:
            return work(store)
    except StoreBusyError as exc:
        raise ActionError(503, str(exc)) from None
    except AssayError as exc:  # every input error of the toolkit, StoreError included
        raise ActionError(400, str(exc)) from None


def _require_plate(store: Store, plate_id: str, analyte: str) -> None:
    try:
        store.current_version(plate_id, analyte)
    except StoreError as exc:
        raise ActionError(404, str(exc)) from None


def read_plate(settings: ServeSettings, plate_id: str, analyte: str) -> PlateView:
    """The plate's current version (404 when the store has none)."""

    def work(store: Store) -> PlateView:
        _require_plate(store, plate_id, analyte)
        return plate_view(store, settings.config, plate_id, analyte)

    return with_store(settings, work)


def mask(
    settings: ServeSettings,
    plate_id: str,
    analyte: str,
    wells: list[str],
    reason: str,
    undo: bool,
    user: str | None = None,
) -> str:
    """Mask (or unmask) wells and re-process the plate at once; returns what happened in words.
    The plate's other analytes (one export, several analytes) get the masks too, as with
    `elisa mask`."""
    if not wells:
        raise ActionError(400, "no wells given: click wells on the plate map first")

    def work(store: Store) -> str:
        _require_plate(store, plate_id, analyte)
        outcomes = mask_and_rejudge(store, plate_id, wells, reason, undo, config=settings.config)
        done = "unmasked" if undo else "masked"
        states = [
            f"{o.analyte}: version {o.version} " + ("added" if o.added else "made current again")
            for o in outcomes
        ]
        return f"{done} {', '.join(wells)}; " + "; ".join(states)

    return with_store(settings, work, user)


def review(
    settings: ServeSettings,
    plate_id: str,
    analyte: str,
    decision: str,
    reason: str,
    user: str | None = None,
) -> str:
    """Record an accept or reject with a reason on the current version."""

    def work(store: Store) -> str:
        _require_plate(store, plate_id, analyte)
        versions = review_and_rejudge(store, plate_id, decision, reason, config=settings.config)
        return f"{decision}ed version {', '.join(map(str, versions))} as {store.user}"

    return with_store(settings, work, user)
