"""Serializers of the API. They read and check the request; the writes are the services'
(tracker.services), validated by the models' own clean() and constraints, so the API
refuses exactly what the admin and the imports refuse, with the same words."""

from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from signatories.models import Action, DomesticStep, Participant
from tracker.models import RULE_FIELDS, DatePrecision, ReportedFigure, Source, Treaty


class ValidatedModelSerializer(serializers.ModelSerializer):
    """A model serializer that never writes itself: ``build()`` gives the unsaved instance
    and the many-to-many values a write would save, and the viewset saves them through the
    services (tracker.services.save_valid), which run the model's full_clean(), so the API
    refuses exactly what the admin and the imports refuse, with the same words and fields
    (tracker.api.errors turns Django's ValidationError into a 400)."""

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


class ParticipantField(serializers.SlugRelatedField):
    """A participant, written as its ISO alpha-3 code or its slug; read as its slug."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Participant.objects.all(), **kwargs)

    def to_internal_value(self, data):
        value = str(data)
        found = Participant.objects.filter(iso_alpha3=value.upper()).first() if len(value) == 3 else None
        return found or super().to_internal_value(value.lower())


# The rule's fields that the treaty's fields list where they always were.
PLACED_RULE_FIELDS = ("signature_opens_on", "signature_closes_on", "time_zone")


class TreatySerializer(ValidatedModelSerializer):
    subject_to = serializers.SlugRelatedField(
        slug_field="slug", queryset=Treaty.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Treaty
        fields = [
            "slug", "short_title", "title", "depositary_reference", "depositary_url", "adopted_on",
            "adoption_instrument", "signature_opens_on", "signature_closes_on", "signature_venues",
            *(name for name in RULE_FIELDS if name not in PLACED_RULE_FIELDS),
            "entry_into_force_clause", "time_zone",
        ]  # fmt: skip

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


class ParticipantSerializer(serializers.ModelSerializer):
    aliases = AliasListField(read_only=True)
    un_regional_group_label = serializers.CharField(source="get_un_regional_group_display", read_only=True)
    memberships = serializers.SerializerMethodField()

    class Meta:
        model = Participant
        fields = [
            "slug", "name", "kind", "un_member", "iso_alpha2", "iso_alpha3", "iso_numeric",
            "un_regional_group", "un_regional_group_label", "aliases", "memberships", "note",
        ]  # fmt: skip

    def get_memberships(self, participant) -> list[dict]:
        return [
            {"organization": m.organization.slug, "joined_on": m.joined_on, "left_on": m.left_on}
            for m in participant.memberships.all()
        ]


class SourceSerializer(ValidatedModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "url", "seed_article", "publisher", "title", "published_on"]


class ActionSerializer(ValidatedModelSerializer):
    treaty = serializers.SlugRelatedField(slug_field="slug", queryset=Treaty.objects.all())
    participant = ParticipantField()
    sources = serializers.PrimaryKeyRelatedField(many=True, queryset=Source.objects.all(), required=False)

    class Meta:
        model = Action
        fields = [
            "id", "treaty", "participant", "kind", "date", "date_precision", "place", "cn_reference",
            "withdrawn_on", "confidence", "sources", "note", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        # The one-signature and one-deposit rules are checked by full_clean(), with their messages.
        validators = []


class DomesticStepSerializer(ValidatedModelSerializer):
    treaty = serializers.SlugRelatedField(slug_field="slug", queryset=Treaty.objects.all())
    participant = ParticipantField()
    sources = serializers.PrimaryKeyRelatedField(many=True, queryset=Source.objects.all(), required=False)

    class Meta:
        model = DomesticStep
        fields = [
            "id", "treaty", "participant", "date", "date_precision", "step", "confidence", "sources", "note",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []


class ReportedFigureSerializer(ValidatedModelSerializer):
    treaty = serializers.SlugRelatedField(slug_field="slug", queryset=Treaty.objects.all())

    class Meta:
        model = ReportedFigure
        fields = ["id", "treaty", "reported_on", "figure", "value", "qualifier", "source", "note"]
        validators = []


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


class ParticipantStatusSerializer(serializers.Serializer):
    """One participant's standing under a treaty on a date."""

    participant = serializers.CharField(help_text="The depositary's name")
    slug = serializers.CharField()
    iso3 = serializers.CharField(allow_null=True)
    un_regional_group = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["signed", "deposited", "in_force"])
    signature_type = serializers.CharField(allow_null=True)
    signature_date = serializers.DateField(allow_null=True)
    instrument = serializers.CharField(allow_null=True)
    instrument_date = serializers.DateField(allow_null=True)
    date_precision = serializers.CharField(allow_null=True)
    entry_into_force_for_it = serializers.DateField(allow_null=True)
    entry_into_force_for_it_precision = serializers.ChoiceField(choices=DatePrecision.choices, allow_null=True)
    confidence = serializers.CharField(allow_null=True)
    cn_reference = serializers.CharField(allow_null=True)
    sources = serializers.ListField(child=serializers.CharField())
    note = serializers.CharField(allow_null=True)


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    dry_run = serializers.BooleanField()
