"""The record of every read of a depositary page: what came back, and what it changed."""

from django.db import models


class DepositarySync(models.Model):
    """One import or sync of a treaty's depositary page, kept whatever its outcome.

    Staff see the failures in the admin and the digest; the pages show the "as at" time of
    the last good read and when the last read failed. ``etag`` and ``last_modified`` are
    the server's, sent back on the next fetch so that an unchanged page costs nothing.
    """

    class Outcome(models.TextChoices):
        CHANGED = "changed", "Changed"
        UNCHANGED = "unchanged", "Unchanged"
        NOT_MODIFIED = "not_modified", "Not modified (HTTP 304)"
        FETCH_FAILED = "fetch_failed", "Fetch failed"
        UNREADABLE = "unreadable", "Page not readable"
        REJECTED = "rejected", "Rejected (bad rows)"

    FAILURES = (Outcome.FETCH_FAILED, Outcome.UNREADABLE, Outcome.REJECTED)

    treaty = models.ForeignKey("tracker.Treaty", on_delete=models.CASCADE, related_name="syncs")
    source = models.CharField(max_length=1000, help_text="The URL or file read.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    as_at = models.DateTimeField(null=True, blank=True, help_text="The page's “status as at” time.")
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    changes = models.TextField(blank=True, help_text="What changed, one line each.")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["treaty", "-started_at"])]
        verbose_name = "depositary sync"

    def __str__(self) -> str:
        return f"{self.treaty} · {self.get_outcome_display()} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def failed(self) -> bool:
        return self.outcome in self.FAILURES
