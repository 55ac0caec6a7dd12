"""State that every process of the tracker must share, kept in the database.

The web workers, Celery workers, beat and the command line are separate processes. What
they must agree on lives here, so that it holds on every setup, the embedded defaults
(SQLite, no Redis) included:

- ``DataVersion``: one row whose token changes in the same transaction as any write to
  the tracked data. Cached pages, API responses and statuses are keyed by it, so a write
  that committed can never leave a process serving the figures from before it, and a
  cache server restarted at the wrong moment cannot lose the change.
- ``Counter``: rate-limit counts (the API's anonymous throttle, the subscribe form) when
  there is no Redis; see ``tracker.counters``.
"""

from django.db import models


class DataVersion(models.Model):
    """The current version of the tracked data: a random token and the time it changed."""

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="data_version_single_row")]

    def __str__(self) -> str:
        return f"{self.token} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


class Counter(models.Model):
    """A count that expires: requests of one client in one window, and such.

    ``expires_at`` is a Unix time, so that the atomic upsert in ``tracker.counters`` can
    compare it without time-zone conversions in SQL.
    """

    key = models.CharField(max_length=250, primary_key=True)
    count = models.BigIntegerField(default=0)
    expires_at = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key} = {self.count}"
