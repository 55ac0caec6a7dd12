"""One FilterSet per model: filters by id and by the keys people use (slugs, ISO codes).

Every FilterSet here derives from ``StrictFilterSet``, whose boolean filters reject what
is not a boolean instead of ignoring it (a 400 naming the parameter), and so is an id that
is not a whole number and an unknown ordering field (``StrictOrderingFilter``). Parameters that no filter
reads are refused by the views (tracker.api.views.StrictQuery).
A participant or treaty key that names none is a 400 with the nearest names; the schema
lists the keys (tracker.api.schema.known_keys).
"""

import difflib

import django_filters as filters
from django import forms
from django.db import models
from django.db.models import Q
from django_filters.constants import EMPTY_VALUES
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import BooleanWidget
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from signatories.models import KIND_CHOICES, Action, DomesticStep, Participant, RegionalGroup, Statement
from signatories.selectors import ParticipantIndex, participant_key_filter
from tracker import tables
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


class IntegerFilter(filters.NumberFilter):
    """An id: a whole number (django-filter's NumberFilter takes 0.5 and matches nothing)."""

    field_class = forms.IntegerField


class StrictFilterSet(filters.FilterSet):
    """The base of the API's FilterSets: a model's BooleanField, named in Meta.fields,
    gets the strict boolean filter, and an id the whole-number filter."""

    FILTER_DEFAULTS = filters.FilterSet.FILTER_DEFAULTS | {
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.AutoField: {"filter_class": IntegerFilter},
        models.BigAutoField: {"filter_class": IntegerFilter},
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


class StrictOrderingFilter(OrderingFilter):
    """DRF's OrderingFilter, with a 400 naming ``ordering`` for a field it does not know
    (DRF drops those silently), and the schema listing the fields (as ``field`` or
    ``-field``, comma-separated)."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            terms = [term.strip() for term in params.split(",")]
            allowed = {name for name, _ in self.get_valid_fields(queryset, view, {"request": request})}
            unknown = [term for term in terms if term.lstrip("-") not in allowed or not term]
            if unknown:
                raise ValidationError({self.ordering_param: [unknown_ordering(unknown, allowed)]})
            return [model_term(term, view) for term in terms]
        return self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view):
        fields = [name for name, _ in self.get_valid_fields(None, view, {"request": None})]
        return [ordering_parameter(self.ordering_param, fields, getattr(view, "ordering", None))]


def model_term(term: str, view) -> str:
    """An ordering term as the model names it: a view may declare ``ordering_fields`` as a
    dict from the API's names (``group``) to the model's (``un_regional_group``)."""
    names = getattr(view, "ordering_fields", None)
    if not isinstance(names, dict):
        return term
    sign = "-" if term.startswith("-") else ""
    return sign + names[term.lstrip("-")]


def unknown_ordering(unknown: list[str], allowed) -> str:
    return f"Unknown ordering {', '.join(repr(t) for t in unknown)}: use {', '.join(sorted(allowed))}, each with - to reverse."


def ordering_parameter(name: str, fields, default=None) -> dict:
    """The OpenAPI parameter of an ordering: one field or several, comma-separated."""
    default_text = f" Default: {','.join(default)}." if default else ""
    return {
        "name": name,
        "required": False,
        "in": "query",
        "description": "Which fields to order by, comma-separated; - before one reverses it." + default_text,
        "schema": {
            "type": "array", "minItems": 1,
            "items": {"type": "string", "enum": [*fields, *(f"-{f}" for f in fields)]},
        },  # fmt: skip
        "style": "form",
        "explode": False,
    }


class ParticipantKeyFilter(filters.CharFilter):
    """A participant by ISO alpha-3 code, slug, name or alias (any case). A key that names
    no participant is a 400 naming the parameter, with the nearest names ("Germny": did you
    mean 'Germany'?): an empty list would read as "no records". One query when it is found."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", "The participant's ISO alpha-3 code (or its slug without one), slug, name or alias")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        found = list(Participant.objects.filter(participant_key_filter(value)).values_list("pk", flat=True).distinct())
        if not found:
            raise ValidationError({self.field_name: [ParticipantIndex().unknown_message(value)]})
        return qs.filter(**{f"{self.field_name}__in": found})


class TreatyKeyFilter(filters.CharFilter):
    """A treaty by slug (any case); an unknown slug is a 400 naming the parameter, with the
    nearest slugs."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", "The treaty's slug")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        found = Treaty.objects.filter(slug=value.lower()).values_list("pk", flat=True).first()
        if found is None:
            raise ValidationError({self.field_name: [unknown_treaty(value)]})
        return qs.filter(**{f"{self.field_name}_id": found})


def unknown_treaty(slug: str) -> str:
    near = difflib.get_close_matches(slug.lower(), Treaty.objects.values_list("slug", flat=True), n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(s) for s in near)}?" if near else ""
    return f"Unknown treaty {slug!r}.{hint}"


class GroupFilter(filters.MultipleChoiceFilter):
    """The UN regional group, as the pages' ``group`` filter (one or several)."""

    def __init__(self, field_name="participant__un_regional_group", **kwargs):
        kwargs.setdefault("help_text", "UN regional group")
        super().__init__(field_name=field_name, choices=RegionalGroup.choices, **kwargs)


class AsOfFilter(filters.DateFilter):
    """The records known on a day: dated on or before it (YYYY-MM-DD)."""

    def __init__(self, field_name="date", **kwargs):
        kwargs.setdefault("help_text", "The records as of this day (YYYY-MM-DD): those dated on or before it")
        super().__init__(field_name=field_name, lookup_expr="lte", **kwargs)


