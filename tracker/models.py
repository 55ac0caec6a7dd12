"""Treaties, the sources the tracker cites, and the totals those sources reported."""

import zoneinfo
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from tracker import rules


class Confidence(models.TextChoices):
    """How far a fact can be trusted, from the best kind of source it has."""

    DEPOSITARY = "depositary", "Depositary record"
    OFFICIAL = "official", "Official statement"
    PRESS = "press", "Press report"


class DatePrecision(models.TextChoices):
    """Whether a date is known to the day or only as the latest day it can have been."""

    EXACT = "exact", "Exact"
    ON_OR_BEFORE = "on_or_before", "On or before"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. America/New_York).")


# The parameters of a treaty's rule of entry into force: only superusers change them.
RULE_FIELDS = (
    "threshold",
    "entry_into_force_delay_days",
    "later_joiner_delay_days",
    "reio_counts_as_additional",
    "signature_opens_on",
    "signature_closes_on",
    "time_zone",
)


class Treaty(models.Model):
    """A multilateral treaty and the rule by which it enters into force.

    The rule is stored as parameters (threshold, delays, how a regional economic
    integration organization counts), so that any treaty can be tracked; the computation
    itself lives in ``tracker.rules``.
    """

    slug = models.SlugField(unique=True)
    short_title = models.CharField(max_length=200, help_text="The name people use, e.g. “Hanoi Convention”.")
    title = models.TextField(help_text="The full title, as the depositary gives it.")
    depositary_reference = models.CharField(
        max_length=50, blank=True, help_text="The depositary's reference, e.g. UNTC chapter XVIII-16."
    )
    depositary_url = models.URLField(max_length=500, blank=True, help_text="The depositary's status page.")
    adopted_on = models.DateField(null=True, blank=True, help_text="The day the text was adopted.")
    adoption_instrument = models.CharField(
        max_length=200, blank=True, help_text="What adopted it, e.g. General Assembly resolution 79/243."
    )
    signature_opens_on = models.DateField(null=True, blank=True)
    signature_closes_on = models.DateField(
        null=True, blank=True, help_text="The last day a signature is possible, in the treaty's time zone."
    )
    signature_venues = models.TextField(blank=True, help_text="Where and when it was open for signature.")
    threshold = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Instruments needed for entry into force."
    )
    entry_into_force_delay_days = models.PositiveIntegerField(
        help_text="Entry into force on this day after the deposit of the threshold instrument."
    )
    later_joiner_delay_days = models.PositiveIntegerField(
        help_text="For a later deposit: in force this many days after it, or on the general date if later."
    )
    reio_counts_as_additional = models.BooleanField(
        default=False,
        help_text="Whether an instrument of a regional economic integration organization (the EU) counts "
        "toward the threshold in addition to those of its member States.",
    )
    alert_milestones = models.CharField(
        max_length=200,
        blank=True,
        help_text="Counts of instruments that send a threshold alert, comma-separated (e.g. 10, 20, 30, 40); "
        "empty: each quarter of the threshold and the last 5, 2 and 1.",
    )
    entry_into_force_clause = models.TextField(blank=True, help_text="The article's text, quoted.")
    time_zone = models.CharField(
        max_length=64,
        default="America/New_York",
        validators=[validate_time_zone],
        help_text="The time zone of the treaty's calendar dates (the depositary's seat).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["short_title"]
        verbose_name_plural = "treaties"
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=1), name="treaty_threshold_positive"),
            models.CheckConstraint(
                condition=Q(signature_closes_on__isnull=True)
                | Q(signature_opens_on__isnull=True)
                | Q(signature_closes_on__gte=F("signature_opens_on")),
                name="treaty_signature_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.short_title

    @property
    def rule(self) -> rules.TreatyRule:
        return rules.TreatyRule(
            threshold=self.threshold,
            entry_into_force_delay_days=self.entry_into_force_delay_days,
            later_joiner_delay_days=self.later_joiner_delay_days,
            reio_counts_as_additional=self.reio_counts_as_additional,
            signature_opens_on=self.signature_opens_on,
            signature_closes_on=self.signature_closes_on,
        )

    @property
    def milestones(self) -> tuple[int, ...]:
        """The counts of instruments that send a threshold alert: ``alert_milestones`` with
        the threshold added, or, when empty, each quarter of the threshold and the last 5,
        2 and 1 (tracker.alerts.rules.milestones_for)."""
        from tracker.alerts.rules import milestones_for

        return milestones_for(self.threshold, self.alert_milestones)

    def local_date(self, moment: datetime | None = None) -> date:
        """The calendar date at ``moment`` (default: now) in the treaty's time zone."""
        moment = moment or timezone.now()
        return timezone.localdate(moment, zoneinfo.ZoneInfo(self.time_zone))

    def clean(self) -> None:
        errors = {}
        opens, closes = self.signature_opens_on, self.signature_closes_on
        if opens and closes and closes < opens:
            errors["signature_closes_on"] = (
                f"The signature window closes on {closes}, before it opens on {opens}."
            )
        if opens and self.adopted_on and opens < self.adopted_on:
            errors["signature_opens_on"] = (
                f"The signature window opens on {opens}, before the adoption on {self.adopted_on}."
            )
        if self.alert_milestones.strip():
            from tracker.alerts.rules import parse_milestones

            try:
                parse_milestones(self.alert_milestones, self.threshold)
            except ValueError as error:
                errors["alert_milestones"] = str(error)
        if errors:
            raise ValidationError(errors)


class Source(models.Model):
    """Where a fact comes from: a web page, or one of the articles the project ships.

    ``seed_article`` names a file under ``fixtures/seeds/``.
    """

    url = models.URLField(max_length=1000, blank=True)
    seed_article = models.CharField(max_length=200, blank=True, help_text="A file under fixtures/seeds/.")
    publisher = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=500, blank=True)
    published_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["publisher", "title", "url"]
        constraints = [
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="source_url_unique"),
            models.UniqueConstraint(
                fields=["seed_article"], condition=~Q(seed_article=""), name="source_seed_article_unique"
            ),
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(seed_article=""),
                name="source_has_url_or_article",
                violation_error_message="A source needs a URL or a seed article.",
            ),
        ]

    def __str__(self) -> str:
        where = self.url or f"seed article {self.seed_article}"
        label = " — ".join(part for part in (self.publisher, self.title) if part)
        return f"{label} ({where})" if label else where


