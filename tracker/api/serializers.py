"""Serializers of the API. They read and check the request; the writes are the services'
(tracker.services), validated by the models' own clean() and constraints, so the API
refuses exactly what the admin and the imports refuse, with the same words."""

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.relations import MANY_RELATION_KWARGS

from signatories.models import Action, DomesticStep, Participant, RegionalGroup, Statement
from tracker.models import RULE_FIELDS, Confidence, DatePrecision, EndNote, ReportedFigure, Source, Treaty


class OnlyText:
    """A text field that takes text only: DRF's own would take the number 5 as "5", which
    the schema (type: string) does not allow."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TextField(OnlyText, serializers.CharField):
    pass


class SlugField(OnlyText, serializers.SlugField):
    pass


class URLField(OnlyText, serializers.URLField):
    pass


class ValidatedModelSerializer(serializers.ModelSerializer):
    """A model serializer that never writes itself: ``build()`` gives the unsaved instance
    and the many-to-many values a write would save, and the viewset saves them through the
    services (tracker.services.save_valid), which run the model's full_clean(), so the API
    refuses exactly what the admin and the imports refuse, with the same words and fields
    (tracker.api.errors turns Django's ValidationError into a 400)."""

    serializer_field_mapping = serializers.ModelSerializer.serializer_field_mapping | {
        models.CharField: TextField,
        models.TextField: TextField,
        models.SlugField: SlugField,
        models.URLField: URLField,
    }

    def build(self) -> tuple:
        """The instance the write would save, unsaved, and its many-to-many values."""
        meta = self.Meta.model._meta
        values, relations = dict(self.validated_data), {}
        for name in list(values):
            if meta.get_field(name).many_to_many:
                relations[name] = values.pop(name)
        instance = self.instance if self.instance is not None else self.Meta.model()
        for name, value in values.items():
            setattr(instance, name, value)
        return instance, relations

    def create(self, validated_data):
        raise NotImplementedError("API writes go through tracker.services: see WriteThroughServices")

    def update(self, instance, validated_data):
        raise NotImplementedError("API writes go through tracker.services: see WriteThroughServices")


def participant_key(participant) -> str:
    """A participant's identifier in the API: its ISO alpha-3 code, or its slug for the few
    without one (the European Union, the former Yugoslavia)."""
    return participant.iso_alpha3 or participant.slug


def participant_ref(participant) -> dict:
    """The participant object the API nests wherever a record names one."""
    return {
        "key": participant_key(participant),
        "iso3": participant.iso_alpha3 or None,
        "slug": participant.slug,
        "name": participant.name,
        "kind": participant.kind,
    }


def source_kind(source) -> str:
    """What a source is: a page of the depositary, another web page, or a shipped article."""
    from tracker.selectors import is_depositary_url

    if source.url:
        return "depositary" if is_depositary_url(source.url) else "web"
    return "article"


SOURCE_KINDS = ("depositary", "web", "article")
# The choice sets the schema names (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
SOURCE_KIND_CHOICES = [(kind, kind) for kind in SOURCE_KINDS]
PARTICIPANT_KIND_CHOICES = Participant.Kind.choices


def source_ref(source) -> dict:
    """The source object the API nests wherever a record cites one."""
    return {"id": source.pk, "title": source.title or None, "url": source.url or None, "kind": source_kind(source)}


class ParticipantRef(serializers.Serializer):
    """A participant as every record names it (read)."""

    key = serializers.CharField(help_text="The identifier: the ISO alpha-3 code, or the slug without one")
    iso3 = serializers.CharField(allow_null=True, help_text="ISO 3166-1 alpha-3; null for the EU and the former Yugoslavia")
    slug = serializers.CharField()
    name = serializers.CharField(help_text="The depositary's name")
    kind = serializers.ChoiceField(choices=Participant.Kind.choices)


class SourceRef(serializers.Serializer):
    """A source as every record cites it (read)."""

    id = serializers.IntegerField()
    title = serializers.CharField(allow_null=True)
    url = serializers.URLField(allow_null=True)
    kind = serializers.ChoiceField(choices=SOURCE_KIND_CHOICES)


class ParticipantField(serializers.RelatedField):
    """A participant: written as its ISO alpha-3 code, slug, name or alias; read as the
    participant object (``participant_ref``)."""

    default_error_messages = {"unknown": "Unknown participant “{value}”.{hint}"}

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs["queryset"] = Participant.objects.all()
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        from signatories.selectors import find_participant_by_key

        if not isinstance(data, str):
            self.fail("unknown", value=data, hint="")
        found, hint = find_participant_by_key(data)
        if found is None:
            self.fail("unknown", value=data, hint=hint)
        return found

    def to_representation(self, value):
        return participant_ref(value)


class TreatyField(serializers.SlugRelatedField):
    """A treaty, written and read as its slug (the schema lists them: TreatyKey)."""

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs["queryset"] = Treaty.objects.all()
        super().__init__(slug_field="slug", **kwargs)


class ListOfRelated(serializers.ManyRelatedField):
    """DRF's many-related field, taking a list only: its own takes an object ({}) as the
    list of its keys."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class SourcesField(serializers.PrimaryKeyRelatedField):
    """A cited source: written as its id, read as the source object (``source_ref``)."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        related = {key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS}
        return ListOfRelated(child_relation=cls(*args, **kwargs), **related)

    def use_pk_only_optimization(self):
        return False

    def to_representation(self, value):
        return source_ref(value)


# The rule's fields that the treaty's fields list where they always were.
PLACED_RULE_FIELDS = ("signature_opens_on", "signature_closes_on", "time_zone")


# What the depositary import writes on a treaty: read-only here.
DEPOSITARY_FIELDS = (
    "entry_into_force_stated_on", "entry_into_force_stated_article", "adoption_place", "registration",
    "depositary_as_at",
)  # fmt: skip


class TreatySerializer(ValidatedModelSerializer):
    subject_to = TreatyField(
        allow_null=True, required=False
    )

    class Meta:
        model = Treaty
        fields = [
            "slug", "short_title", "title", "depositary_reference", "depositary_url", "adopted_on",
            "adoption_instrument", "signature_opens_on", "signature_closes_on", "signature_venues",
            *(name for name in RULE_FIELDS if name not in PLACED_RULE_FIELDS),
            "entry_into_force_clause", "time_zone", *DEPOSITARY_FIELDS,
        ]  # fmt: skip
        read_only_fields = DEPOSITARY_FIELDS

    def validate_slug(self, slug):
        # The slug is in every address of the treaty (pages, API, feeds, alerts' links): it
        # is chosen once, when the treaty is created.
        if self.instance is not None and slug != self.instance.slug:
            raise serializers.ValidationError("A treaty's slug is in its addresses and cannot change.")
        return slug

    def validate(self, attrs):
        user = self.context["request"].user
        changed = [f for f in RULE_FIELDS if f in attrs and (self.instance is None or getattr(self.instance, f) != attrs[f])]
        if self.instance is not None and changed and not user.is_superuser:
            raise PermissionDenied(f"Only superusers change a treaty's rule ({', '.join(changed)}).")
        return super().validate(attrs)


class AliasListField(serializers.ListField):
    child = serializers.CharField()

    def to_representation(self, aliases):
        return [alias.name for alias in aliases.all()]


class MembershipSerializer(serializers.Serializer):
    organization = serializers.CharField(help_text="The organization's slug")
    joined_on = serializers.DateField()
    left_on = serializers.DateField(allow_null=True)


class ParticipantSerializer(serializers.Serializer):
    """A participant as ``participants/`` gives it: the list is built from plain values by
    signatories.selectors.participant_rows, with the same fields and values as this."""

    key = serializers.SerializerMethodField(help_text="The identifier: the ISO alpha-3 code, or the slug without one")
    iso3 = serializers.SerializerMethodField(help_text="ISO 3166-1 alpha-3; null for the EU and the former Yugoslavia")
    slug = serializers.CharField()
    name = serializers.CharField(help_text="The depositary's name")
    kind = serializers.ChoiceField(choices=Participant.Kind.choices)
    un_member = serializers.BooleanField()
    iso_alpha2 = serializers.CharField(allow_null=True)
    iso_numeric = serializers.CharField(allow_null=True)
    un_regional_group = serializers.ChoiceField(choices=RegionalGroup.choices, allow_null=True)
    un_regional_group_label = serializers.CharField(source="get_un_regional_group_display", allow_null=True)
    aliases = AliasListField(read_only=True)
    memberships = serializers.SerializerMethodField()
    note = serializers.CharField(allow_blank=True)

    def get_key(self, participant) -> str:
        return participant_key(participant)

    def to_representation(self, participant):
        # As the list (participant_rows) gives them: no group is null, not "".
        data = super().to_representation(participant)
        for name in ("iso_alpha2", "iso_numeric", "un_regional_group", "un_regional_group_label"):
            data[name] = data[name] or None
        return data

    @extend_schema_field({"type": "string", "nullable": True})
    def get_iso3(self, participant) -> str | None:
        return participant.iso_alpha3 or None

    @extend_schema_field(MembershipSerializer(many=True))
    def get_memberships(self, participant) -> list[dict]:
        return [
            {"organization": m.organization.slug, "joined_on": m.joined_on, "left_on": m.left_on}
            for m in participant.memberships.all()
        ]


class SourceSerializer(ValidatedModelSerializer):
    """A source: its id, title, URL and kind as every record cites it (``source_ref``: a
    blank title or URL is null), with the publisher, the date and the shipped article. A
    write may send null or "" for no title or no URL."""

    kind = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = ["id", "title", "url", "kind", "seed_article", "publisher", "published_on"]
        extra_kwargs = {"title": {"allow_null": True}, "url": {"allow_null": True}}

    def to_internal_value(self, data):
        attrs = super().to_internal_value(data)
        return {name: ("" if name in ("title", "url") and value is None else value) for name, value in attrs.items()}

    def to_representation(self, source):
        return super().to_representation(source) | source_ref(source)

    @extend_schema_field({"type": "string", "enum": list(SOURCE_KINDS)})
    def get_kind(self, source) -> str:
        return source_kind(source)


class ActionSerializer(ValidatedModelSerializer):
    treaty = TreatyField()
    participant = ParticipantField()
    sources = SourcesField(many=True, queryset=Source.objects.all(), required=False)

    class Meta:
        model = Action
        fields = [
            "id", "treaty", "participant", "kind", "date", "date_precision", "place", "cn_reference",
            "withdrawn_on", "confidence", "sources", "note", "created_at", "updated_at",
            "withdrawal_notified_on", "withdrawal_kind",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        # The one-signature and one-deposit rules are checked by full_clean(), with their messages.
        validators = []


class DomesticStepSerializer(ValidatedModelSerializer):
    treaty = TreatyField()
    participant = ParticipantField()
    sources = SourcesField(many=True, queryset=Source.objects.all(), required=False)

    class Meta:
        model = DomesticStep
        fields = [
            "id", "treaty", "participant", "date", "date_precision", "step", "confidence", "sources", "note",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []


class ReportedFigureSerializer(ValidatedModelSerializer):
    treaty = TreatyField()
    source = SourcesField(queryset=Source.objects.all())

    class Meta:
        model = ReportedFigure
        fields = ["id", "treaty", "reported_on", "figure", "value", "qualifier", "source", "note"]
        validators = []


class StatementSerializer(serializers.ModelSerializer):
    """A declaration, reservation or objection as the depositary publishes it (read-only)."""

    treaty = TreatyField(read_only=True)
    participant = ParticipantField(read_only=True)
    source = SourcesField(read_only=True)
    dates = serializers.ListField(child=serializers.DateField(), help_text="The dates the text gives, in order")

    class Meta:
        model = Statement
        fields = ["id", "treaty", "participant", "section", "text", "dates", "source", "as_at"]


class EndNoteSerializer(serializers.ModelSerializer):
    """One of the depositary's end notes to a treaty's table (read-only)."""

    treaty = TreatyField(read_only=True)
    source = SourcesField(read_only=True)

    class Meta:
        model = EndNote
        fields = ["id", "treaty", "number", "text", "source", "as_at"]


class StatusSerializer(serializers.Serializer):
    """The status of a treaty on a date: exactly the object of `treaty_status --json`."""

    treaty = serializers.CharField()
    as_of = serializers.DateField()
    threshold = serializers.IntegerField()
    signatories = serializers.IntegerField()
    instruments_deposited = serializers.IntegerField()
    instruments_counted = serializers.IntegerField()
    remaining = serializers.IntegerField()
    threshold_reached_on = serializers.DateField(allow_null=True)
    entry_into_force_on = serializers.DateField(allow_null=True)
    in_force = serializers.BooleanField()
    parties = serializers.IntegerField()
    signature_closes_on = serializers.DateField(allow_null=True)
    days_until_signature_closes = serializers.IntegerField(allow_null=True)
    days_until_entry_into_force = serializers.IntegerField(allow_null=True)
    threshold_reached_precision = serializers.ChoiceField(
        choices=DatePrecision.choices, allow_null=True,
        help_text="on_or_before: the threshold was reached on threshold_reached_on or earlier; "
        "null without a date",
    )
    entry_into_force_precision = serializers.ChoiceField(
        choices=DatePrecision.choices, allow_null=True,
        help_text="on_or_before: the treaty enters into force on entry_into_force_on or earlier; "
        "null without a date",
    )


class ExtraColumnSerializer(serializers.Serializer):
    column = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    on = serializers.DateField(allow_null=True)
    marker = serializers.CharField(allow_blank=True)


class ParticipantStatusSerializer(serializers.Serializer):
    """One participant's standing under a treaty on a date."""

    participant = ParticipantRef()
    un_regional_group = serializers.ChoiceField(choices=RegionalGroup.choices, allow_null=True)
    un_regional_group_label = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["not_signed", "signed", "deposited", "in_force"])
    standing = serializers.ChoiceField(
        choices=["not_signed", "signed", "deposited", "in_force", "withdrawn"],
        help_text="The status, or withdrawn once a withdrawal took effect and nothing replaced it",
    )
    signature_type = serializers.CharField(allow_null=True)
    signature_date = serializers.DateField(allow_null=True)
    instrument = serializers.CharField(allow_null=True)
    instrument_date = serializers.DateField(allow_null=True)
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices, allow_null=True)
    entry_into_force_for_it = serializers.DateField(allow_null=True)
    entry_into_force_for_it_precision = serializers.ChoiceField(choices=DatePrecision.choices, allow_null=True)
    withdrawal = serializers.CharField(allow_null=True, help_text="The withdrawal in words, or null")
    withdrawal_notified_on = serializers.DateField(allow_null=True)
    withdrawal_effective_on = serializers.DateField(allow_null=True)
    confidence = serializers.ChoiceField(choices=Confidence.choices, allow_null=True)
    cn_reference = serializers.CharField(allow_null=True)
    sources = SourceRef(many=True)
    end_notes = serializers.ListField(
        child=serializers.CharField(), help_text="The numbers of the depositary's end notes its row points to"
    )
    extra_columns = ExtraColumnSerializer(many=True, help_text="The depositary table's other columns")
    note = serializers.CharField(allow_null=True)


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    dry_run = serializers.BooleanField()
