"""The review app's settings, fixed when it starts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from elisa.config import Config
from elisa.store.database import BUSY_TIMEOUT_S, Store

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # an export is a few hundred kB; 20 MB leaves room


@dataclass(frozen=True)
class ServeSettings:
    """What the app serves and how it guards it.

    ``token``: required on every request when set (None only on a loopback host). ``user``: the
    audit log's user unless a form names another. ``busy_timeout_s``: how long a write waits for
    a store another command holds before the page says the store is busy.
    """

    db: Path
    user: str
    config: Config
    token: str | None = None
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    busy_timeout_s: float = BUSY_TIMEOUT_S
    csrf_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def open_store(self, user: str | None = None) -> Store:
        """A connection for one request (SQLite connections stay in their own thread)."""
        return Store(self.db, user=user or self.user, busy_timeout_s=self.busy_timeout_s)
