"""One FilterSet per model: filters by id and by the keys people use (slugs, ISO codes)."""

import django_filters as filters
from django.db.models import Q

from signatories.models import KIND_CHOICES, Action, DomesticStep, Participant, RegionalGroup
from tracker.models import Confidence, ReportedFigure, Source, Treaty


def participant_filter(queryset, name, value):
    """A participant by ISO alpha-3 code or slug (any case)."""
    return queryset.filter(Q(participant__iso_alpha3=value.upper()) | Q(participant__slug=value.lower()))


class TreatyRecordsFilterSet(filters.FilterSet):
    """What actions and domestic steps share: treaty, participant, dates, confidence, region."""

    treaty = filters.CharFilter(field_name="treaty__slug", help_text="the treaty's slug")
    participant = filters.CharFilter(method=participant_filter, help_text="ISO alpha-3 code or slug")
    date_after = filters.DateFilter(field_name="date", lookup_expr="gte", help_text="on or after YYYY-MM-DD")
    date_before = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="on or before YYYY-MM-DD")
    confidence = filters.MultipleChoiceFilter(choices=Confidence.choices)
    region = filters.MultipleChoiceFilter(
        field_name="participant__un_regional_group", choices=RegionalGroup.choices, help_text="UN regional group"
    )


class ActionFilterSet(TreatyRecordsFilterSet):
    type = filters.MultipleChoiceFilter(field_name="kind", choices=KIND_CHOICES)

    class Meta:
        model = Action
        fields = ["id"]


class DomesticStepFilterSet(TreatyRecordsFilterSet):
    class Meta:
        model = DomesticStep
        fields = ["id"]


class ParticipantFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", help_text="part of a name or alias, or an ISO code")
    region = filters.MultipleChoiceFilter(field_name="un_regional_group", choices=RegionalGroup.choices)

    class Meta:
        model = Participant
        fields = ["kind", "un_member"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(aliases__name__icontains=value) | Q(iso_alpha3__iexact=value)
        ).distinct()


class SourceFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", help_text="part of the URL, title or publisher")

    class Meta:
        model = Source
        fields = ["publisher", "seed_article"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(url__icontains=value) | Q(title__icontains=value) | Q(publisher__icontains=value))


class ReportedFigureFilterSet(filters.FilterSet):
    treaty = filters.CharFilter(field_name="treaty__slug")
    reported_after = filters.DateFilter(field_name="reported_on", lookup_expr="gte")
    reported_before = filters.DateFilter(field_name="reported_on", lookup_expr="lte")

    class Meta:
        model = ReportedFigure
        fields = ["figure", "qualifier"]


class TreatyFilterSet(filters.FilterSet):
    class Meta:
        model = Treaty
        fields = ["slug", "depositary_reference"]
