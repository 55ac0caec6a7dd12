"""Treaties, the sources the tracker cites, and the totals those sources reported."""

import difflib
import zoneinfo
from datetime import date, datetime

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from tracker import rules, wording
from tracker.alerts.rules import milestones_for, parse_milestones


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
    "entry_into_force_delay",
    "later_joiner_delay",
    "later_after_entry_into_force",
    "not_before",
    "subject_to",
    "required_participants",
    "reio_counts_as_additional",
    "withdrawal_delay",
    "rule_out_of_scope",
    "signature_opens_on",
    "signature_closes_on",
    "time_zone",
)


def validate_delay(value: str) -> None:
    """A delay as ``rules.Delay.parse`` reads it: ``90d``, ``6m,first-of-month``…"""
    try:
        rules.Delay.parse(value)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def with_nearest(code: str, codes: list[str]) -> str:
    """``code``, and the nearest of ``codes`` to it: "USB (did you mean USA?)"."""
    nearest = difflib.get_close_matches(code, codes, n=3, cutoff=0.6)
    return f"{code} (did you mean {', '.join(nearest)}?)" if nearest else code


def participant_codes(value: str) -> list[str]:
    """The ISO 3166 alpha-3 codes of a comma-separated list, upper-cased, in order."""
    return [code.strip().upper() for code in value.split(",") if code.strip()]


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
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Instruments needed for entry into force; empty until the rule is known.",
    )
    entry_into_force_delay = models.CharField(
        max_length=40,
        blank=True,
        validators=[validate_delay],
        help_text="When it enters into force after the threshold instrument: “90d” (the 90th day after), "
        "“3m” (three months after), optionally “,first-of-month” or “,first-of-next-month” "
        "(“6m,first-of-month”: Ottawa).",
    )
    later_joiner_delay = models.CharField(
        max_length=40,
        blank=True,
        validators=[validate_delay],
        help_text="For a later instrument: in force this long after it, or on the general date if later "
        "(same form; empty: the same as above).",
    )
    later_after_entry_into_force = models.BooleanField(
        default=False,
        verbose_name="later delay after entry into force",
        help_text="The later delay is for instruments deposited after the entry into force (CWC art. XXI(2), "
        "CRC-OP-AC art. 10(2)), not after the threshold instrument (the Hanoi Convention, art. 65(2)).",
    )
    not_before = models.DateField(
        null=True, blank=True, help_text="The general date is never earlier than this (CWC: 13 Jan 1995)."
    )
    subject_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="protocols",
        help_text="The convention an optional protocol cannot enter into force before.",
    )
    required_participants = models.CharField(
        max_length=1000,
        blank=True,
        help_text="ISO alpha-3 codes, comma-separated, of participants whose instruments are all needed "
        "(the CTBT's Annex 2).",
    )
    withdrawal_delay = models.CharField(
        max_length=40,
        blank=True,
        validators=[validate_delay],
        help_text="When a withdrawal or denunciation takes effect after its notification, for the "
        "depositary's notes that give only the notification (ICCPR-OP1, art. 12(1): “3m”).",
    )
    rule_out_of_scope = models.TextField(
        blank=True,
        help_text="Why the tracker computes no date for this treaty (a condition it cannot check, "
        "such as a share of global emissions). Shown on the treaty's page.",
    )
    reio_counts_as_additional = models.BooleanField(
        default=False,
        help_text="Whether an instrument of a regional economic integration organization (the EU) counts "
        "toward the threshold in addition to those of its member States.",
    )
    entry_into_force_stated_on = models.DateField(
        null=True, blank=True, help_text="The date of entry into force the depositary states."
    )
    entry_into_force_stated_article = models.CharField(
        max_length=200, blank=True, help_text="The article it cites, e.g. “article 17(1)”."
    )
    adoption_place = models.CharField(max_length=100, blank=True, help_text="Where the text was adopted.")
    subject = models.CharField(
        max_length=200,
        blank=True,
        help_text="The subject of the depositary's chapter that holds the treaty, as its status page heads it "
        "(e.g. DISARMAMENT); visitors find the treaty by it.",
    )
    registration = models.CharField(max_length=200, blank=True, help_text="Its UN registration, as the depositary gives it.")
    depositary_as_at = models.DateTimeField(
        null=True, blank=True, help_text="The “status as at” time of the depositary page last imported."
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
            models.CheckConstraint(
                condition=Q(threshold__isnull=True) | Q(threshold__gte=1), name="treaty_threshold_positive"
            ),
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
    def has_rule(self) -> bool:
        """Whether the tracker can compute a date: a threshold and a delay, and nothing out of scope."""
        return bool(self.threshold and self.entry_into_force_delay and not self.rule_out_of_scope.strip())

    @property
    def delay_in_words(self) -> str:
        """The general delay as a sentence begins it: "the 90th day after"."""
        return wording.delay_words(self.entry_into_force_delay) if self.entry_into_force_delay else ""

    @property
    def required_codes(self) -> list[str]:
        return participant_codes(self.required_participants)

    def rule_with(self, *, subject_to_on: date | None = None, requires: frozenset[str] = frozenset()):
        """The rule as the rules engine wants it, or None while it is not known.

        ``subject_to_on`` is the general date of the convention this treaty is subject to,
        and ``requires`` the keys of the required participants: the selectors find them.
        """
        if not self.has_rule:
            return None
        later = self.later_joiner_delay
        return rules.TreatyRule(
            threshold=self.threshold,
            delay=rules.Delay.parse(self.entry_into_force_delay),
            later_delay=rules.Delay.parse(later) if later else None,
            reio_counts_as_additional=self.reio_counts_as_additional,
            signature_opens_on=self.signature_opens_on,
            signature_closes_on=self.signature_closes_on,
            not_before=self.not_before,
            subject_to=self.subject_to_id is not None,
            subject_to_on=subject_to_on,
            requires=requires,
            later_after_entry_into_force=self.later_after_entry_into_force,
        )

    @property
    def rule(self):
        """The rule without the facts of other rows (see ``rule_with``); None while not known."""
        return self.rule_with()

    @property
    def milestones(self) -> tuple[int, ...]:
        """The counts of instruments that send a threshold alert: ``alert_milestones`` with
        the threshold added, or, when empty, each quarter of the threshold and the last 5,
        2 and 1 (tracker.alerts.rules.milestones_for)."""
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
        if self.alert_milestones.strip() and self.threshold:
            try:
                parse_milestones(self.alert_milestones, self.threshold)
            except ValueError as error:
                errors["alert_milestones"] = str(error)
        errors.update(self.rule_errors())
        if errors:
            raise ValidationError(errors)


    def rule_errors(self) -> dict[str, str]:
        """What is wrong with the rule: half a rule, a protocol subject to itself or to a
        chain that comes back, a required participant that is not an ISO alpha-3 code."""
        errors = {}
        if self.entry_into_force_delay and not self.threshold:
            errors["threshold"] = "A rule needs a threshold as well as a delay."
        if self.threshold and not self.entry_into_force_delay:
            errors["entry_into_force_delay"] = "A rule needs a delay as well as a threshold (e.g. 90d)."
        seen, convention = {self.pk}, self.subject_to
        while convention is not None:
            if convention.pk in seen:
                errors["subject_to"] = f"{convention} is already subject to this treaty: a protocol cannot come back to itself."
                break
            seen.add(convention.pk)
            convention = convention.subject_to
        bad = [code for code in self.required_codes if len(code) != 3 or not code.isalpha()]
        if bad:
            errors["required_participants"] = f"Not ISO alpha-3 codes: {', '.join(bad)} (e.g. USA,CHN)."
        elif self.required_codes:
            # The participants are signatories' models, which import this module: by name.
            participants = apps.get_model("signatories", "Participant").objects
            known = set(participants.filter(iso_alpha3__in=self.required_codes).values_list("iso_alpha3", flat=True))
            unknown = [code for code in self.required_codes if code not in known]
            if unknown:
                every = list(participants.exclude(iso_alpha3=None).values_list("iso_alpha3", flat=True))
                hints = "; ".join(with_nearest(code, every) for code in unknown)
                errors["required_participants"] = f"No participant has the ISO alpha-3 code {hints}."
        return errors


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
        # What readers see wherever a source is named: its title and publisher (or site),
        # never the name of a file under fixtures/seeds/.
        from tracker.wording import source_label

        return source_label(self)


class SourcesHistory(models.Model):
    """What a history record of a row that cites sources (an action, a domestic step) keeps
    beyond its fields: how that save changed the sources, e.g. "added “X”; removed “Y”".

    simple-history diffs the fields only, so a change of sources alone would show an empty
    "Changes" column. ``tracker.services.save_valid`` (the admin, the API) and the import
    (``tracker.imports``) write it; the seed leaves it empty, its reason naming the file.
    """

    # db_default too: the import writes history rows with INSERT … SELECT, naming its columns.
    history_sources_change = models.TextField(blank=True, default="", db_default="", verbose_name="sources")

    class Meta:
        abstract = True


class Citation(models.Model):
    """A source that states one fact of a treaty (its threshold, a date), with the quote."""

    class Fact(models.TextChoices):
        TITLE = "title", "Title"
        DEPOSITARY_REFERENCE = "depositary_reference", "Depositary reference"
        ADOPTED_ON = "adopted_on", "Adoption"
        SIGNATURE_OPENS_ON = "signature_opens_on", "Opening for signature"
        SIGNATURE_CLOSES_ON = "signature_closes_on", "Signature deadline"
        THRESHOLD = "threshold", "Threshold"
        ENTRY_INTO_FORCE_DELAY = "entry_into_force_delay", "Delay of entry into force"
        LATER_JOINER_DELAY = "later_joiner_delay", "Delay for later participants"
        ENTRY_INTO_FORCE_STATED_ON = "entry_into_force_stated_on", "Stated date of entry into force"
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


class DepositaryRecord(models.Model):
    """What every row read from a depositary page has: the page it came from, and its audit."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+", help_text="The page.")
    as_at = models.DateTimeField(help_text="The page's “status as at” time.")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True


class EndNote(DepositaryRecord):
    """One of the numbered notes at the end of a depositary page: withdrawals, successions,
    territorial extensions, name changes. Participants' footnotes point to them."""

    treaty = models.ForeignKey(Treaty, on_delete=models.CASCADE, related_name="end_notes")
    number = models.CharField(max_length=10)
    text = models.TextField()

    class Meta:
        ordering = ["treaty", "id"]
        constraints = [models.UniqueConstraint(fields=["treaty", "number"], name="end_note_unique")]

    def __str__(self) -> str:
        return f"{self.treaty}, note {self.number}"

    @staticmethod
    def sync_key(row) -> str:
        """What identifies the row on a page (tracker.sync.services.sync_rows)."""
        return row.number


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
from tracker.sync.models import DepositarySync  # noqa: E402, F401