class TreatyRecordsFilterSet(StrictFilterSet):
    """What actions and domestic steps share: treaty, participant, dates, confidence, group."""

    treaty = TreatyKeyFilter(field_name="treaty")
    participant = ParticipantKeyFilter(field_name="participant")
    date_after = filters.DateFilter(field_name="date", lookup_expr="gte", help_text="on or after YYYY-MM-DD")
    date_before = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="on or before YYYY-MM-DD")
    as_of = AsOfFilter()
    confidence = filters.MultipleChoiceFilter(choices=Confidence.choices)
    group = GroupFilter()
    region = GroupFilter(help_text="Deprecated: the same as group")


class ActionFilterSet(TreatyRecordsFilterSet):
    type = filters.MultipleChoiceFilter(field_name="kind", choices=KIND_CHOICES)
    withdrawn = StrictBooleanFilter(
        field_name="withdrawn_on", lookup_expr="isnull", exclude=True,
        help_text="true: only the withdrawn signatures and instruments; false: only the others",
    )  # fmt: skip

    class Meta:
        model = Action
        fields = ["id"]


class DomesticStepFilterSet(TreatyRecordsFilterSet):
    class Meta:
        model = DomesticStep
        fields = ["id"]


class ParticipantFilterSet(StrictFilterSet):
    q = filters.CharFilter(method="search", help_text="part of a name or alias, or an ISO code")
    group = GroupFilter(field_name="un_regional_group")
    region = GroupFilter(field_name="un_regional_group", help_text="Deprecated: the same as group")

    class Meta:
        model = Participant
        fields = ["kind", "un_member"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(aliases__name__icontains=value) | Q(iso_alpha3__iexact=value)
        ).distinct()


DEPOSITARY_URL = r"^https?://treaties\.un\.org([/:?#]|$)"
SOURCE_KIND_FILTERS = {
    "depositary": Q(url__iregex=DEPOSITARY_URL),
    "web": ~Q(url="") & ~Q(url__iregex=DEPOSITARY_URL),
    "article": Q(url=""),
}


class SourceFilterSet(StrictFilterSet):
    q = filters.CharFilter(method="search", help_text="part of the URL, title or publisher")
    kind = filters.ChoiceFilter(
        method="of_kind", choices=[(kind, kind) for kind in SOURCE_KIND_FILTERS],
        help_text="depositary: a page of the UN Treaty Collection; web: another page; article: a shipped article",
    )  # fmt: skip

    class Meta:
        model = Source
        fields = ["publisher", "seed_article"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(url__icontains=value) | Q(title__icontains=value) | Q(publisher__icontains=value))

    def of_kind(self, queryset, name, value):
        return queryset.filter(SOURCE_KIND_FILTERS[value])


class ReportedFigureFilterSet(StrictFilterSet):
    treaty = TreatyKeyFilter(field_name="treaty")
    reported_after = filters.DateFilter(field_name="reported_on", lookup_expr="gte")
    reported_before = filters.DateFilter(field_name="reported_on", lookup_expr="lte")
    as_of = AsOfFilter(field_name="reported_on", help_text="The figures reported on or before this day (YYYY-MM-DD)")

    class Meta:
        model = ReportedFigure
        fields = ["figure", "qualifier"]


class TreatyFilterSet(StrictFilterSet):
    class Meta:
        model = Treaty
        fields = ["slug", "depositary_reference"]


class StatementFilterSet(StrictFilterSet):
    participant = ParticipantKeyFilter(field_name="participant")
    section = filters.CharFilter(lookup_expr="icontains", help_text="part of the depositary's heading")

    class Meta:
        model = Statement
        fields = []


# --- the treaty's participants: the page's table, with the page's vocabulary -------------

# The query parameters of ``treaties/{slug}/participants/`` besides as_of and the page:
# those of the treaty's page (tracker.tables), ``ordering`` naming the page's sort keys.
TABLE_QUERY = ("group", "region", "status", "q", "ordering")


def table_parameters():
    from drf_spectacular.utils import OpenApiParameter

    groups = [value for value, _ in RegionalGroup.choices]
    return [
        OpenApiParameter("group", {"type": "string", "enum": groups}, description="UN regional group"),
        OpenApiParameter("region", {"type": "string", "enum": groups}, description="Deprecated: the same as group", deprecated=True),
        OpenApiParameter(
            "status", {"type": "string", "enum": list(tables.STANDINGS)},
            description="The standing on the day; not_signed lists the others",
        ),
        OpenApiParameter("q", str, description="part of a name or alias, or an ISO code"),
    ]  # fmt: skip


def table_query(params) -> "tables.TableQuery":
    """The page's TableQuery from the API's parameters; a value it does not know is a 400 naming it."""
    errors = {
        name: ["One value only: the table filters by one group, standing or search at a time."]
        for name in ("group", "region", "status", "q", "ordering")
        if len(params.getlist(name)) > 1
    }
    for name in ("group", "region"):
        value = params.get(name, "")
        if value and value not in RegionalGroup.values:
            errors[name] = [f"“{value}” is not a UN regional group: use {', '.join(RegionalGroup.values)}."]
    group = params.get("group", params.get("region", ""))
    status = params.get("status", "")
    if status and status not in tables.STANDINGS:
        errors["status"] = [f"“{status}” is not a standing: use {', '.join(tables.STANDINGS)}."]
    ordering = params.get("ordering", "")
    if ordering and (ordering.lstrip("-") not in tables.SORT_KEYS or "\x00" in ordering):
        errors["ordering"] = [unknown_ordering([ordering], tables.SORT_KEYS)]
    if errors:
        raise ValidationError(errors)
    return tables.TableQuery(
        group=group, status=status, q=params.get("q", "").strip(),
        sort=ordering.lstrip("-") or "name", descending=ordering.startswith("-"),
    )  # fmt: skip
