"""The data version: a token that changes with every write to the tracked data.

Cached pages, API responses and statuses are stored under it, so they are never served
once the data changed. It lives in the database (``tracker.state.DataVersion``) and is
changed in the same transaction as the write itself: every process reads the same
version on every setup, and no cache server restart between a commit and a later step can
lose it.

Each process reads it at most once a second (``current_version``); a write made in this
process is seen at once, one made in another process within a second.
"""

import time
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

VERSION_TTL = 1.0  # seconds a process trusts the data version it read

_version: tuple[str, float] | None = None


def data_version() -> str:
    """The version as stored now: "<token>:<Unix time of the change>" (one query)."""
    from tracker.state import DataVersion

    row = DataVersion.objects.filter(pk=1).values_list("token", "changed_at").first()
    if row is None:  # a database emptied by hand (or by a test's flush): start a new version
        bump()
        row = DataVersion.objects.filter(pk=1).values_list("token", "changed_at").first()
    return f"{row[0]}:{row[1].timestamp():.0f}"


def current_version() -> str:
    """The data version, read from the database at most once a second by this process."""
    global _version
    now = time.monotonic()
    if _version is None or now - _version[1] > VERSION_TTL:
        _version = (data_version(), now)
    return _version[0]


def forget_version() -> None:
    """Make this process read the version again at its next request."""
    global _version
    _version = None


def bump() -> None:
    """Give the data a new version, inside the current transaction (if any).

    A fresh random token rather than a counter: a database restored from a backup could
    bring a counter back to a number that cached entries still carry.
    """
    from tracker.state import DataVersion

    token, now = uuid.uuid4().hex, timezone.now()
    if not DataVersion.objects.filter(pk=1).update(token=token, changed_at=now):
        try:
            with transaction.atomic():  # a savepoint: another process may create it first
                DataVersion.objects.create(pk=1, token=token, changed_at=now)
        except IntegrityError:
            DataVersion.objects.filter(pk=1).update(token=token, changed_at=now)
    transaction.on_commit(forget_version)


def changed_at(version: str) -> int:
    """When the data last changed, as a Unix time, from a version string."""
    try:
        return int(float(version.rsplit(":", 1)[1]))
    except (IndexError, ValueError):
        return 0
