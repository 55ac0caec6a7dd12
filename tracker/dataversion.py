"""The data version: a token that changes with every write to the tracked data.

Cached pages, API responses and statuses are stored under it, so they are never served
once the data changed. It lives in the database (``tracker.state.DataVersion``) and is
changed in the same transaction as the write itself: every process reads the same
version on every setup, and no cache server restart between a commit and a later step can
lose it.

Each process reads it at most once a second (``current_version``); a write made in this
process is seen at once, one made in another process within a second.

A version is "<token>:<Unix time of the change, to the millisecond>". The token's first
half is new at each write and its second half is the first half of the token it replaced
(written in the one UPDATE, so two writes at once still chain): ``follows`` tells that a
version came right after another, with no write between them. Then the older one stopped
being current at the newer one's time exactly, which is what lets tracker.pagecache serve
it, marked stale, for the first second after the write (and never later).
"""

import time
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

VERSION_TTL = 1.0  # seconds a process trusts the data version it read
HALF = 16  # characters of a token that are its own; the rest name the token before it

_version: tuple[str, float] | None = None


def data_version() -> str:
    """The version as stored now: "<token>:<Unix time of the change>" (one query)."""
    from tracker.state import DataVersion

    row = DataVersion.objects.filter(pk=1).values_list("token", "changed_at").first()
    if row is None:  # a database emptied by hand (or by a test's flush): start a new version
        bump()
        row = DataVersion.objects.filter(pk=1).values_list("token", "changed_at").first()
    return f"{row[0]}:{row[1].timestamp():.3f}"


def current_version() -> str:
    """The data version, read from the database at most once a second by this process."""
    global _version
    now = time.monotonic()
    if _version is None or now - _version[1] > VERSION_TTL:
        _version = (data_version(), now)
    return _version[0]


def refreshed_version() -> str:
    """The data version read from the database now (one query), kept as ``current_version``'s."""
    forget_version()
    return current_version()


def forget_version() -> None:
    """Make this process read the version again at its next request."""
    global _version
    _version = None


def bump() -> None:
    """Give the data a new version, inside the current transaction (if any).

    A fresh random token rather than a counter: a database restored from a backup could
    bring a counter back to a number that cached entries still carry.

    The token's second half is the first half of the token it replaces, taken by the
    UPDATE itself (``follows``): a concurrent write waits for the row and chains after it.
    """
    from tracker.state import DataVersion

    own, now = uuid.uuid4().hex[:HALF], timezone.now()
    chained = Concat(Value(own), Substr(F("token"), 1, HALF))
    if not DataVersion.objects.filter(pk=1).update(token=chained, changed_at=now):
        try:
            with transaction.atomic():  # a savepoint: another process may create it first
                DataVersion.objects.create(pk=1, token=own.ljust(2 * HALF, "-"), changed_at=now)
        except IntegrityError:
            DataVersion.objects.filter(pk=1).update(token=chained, changed_at=now)
    transaction.on_commit(forget_version)


def changed_at(version: str) -> int:
    """When the data last changed, as a Unix time, from a version string."""
    try:
        return int(float(version.rsplit(":", 1)[1]))
    except (IndexError, ValueError):
        return 0


def changed_at_exactly(version: str) -> float:
    """When the data last changed, as a Unix time to the millisecond (0.0 if unreadable)."""
    try:
        return float(version.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return 0.0


def follows(version: str, earlier: str) -> bool:
    """Whether ``version`` is the one written right after ``earlier``, no write between."""
    token, previous = version.split(":", 1)[0], earlier.split(":", 1)[0]
    return len(token) == 2 * HALF and len(previous) >= HALF and token[HALF:] == previous[:HALF]


def is_newer(version: str, than: str) -> bool:
    """Whether ``version`` was written after ``than``: right after it, or at a later time."""
    return follows(version, than) or changed_at_exactly(version) > changed_at_exactly(than)
