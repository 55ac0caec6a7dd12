"""One FilterSet per model: filters by id and by the keys people use (slugs, ISO codes).

Every FilterSet here derives from ``StrictFilterSet``, whose boolean filters reject what
is not a boolean instead of ignoring it.
"""

import django_filters as filters
from django import forms
from django.db import models
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import BooleanWidget

from signatories.models import KIND_CHOICES, Action, DomesticStep, Participant, RegionalGroup
from tracker.models import Confidence, ReportedFigure, Source, Treaty

# What a boolean parameter may say (compared in lower case); empty or absent means "any".
BOOLEAN_VALUES = {"true": True, "1": True, "false": False, "0": False}


class StrictBooleanWidget(BooleanWidget):
    """django-filter's true/false select, passing the raw value on to the field: the
    widget alone reads any value it does not know as "no filter"."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictBooleanField(forms.Field):
    """true/false or 1/0 in any case; anything else is an error, so the API answers 400."""

    widget = StrictBooleanWidget
    default_error_messages = {"invalid": "“%(value)s” is not a boolean: use true or false (or 1 or 0)."}

    def to_python(self, value):
        if isinstance(value, bool):
            return value
        if value in self.empty_values:
            return None
        try:
            return BOOLEAN_VALUES[str(value).lower()]
        except KeyError:
            error = self.error_messages["invalid"]
            raise forms.ValidationError(error, code="invalid", params={"value": value}) from None


class StrictBooleanFilter(filters.BooleanFilter):
    """A BooleanFilter (so the OpenAPI schema still says boolean) that rejects non-booleans."""

    field_class = StrictBooleanField


class StrictFilterSet(filters.FilterSet):
    """The base of the API's FilterSets: a model's BooleanField, named in Meta.fields,
    gets the strict boolean filter."""

    FILTER_DEFAULTS = filters.FilterSet.FILTER_DEFAULTS | {
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the request names none of the filters.

    Building a FilterSet deep-copies all its filters and validates a form: for a list asked
    without filters that cost more than its query, and filtered nothing.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        names = filterset_class.base_filters if filterset_class else {}
        # A prefix: range filters read name_min, name_after and the like.
        if not any(param.startswith(name) for param in request.query_params for name in names):
            return queryset
        return super().filter_queryset(request, queryset, view)


def participant_filter(queryset, name, value):
    """A participant by ISO alpha-3 code or slug (any case)."""
    return queryset.filter(Q(participant__iso_alpha3=value.upper()) | Q(participant__slug=value.lower()))


class TreatyRecordsFilterSet(StrictFilterSet):
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


class ParticipantFilterSet(StrictFilterSet):
    q = filters.CharFilter(method="search", help_text="part of a name or alias, or an ISO code")
    region = filters.MultipleChoiceFilter(field_name="un_regional_group", choices=RegionalGroup.choices)

    class Meta:
        model = Participant
        fields = ["kind", "un_member"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(aliases__name__icontains=value) | Q(iso_alpha3__iexact=value)
        ).distinct()


class SourceFilterSet(StrictFilterSet):
    q = filters.CharFilter(method="search", help_text="part of the URL, title or publisher")

    class Meta:
        model = Source
        fields = ["publisher", "seed_article"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(url__icontains=value) | Q(title__icontains=value) | Q(publisher__icontains=value))


class ReportedFigureFilterSet(StrictFilterSet):
    treaty = filters.CharFilter(field_name="treaty__slug")
    reported_after = filters.DateFilter(field_name="reported_on", lookup_expr="gte")
    reported_before = filters.DateFilter(field_name="reported_on", lookup_expr="lte")

    class Meta:
        model = ReportedFigure
        fields = ["figure", "qualifier"]


class TreatyFilterSet(StrictFilterSet):
    class Meta:
        model = Treaty
        fields = ["slug", "depositary_reference"]
