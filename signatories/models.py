"""Who can take part in a treaty, and what each participant did under it."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from signatories.names import name_key
from tracker import models as tracker_models
from tracker.models import Confidence, DatePrecision, Source, SourcesHistory, Treaty
from tracker.rules import CONSENT_KINDS, DEPOSIT_KINDS, SIGNATURE_KINDS, ActionKind


class RegionalGroup(models.TextChoices):
    """The UN regional groups of Member States (UN DGACM)."""

    AFRICAN = "african", "African States"
    ASIA_PACIFIC = "asia_pacific", "Asia-Pacific States"
    EASTERN_EUROPEAN = "eastern_european", "Eastern European States"
    LATIN_AMERICAN_CARIBBEAN = "grulac", "Latin American and Caribbean States"
    WESTERN_EUROPEAN_OTHERS = "weog", "Western European and other States"


class Participant(models.Model):
    """A State or organization that can take part in UN treaties.

    ``name`` is the depositary's (UNTC) spelling; other spellings are aliases. The ISO
    3166 codes are empty for the European Union, which has none.
    """

    class Kind(models.TextChoices):
        STATE = "state", "State"
        REIO = "reio", "Regional economic integration organization"

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, unique=True, help_text="The depositary's (UNTC) name.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STATE)
    un_member = models.BooleanField(default=True, verbose_name="UN member")
    iso_alpha2 = models.CharField(max_length=2, unique=True, null=True, blank=True, verbose_name="ISO alpha-2")
    iso_alpha3 = models.CharField(max_length=3, unique=True, null=True, blank=True, verbose_name="ISO alpha-3")
    iso_numeric = models.CharField(max_length=3, unique=True, null=True, blank=True, verbose_name="ISO numeric")
    un_regional_group = models.CharField(
        max_length=20, choices=RegionalGroup.choices, blank=True, verbose_name="UN regional group"
    )
    note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_reio(self) -> bool:
        return self.kind == self.Kind.REIO

    def clean(self) -> None:
        for field in ("iso_alpha2", "iso_alpha3", "iso_numeric"):
            value = getattr(self, field)
            setattr(self, field, value.upper() if value else None)


class ParticipantAlias(models.Model):
    """Another name of a participant: an ISO name, an older depositary spelling, a common name."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "participant aliases"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # An alias must not read as another participant's name or alias, or matching
        # a name would become ambiguous.
        key = name_key(self.name)
        others = Participant.objects.exclude(pk=self.participant_id)
        clash = next((p for p in others if name_key(p.name) == key), None)
        if clash is None:
            aliases = ParticipantAlias.objects.exclude(participant_id=self.participant_id)
            clash = next((a.participant for a in aliases.select_related("participant") if name_key(a.name) == key), None)
        if clash is not None:
            raise ValidationError({"name": f"“{self.name}” already names {clash}."})


