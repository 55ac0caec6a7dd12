"""Reads of the depositary syncs for the public pages: the last good read, the last failure."""

from dataclasses import dataclass

from tracker.sync.models import DepositarySync

# The longest error the public pages show: its first line, cut to this many characters.
PUBLIC_ERROR_LENGTH = 160


def last_sync(treaty) -> DepositarySync | None:
    """The latest read of the treaty's depositary page, whatever its outcome."""
    return DepositarySync.objects.filter(treaty=treaty).order_by("-started_at", "-id").first()


def last_success(treaty) -> DepositarySync | None:
    """The latest read that did not fail."""
    return (
        DepositarySync.objects.filter(treaty=treaty)
        .exclude(outcome__in=DepositarySync.FAILURES)
        .order_by("-started_at", "-id")
        .first()
    )


def last_failure(treaty) -> DepositarySync | None:
    """The latest read, if it failed; None when it succeeded or there was none."""
    latest = last_sync(treaty)
    return latest if latest is not None and latest.failed else None


def public_error(sync: DepositarySync) -> str:
    """The error of a failed read as the public pages give it: a short sentence, never a
    traceback (only the first line that is not one, cut to ``PUBLIC_ERROR_LENGTH``)."""
    lines = [line.strip() for line in sync.error.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("Traceback", "File ", "^"))]
    text = lines[0] if lines else sync.get_outcome_display()
    if len(text) > PUBLIC_ERROR_LENGTH:
        text = text[: PUBLIC_ERROR_LENGTH - 1].rstrip() + "…"
    return text


@dataclass(frozen=True)
class SyncState:
    """What a treaty's page says of its depositary reads: the last good one and, when the
    latest read failed, that one and its error in public words."""

    success: DepositarySync | None
    failure: DepositarySync | None
    error: str = ""

    @property
    def synced_at(self):
        success = self.success
        return (success.finished_at or success.started_at) if success else None

    @property
    def failed_at(self):
        failure = self.failure
        return (failure.finished_at or failure.started_at) if failure else None


def sync_state(treaty) -> SyncState:
    """The treaty's ``SyncState``: one query when the latest read succeeded, two when it failed."""
    latest = last_sync(treaty)
    if latest is None:
        return SyncState(None, None)
    if not latest.failed:
        return SyncState(latest, None)
    return SyncState(last_success(treaty), latest, public_error(latest))