class Citation(models.Model):
    """A source that states one fact of a treaty (its threshold, a date), with the quote."""

    class Fact(models.TextChoices):
        TITLE = "title", "Title"
        DEPOSITARY_REFERENCE = "depositary_reference", "Depositary reference"
        ADOPTED_ON = "adopted_on", "Adoption"
        SIGNATURE_OPENS_ON = "signature_opens_on", "Opening for signature"
        SIGNATURE_CLOSES_ON = "signature_closes_on", "Signature deadline"
        THRESHOLD = "threshold", "Threshold"
        ENTRY_INTO_FORCE_DELAY_DAYS = "entry_into_force_delay_days", "Delay of entry into force"
        LATER_JOINER_DELAY_DAYS = "later_joiner_delay_days", "Delay for later participants"
        REIO_COUNTS_AS_ADDITIONAL = "reio_counts_as_additional", "Counting of a REIO's instrument"

    treaty = models.ForeignKey(Treaty, on_delete=models.CASCADE, related_name="citations")
    fact = models.CharField(max_length=40, choices=Fact.choices)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    quote = models.TextField(blank=True, help_text="The passage that states the fact.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["treaty", "fact"]
        constraints = [
            models.UniqueConstraint(fields=["treaty", "fact", "source"], name="citation_unique_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.treaty} · {self.get_fact_display()} · {self.source}"


class ReportedFigure(models.Model):
    """A total that a source reported on a day ("69 countries signed"), shown beside
    the figure the tracker computes so that gaps and contradictions are visible."""

    class Qualifier(models.TextChoices):
        EXACTLY = "exactly", "exactly"
        NEARLY = "nearly", "nearly"
        ABOUT = "about", "about"
        MORE_THAN = "more_than", "more than"

    treaty = models.ForeignKey(Treaty, on_delete=models.CASCADE, related_name="reported_figures")
    reported_on = models.DateField()
    figure = models.CharField(max_length=200, help_text="What was counted, e.g. “signatories”.")
    value = models.PositiveIntegerField()
    qualifier = models.CharField(max_length=20, choices=Qualifier.choices, default=Qualifier.EXACTLY)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="reported_figures")
    note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["treaty", "reported_on", "figure"]
        constraints = [
            models.UniqueConstraint(
                fields=["treaty", "figure", "reported_on", "source"], name="reported_figure_unique"
            ),
        ]

    def __str__(self) -> str:
        qualifier = "" if self.qualifier == self.Qualifier.EXACTLY else f"{self.get_qualifier_display()} "
        return f"{qualifier}{self.value} {self.figure} ({self.reported_on})"


class SeededRecord(models.Model):
    """A row the seed command created once, by a stable key.

    The seed never creates a row twice, so a row that staff deleted stays deleted.
    """

    key = models.CharField(max_length=300, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


# The alerts' models live in their own module; importing them here registers them.
from tracker.alerts.models import Alert, Delivery, DeliveryAttempt, Subscription  # noqa: E402, F401
from tracker.state import Counter, DataVersion  # noqa: E402, F401