class Membership(models.Model):
    """A State's membership of a regional economic integration organization, with its dates."""

    organization = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="members", limit_choices_to={"kind": "reio"}
    )
    member = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="memberships")
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)
    source_url = models.URLField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["organization", "member"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "member", "joined_on"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="membership_left_after_joined",
                violation_error_message="A membership cannot end before it began.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.organization}"

    def clean(self) -> None:
        if self.organization_id and not self.organization.is_reio:
            raise ValidationError({"organization": f"{self.organization} is not a regional organization."})


cn_reference_validator = RegexValidator(
    r"^C\.N\.\d+\.\d{4}\.TREATIES-[A-Z]+\.\d+",
    "A depositary notification reads like C.N.196.2025.TREATIES-XVIII.16.",
)

KIND_CHOICES = [(kind.value, kind.value.replace("_", " ").capitalize()) for kind in ActionKind]
SIGNATURE_VALUES = sorted(kind.value for kind in SIGNATURE_KINDS)  # sorted: a set has no stable order
DEPOSIT_VALUES = sorted(kind.value for kind in DEPOSIT_KINDS)
# Consent to be bound: the instruments, and a definitive signature (see tracker.rules).
CONSENT_VALUES = sorted(kind.value for kind in CONSENT_KINDS)


class Action(models.Model):
    """One thing a participant did under a treaty: a signature or the deposit of an instrument.

    The date is exact, or the latest day it can have been (``on_or_before``) when the
    sources give only a range. Only consent to be bound counts toward the threshold: the
    deposit of an instrument of ratification, acceptance, approval, accession or
    succession, or a definitive signature (see ``tracker.rules``). A signature or an
    instrument may be withdrawn; it stops counting from that day.
    """

    treaty = models.ForeignKey(Treaty, on_delete=models.PROTECT, related_name="actions")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=30, choices=KIND_CHOICES)
    date = models.DateField()
    date_precision = models.CharField(max_length=20, choices=DatePrecision.choices, default=DatePrecision.EXACT)
    place = models.CharField(max_length=100, blank=True, help_text="Where it was done, e.g. Hanoi.")
    cn_reference = models.CharField(
        max_length=100,
        blank=True,
        validators=[cn_reference_validator],
        verbose_name="C.N. reference",
        help_text="The depositary notification, e.g. C.N.196.2025.TREATIES-XVIII.16.",
    )
    withdrawn_on = models.DateField(
        null=True,
        blank=True,
        help_text="The day the withdrawal of the signature or instrument took (or takes) effect, if it "
        "was withdrawn: it counts until the day before.",
    )
    withdrawal_notified_on = models.DateField(
        null=True, blank=True, help_text="The day the withdrawal or denunciation was notified to the depositary."
    )
    withdrawal_kind = models.CharField(
        max_length=20,
        blank=True,
        choices=[("withdrawal", "Withdrawal"), ("denunciation", "Denunciation")],
        help_text="What the depositary calls it.",
    )
    confidence = models.CharField(max_length=20, choices=Confidence.choices, default=Confidence.DEPOSITARY)
    sources = models.ManyToManyField(Source, blank=True, related_name="actions")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The history also says how each save changed the sources (see SourcesHistory).
    history = HistoricalRecords(bases=[SourcesHistory])

    class Meta:
        ordering = ["treaty", "date", "participant"]
        indexes = [models.Index(fields=["treaty", "date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["treaty", "participant"],
                condition=Q(kind__in=SIGNATURE_VALUES),
                name="action_one_signature_per_participant",
                violation_error_message="This participant already has a signature under this treaty.",
            ),
            models.UniqueConstraint(
                fields=["treaty", "participant"],
                condition=Q(kind__in=DEPOSIT_VALUES, withdrawn_on__isnull=True),
                name="action_one_counted_deposit_per_participant",
                violation_error_message="This participant already has a deposited instrument under this "
                "treaty that was not withdrawn.",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("date")),
                name="action_withdrawal_after_action",
                violation_error_message="A signature or an instrument can only be withdrawn on or after "
                "its date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant}: {self.get_kind_display().lower()} of {self.treaty} on {self.date}"

    @property
    def is_deposit(self) -> bool:
        return self.kind in DEPOSIT_VALUES

    @property
    def is_signature(self) -> bool:
        return self.kind in SIGNATURE_VALUES

    @property
    def binds(self) -> bool:
        """Whether this is consent to be bound: an instrument, or a definitive signature."""
        return self.kind in CONSENT_VALUES

    @property
    def on_or_before(self) -> bool:
        return self.date_precision == DatePrecision.ON_OR_BEFORE

    def in_effect_on(self, day) -> bool:
        """Whether this had been done, and not withdrawn, by the end of ``day`` (as the rules say)."""
        return self.date <= day and (self.withdrawn_on is None or self.withdrawn_on > day)

    def clean(self) -> None:
        if not (self.treaty_id and self.date and self.kind):
            return  # the missing field has its own error
        errors = {}
        what = self.get_kind_display()
        date_problems = date_errors(self.treaty, self.date, what)
        if self.is_signature:
            date_problems += signature_window_errors(self.treaty, self.date, what)
        if date_problems:
            errors["date"] = date_problems
        notified = self.withdrawal_notified_on
        if notified and notified > self.treaty.local_date():
            errors["withdrawal_notified_on"] = f"The notification on {notified} is in the future."
        elif notified and self.withdrawn_on and self.withdrawn_on < notified:
            errors["withdrawn_on"] = f"The withdrawal cannot take effect before its notification on {notified}."
        if errors:
            raise ValidationError(errors)


def date_errors(treaty: Treaty, day, what: str) -> list[str]:
    """What is wrong with ``day`` as the date of something done under ``treaty``."""
    errors = []
    if treaty.adopted_on and day < treaty.adopted_on:
        errors.append(f"{what} on {day} is before the treaty's adoption on {treaty.adopted_on}.")
    today = treaty.local_date()
    if day > today:
        errors.append(f"{what} on {day} is in the future (today is {today} in {treaty.time_zone}).")
    return errors


def signature_window_errors(treaty: Treaty, day, what: str) -> list[str]:
    """What is wrong with ``day`` as the date of a signature under ``treaty``."""
    opens, closes = treaty.signature_opens_on, treaty.signature_closes_on
    if opens and day < opens:
        return [f"{what} on {day} is before the treaty opened for signature on {opens}."]
    if closes and day > closes:
        return [f"{what} on {day} is after the signature deadline of {closes}."]
    return []


class DomesticStep(models.Model):
    """A step inside a country toward joining a treaty: a vote, a law signed, a press
    report of ratification. Shown beside the actions, never counted toward the threshold."""

    treaty = models.ForeignKey(Treaty, on_delete=models.PROTECT, related_name="domestic_steps")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="domestic_steps")
    date = models.DateField()
    date_precision = models.CharField(max_length=20, choices=DatePrecision.choices, default=DatePrecision.EXACT)
    step = models.CharField(max_length=300, help_text="What happened, e.g. “Legislature approved the ratification law”.")
    confidence = models.CharField(max_length=20, choices=Confidence.choices, default=Confidence.PRESS)
    sources = models.ManyToManyField(Source, blank=True, related_name="domestic_steps")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The history also says how each save changed the sources (see SourcesHistory).
    history = HistoricalRecords(bases=[SourcesHistory])

    class Meta:
        ordering = ["treaty", "date", "participant"]
        constraints = [
            models.UniqueConstraint(fields=["treaty", "participant", "date", "step"], name="domestic_step_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.participant}: {self.step} ({self.date})"

    def clean(self) -> None:
        if self.treaty_id and self.date:
            errors = date_errors(self.treaty, self.date, self.step or "The step")
            if errors:
                raise ValidationError({"date": errors})


class DepositaryEntry(tracker_models.DepositaryRecord):
    """What the depositary's table shows for one participant beyond its dates: the footnotes
    after its name and the extra columns (provisional application, declarations under an
    article). Written by the depositary import only."""

    treaty = models.ForeignKey(Treaty, on_delete=models.CASCADE, related_name="depositary_entries")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="depositary_entries")
    footnotes = models.JSONField(default=list, blank=True, help_text="The end notes its name points to.")
    extra_columns = models.JSONField(
        default=list, blank=True, help_text="The table's other columns: column, text, date, marker."
    )

    class Meta:
        ordering = ["treaty", "participant"]
        verbose_name_plural = "depositary entries"
        constraints = [
            models.UniqueConstraint(fields=["treaty", "participant"], name="depositary_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} in the depositary's table of {self.treaty}"

    @staticmethod
    def sync_key(row) -> int:
        """What identifies the row on a page (tracker.sync.services.sync_rows)."""
        return row.participant_id


class Statement(tracker_models.DepositaryRecord):
    """A participant's declarations, reservations, objections or territorial application
    under a treaty, as the depositary publishes them: one row per section."""

    treaty = models.ForeignKey(Treaty, on_delete=models.CASCADE, related_name="statements")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="statements")
    section = models.CharField(max_length=300, help_text="The depositary's heading, e.g. “Objections”.")
    text = models.TextField()
    dates = models.JSONField(default=list, blank=True, help_text="The dates the text gives, in order.")

    class Meta:
        ordering = ["treaty", "participant", "section"]
        constraints = [
            models.UniqueConstraint(fields=["treaty", "participant", "section"], name="statement_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.participant}: {self.section} ({self.treaty})"

    @staticmethod
    def sync_key(row) -> tuple[int, str]:
        return (row.participant_id, row.section)
