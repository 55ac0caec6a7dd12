"""Subscriptions, alerts and deliveries.

An alert is a row with a unique key per treaty, so it exists once; a delivery is a row
per (alert, subscription), so each recipient gets it once. Workers claim deliveries with
a conditional update that only one of them can win (the pattern of healthchecks'
Flip and Notification), and every attempt leaves its error on the row.
"""

from django.db import models
from django.db.models import Q

from tracker.alerts.rules import AlertKind

ALL_KINDS = [kind.value for kind in AlertKind]


class Subscription(models.Model):
    """Someone who asked for alerts about a treaty (and maybe one participant)."""

    email = models.EmailField()
    treaty = models.ForeignKey("tracker.Treaty", on_delete=models.CASCADE, related_name="subscriptions")
    # PROTECT: deleting a participant must not take its followers' subscriptions with it,
    # unrecorded. The admin's delete page and tracker.services.delete_valid refuse, naming
    # them; end (or delete) those subscriptions first.
    participant = models.ForeignKey(
        "signatories.Participant", null=True, blank=True, on_delete=models.PROTECT, related_name="followers"
    )
    # The kinds of alerts wanted; one column each so that a fan-out filters in the database.
    wants_threshold = models.BooleanField(default=True, help_text="Threshold milestones")
    wants_entry_into_force = models.BooleanField(default=True, help_text="Entry into force fixed, and the day itself")
    wants_deadline = models.BooleanField(default=True, help_text="The signature deadline approaching, and closed")
    wants_participant = models.BooleanField(default=True, help_text="The followed participant acted")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email", "treaty"], condition=Q(participant__isnull=True), name="subscription_once_per_treaty"
            ),
            models.UniqueConstraint(
                fields=["email", "treaty", "participant"], name="subscription_once_per_participant"
            ),
        ]
        indexes = [models.Index(fields=["treaty", "confirmed_at"])]

    def __str__(self) -> str:
        about = f"{self.treaty}" + (f" / {self.participant}" if self.participant_id else "")
        return f"{self.email} — {about}"

    @property
    def kinds(self) -> list[str]:
        return [kind for kind in ALL_KINDS if getattr(self, f"wants_{kind}")]

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class Alert(models.Model):
    """Something worth telling subscribers, once: a milestone, a deadline notice, entry into
    force, or a followed participant's action. Suppressed alerts are recorded and never sent."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SUPPRESSED = "suppressed", "Suppressed (a more relevant alert went out)"
        FANNED_OUT = "fanned_out", "Deliveries created"

    treaty = models.ForeignKey("tracker.Treaty", on_delete=models.CASCADE, related_name="alerts")
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=[(k, k) for k in ALL_KINDS])
    participant = models.ForeignKey("signatories.Participant", null=True, blank=True, on_delete=models.CASCADE)
    action = models.ForeignKey("signatories.Action", null=True, blank=True, on_delete=models.SET_NULL)
    facts = models.JSONField(default=dict)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["treaty", "key"], name="alert_once_per_treaty")]
        indexes = [
            models.Index(fields=["created_at"], name="alert_to_fan_out", condition=Q(fanned_out_at__isnull=True, state="pending"))
        ]

    def __str__(self) -> str:
        return f"{self.treaty}: {self.key} ({self.state})"


class Delivery(models.Model):
    """One alert to one subscriber. Claimed by one worker at a time, for a lease."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True, help_text="Retry no earlier than this.")
    lease_until = models.DateTimeField(null=True, blank=True)
    # The worker's token for its claim: a worker writes the outcome only of deliveries it
    # still holds, so one whose lease ran out (a slow relay) never records over another's.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["alert", "subscription"], name="delivery_once_per_recipient")]
        indexes = [
            models.Index(fields=["id"], name="delivery_open", condition=Q(status__in=["pending", "sending"])),
        ]

    def __str__(self) -> str:
        return f"{self.alert.key} → {self.subscription.email} ({self.status})"

    @property
    def message_id(self) -> str:
        """The same on every attempt, so a retried email is recognisably the same message."""
        return f"<alert-{self.alert_id}.delivery-{self.pk}@treaty-tracker>"


class DeliveryAttempt(models.Model):
    """One failed attempt to send a delivery, with the SMTP server's answer.

    A delivery keeps its own last error; these rows keep every error of every attempt,
    so that a retry that succeeds does not hide what went wrong before it.
    """

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="failed_attempts")
    number = models.PositiveIntegerField(help_text="Which attempt of the delivery this was (1 is the first).")
    at = models.DateTimeField()
    error = models.TextField()
    retry_at = models.DateTimeField(null=True, blank=True, help_text="When the next attempt is due; empty: gave up.")

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.error[:60]}"
