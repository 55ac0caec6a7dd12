"""The API's viewsets: small and declarative; the numbers come from the same selectors as
the pages and the command line."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from signatories.models import Action, DomesticStep, Participant, Statement
from signatories.selectors import PARTICIPANT_FIELDS, participant_rows, participant_values
from tracker import tables, uploads
from tracker.api import filtersets
from tracker.api import parsers as api_parsers
from tracker.api import serializers as api
from tracker.api.csv import CSVRenderer, streaming_csv
from tracker.api.renderers import JSONRenderer
from tracker.api.standings import treaty_participants
from tracker.imports import ImportRejected, import_status
from tracker.models import EndNote, ReportedFigure, Source, Treaty
from tracker.selectors import cached_status_dict
from tracker.services import delete_valid, save_valid

AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATE, description="The day to report on (default: today)")
# Every operation reads these, besides its filters and ordering.
COMMON_PARAMS = frozenset({"format"})
LIST_PARAMS = frozenset({"page", "page_size"})
# The treaty's participants are ordered by the page's sort keys.
ORDERING_TABLE = OpenApiParameter(
    "ordering", {"type": "string", "enum": [*tables.SORT_KEYS, *(f"-{key}" for key in tables.SORT_KEYS)]},
    description="The page's sort keys; - before one reverses it. Default: name.",
)


class AsOfQuery(serializers.Serializer):
    as_of = serializers.DateField(required=False)


def as_of_param(request, treaty: Treaty):
    """The ``as_of`` query parameter; a malformed date is a 400 naming the parameter."""
    query = AsOfQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("as_of") or treaty.local_date()


def unknown_parameters(request, allowed, free_text=()) -> None:
    """A 400 naming every query parameter the operation does not read, every value with a
    NUL character, and every empty value of a parameter that is not free text (a date, a
    choice, a number, a boolean: leave it out for no filter)."""
    errors = {}
    for name, values in request.query_params.lists():
        if name not in allowed:
            errors[name] = [f"Unknown parameter: this operation reads {', '.join(sorted(allowed))}."]
        elif any("\x00" in value for value in values):
            errors[name] = ["A value may not contain a NUL character."]
        elif name not in free_text and any(value == "" for value in values):
            errors[name] = ["An empty value: leave the parameter out for no filter."]
    if errors:
        raise ValidationError(errors)


class StrictQuery:
    """A 400 for a query parameter the operation does not read (its filters, ordering,
    pagination, ``format`` and, for the extra actions, those ``reads`` declares), after
    authentication and permissions: a write without a token stays a 401."""

    list_actions: tuple = ()  # the extra actions that are lists: filtered, ordered, paginated

    def initial(self, request, *args, **kwargs):
        # A method the resource does not have is a 405 for anyone, before the 401 or 403 of
        # the permissions: PUT on a list is not a matter of credentials.
        if self.action is None and request.method.lower() not in ("options",):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)
        unknown_parameters(request, self.allowed_params(), self.free_text_params())

    def free_text_params(self) -> set[str]:
        """The parameters that a free text fills, for which an empty value means no filter."""
        import django_filters

        filterset = getattr(self, "filterset_class", None) if self.action == "list" else None
        found = {"q"}
        for name, item in (filterset.base_filters.items() if filterset else ()):
            keys = (filtersets.ParticipantKeyFilter, filtersets.TreatyKeyFilter)
            if isinstance(item, django_filters.CharFilter) and not isinstance(item, keys):
                found.add(name)
        return found

    def allowed_params(self) -> set[str]:
        allowed = set(COMMON_PARAMS) | set(getattr(getattr(self, self.action or "", None), "query_params", ()))
        if self.action in ("list", *self.list_actions):
            allowed |= LIST_PARAMS | {"ordering"}
            filterset = getattr(self, "filterset_class", None)
            if filterset is not None:
                allowed |= set(filterset.base_filters)
        return allowed


def reads(*names):
    """Declares the query parameters an extra action reads."""

    def mark(method):
        method.query_params = frozenset(names)
        return method

    return mark


def flat(row: dict) -> dict:
    """A row for CSV: a nested object becomes ``name.field`` columns, a list of objects one
    ``name.field`` column per field with the items' values apart with " | "."""
    out = {}
    for name, value in row.items():
        if isinstance(value, dict):
            out |= {f"{name}.{key}": item for key, item in value.items()}
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value) and name in NESTED_LISTS:
            for key in value[0]:
                out[f"{name}.{key}"] = " | ".join("" if item.get(key) is None else str(item.get(key)) for item in value)
        else:
            out[name] = value
    return out


# The nested objects and lists of objects the CSV flattens, and their fields.
NESTED = {"participant": ("key", "iso3", "slug", "name", "kind"), "source": ("id", "title", "url", "kind")}
NESTED_LISTS = {"sources": ("id", "title", "url", "kind")}


def csv_header(fields) -> list[str]:
    header = []
    for name in fields:
        nested = NESTED.get(name) or NESTED_LISTS.get(name)
        header += [f"{name}.{key}" for key in nested] if nested else [name]
    return header


class CSVListMixin:
    """Every list also as CSV: ``?format=csv`` streams all the filtered rows, unpaginated;
    nested objects become ``name.field`` columns (``flat``)."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format != "csv":
            return super().list(request, *args, **kwargs)
        self.paginator.check_query(request)
        queryset = self.filter_queryset(self.get_queryset())
        header = csv_header(self.get_serializer().fields)
        rows = (flat(self.get_serializer(item).data) for item in queryset.iterator(chunk_size=500))
        return streaming_csv(rows, header, f"{self.basename}.csv")


class WriteThroughServices:
    """Creates, updates and deletes through the services (tracker.services.save_valid and
    delete_valid), never with the serializer's own save: validated by the model's
    full_clean() (a 400 naming the fields, see errors.py), kept in the audit history with
    the token's user, and followed by a new data version (and, for an action or a treaty,
    the alert check after the commit)."""

    write_reason = "API"

    def perform_create(self, serializer):
        instance, relations = serializer.build()
        serializer.instance = save_valid(instance, self.write_reason, user=self.request.user, relations=relations)

    def perform_update(self, serializer):
        self.perform_create(serializer)

    def perform_destroy(self, instance):
        # A source that any record still cites is kept (a 409, see errors.py): a plain
        # delete would unlink it from actions and domestic steps.
        delete_valid(instance, self.write_reason, user=self.request.user)


class CanImport(permissions.BasePermission):
    """An import records and corrects actions: it needs both permissions."""

    def has_permission(self, request, view):
        return request.user.is_authenticated and request.user.has_perms(
            ["signatories.add_action", "signatories.change_action"]
        )


class TreatyViewSet(StrictQuery, WriteThroughServices, CSVListMixin, viewsets.ModelViewSet):
    """Treaties and their rules; only superusers create one or change its rule."""

    queryset = Treaty.objects.all()
    serializer_class = api.TreatySerializer
    filterset_class = filtersets.TreatyFilterSet
    lookup_field = "slug"
    ordering_fields = ["slug", "short_title", "adopted_on", "signature_closes_on"]
    ordering = ["slug"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @extend_schema(parameters=[AS_OF], responses=api.StatusSerializer)
    @reads("as_of")
    @action(detail=True, filter_backends=[], pagination_class=None)
    def status(self, request, slug=None, format=None):  # format: the router's .json suffix
        """The status on a date: exactly the JSON of `manage.py treaty_status --json`."""
        treaty = self.get_object()
        # The command's own computation (selectors.treaty_status), cached under the data
        # version: no need for the per-participant snapshot the other views read.
        fresh = "no-cache" in request.headers.get("Cache-Control", "").lower()
        return Response(cached_status_dict(treaty, as_of_param(request, treaty), fresh=fresh))

    @extend_schema(
        parameters=[AS_OF, *filtersets.table_parameters(), ORDERING_TABLE],
        responses=api.ParticipantStatusSerializer(many=True),
    )
    @reads("as_of", *filtersets.TABLE_QUERY, "page", "page_size")
    @action(detail=True, filter_backends=[])
    def participants(self, request, slug=None, format=None):  # format: the router's .json suffix
        """One row per participant that had signed or deposited on the date, with its standing,
        filtered and ordered as the treaty's page: `group`, `status`, `q`, `ordering`."""
        treaty = self.get_object()
        query = filtersets.table_query(request.query_params)
        as_of = as_of_param(request, treaty)
        params = request.query_params
        # group and its former name region together: both must hold, as on the other lists.
        conflict = "group" in params and "region" in params and params["group"] != params["region"]
        # Plain rows in a fixed number of queries (tracker.api.standings), already in the
        # serializer's shape: no snapshot of model instances, no serializer per row.
        rows = [] if conflict else treaty_participants(treaty, as_of, query)
        if request.accepted_renderer.format == "csv":
            self.paginator.check_query(request)
            header = csv_header(api.ParticipantStatusSerializer().fields)
            return streaming_csv(map(flat, rows), header, f"{treaty.slug}-participants-{as_of}.csv")
        return self.get_paginated_response(self.paginate_queryset(rows))

    @extend_schema(
        request={"text/csv": OpenApiTypes.STR, "multipart/form-data": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}, "dry_run": {"type": "boolean"},
            "reason": {"type": "string"}}}},
        responses={200: api.ImportResultSerializer},
    )
    @reads("dry_run", "reason")
    @action(
        detail=True,
        methods=["post"],
        url_path="import",
        permission_classes=[CanImport],
        parser_classes=[uploads.CSVBodyParser, api_parsers.MultiPartParser],  # capped at UPLOAD_MAX_BYTES
        filter_backends=[],
    )
    def import_table(self, request, slug=None, format=None):  # format: the router's .json suffix
        """Import a status table (CSV body or file upload), all or nothing, like the command line.

        A body past UPLOAD_MAX_BYTES is a 413, refused before it is read; a rejected file
        lists its first 100 problems in ``rows`` (then "… and N more rows"), ``count`` in all.
        """
        uploads.refuse_declared(request)  # before request.data reads the body
        treaty = get_object_or_404(Treaty, slug=slug)
        text, name = self.uploaded_table(request)
        dry_run = str(request.query_params.get("dry_run", request.data.get("dry_run", ""))).lower() in ("1", "true")
        reason = request.query_params.get("reason") or request.data.get("reason", "")
        try:
            summary = import_status(treaty, name, text, user=request.user, dry_run=dry_run, reason=reason)
        except ImportRejected as rejected:
            detail = f"{rejected.count} rows of the table are refused; nothing was imported."
            body = {"detail": detail, "errors": {"rows": rejected.shown}, "rows": rejected.shown, "count": rejected.count}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged, "dry_run": dry_run}
        )

    @staticmethod
    def uploaded_table(request) -> tuple[str, str]:
        if "text" in request.data:
            return request.data["text"], "API upload"
        upload = request.data.get("file")
        if upload is None:
            raise ValidationError({"file": ["Send the CSV as the body (text/csv) or as a file field."]})
        uploads.refuse_file(upload)  # a file past the limit was never kept (an OversizedUpload)
        try:
            return upload.read().decode("utf-8-sig"), upload.name
        except UnicodeDecodeError:
            raise ValidationError({"file": ["The file is not UTF-8 text."]}) from None


class TreatyRecordsViewSet(StrictQuery, CSVListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A read-only list of what the depositary publishes under one treaty (``treaties/{slug}/…``)."""

    def get_queryset(self):
        treaty = get_object_or_404(Treaty, slug=self.kwargs["slug"])
        return self.queryset.filter(treaty=treaty)

    def list(self, request, *args, **kwargs):
        self.basename = f"{kwargs['slug']}-{self.basename}"
        return super().list(request, *args, **kwargs)


@extend_schema(parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The treaty's slug")])
class StatementViewSet(TreatyRecordsViewSet):
    """The declarations, reservations and objections the depositary publishes, one per section."""

    basename = "statements"
    queryset = Statement.objects.select_related("participant", "source", "treaty")
    serializer_class = api.StatementSerializer
    filterset_class = filtersets.StatementFilterSet
    ordering_fields = ["participant__name", "section", "id"]
    ordering = ["participant__name", "section", "id"]


@extend_schema(parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The treaty's slug")])
class EndNoteViewSet(TreatyRecordsViewSet):
    """The depositary's end notes to the treaty's table, in its order."""

    basename = "end-notes"
    queryset = EndNote.objects.select_related("source", "treaty")
    serializer_class = api.EndNoteSerializer
    ordering_fields = ["id", "number"]
    ordering = ["id"]


class ParticipantViewSet(StrictQuery, CSVListMixin, viewsets.ReadOnlyModelViewSet):
    """Everyone who can take part: names, aliases, ISO codes, UN regional groups, memberships."""

    queryset = Participant.objects.prefetch_related("aliases", "memberships__organization")
    serializer_class = api.ParticipantSerializer
    filterset_class = filtersets.ParticipantFilterSet
    lookup_field = "key"
    lookup_value_regex = "[^/]+"
    ordering_fields = {"name": "name", "iso3": "iso_alpha3", "group": "un_regional_group"}
    ordering = ["name"]

    def list(self, request, *args, **kwargs):
        # Built from plain values (participant_rows), not a serializer per row: the same
        # rows in a tenth of the time.
        values = participant_values(self.filter_queryset(Participant.objects.all()))
        if request.accepted_renderer.format == "csv":
            self.paginator.check_query(request)
            return streaming_csv(participant_rows(values), list(PARTICIPANT_FIELDS), "participants.csv")
        return self.get_paginated_response(participant_rows(self.paginate_queryset(values)))

    def get_object(self):
        key = self.kwargs["key"]
        found = self.get_queryset().filter(iso_alpha3=key.upper()).first() if len(key) == 3 else None
        return found or get_object_or_404(self.get_queryset(), slug=key.lower())


class ActionViewSet(StrictQuery, WriteThroughServices, CSVListMixin, viewsets.ModelViewSet):
    """Signatures and deposits, filterable by treaty, participant, type, dates, confidence, region."""

    queryset = Action.objects.select_related("treaty", "participant").prefetch_related("sources")
    serializer_class = api.ActionSerializer
    filterset_class = filtersets.ActionFilterSet
    ordering_fields = ["date", "created_at", "updated_at", "kind", "participant__name", "id"]
    ordering = ["date", "id"]


class DomesticStepViewSet(StrictQuery, WriteThroughServices, CSVListMixin, viewsets.ModelViewSet):
    """Steps inside countries (votes, laws signed, press reports); never counted."""

    queryset = DomesticStep.objects.select_related("treaty", "participant").prefetch_related("sources")
    serializer_class = api.DomesticStepSerializer
    filterset_class = filtersets.DomesticStepFilterSet
    ordering_fields = ["date", "created_at", "participant__name", "id"]
    ordering = ["date", "id"]


class SourceViewSet(StrictQuery, WriteThroughServices, CSVListMixin, viewsets.ModelViewSet):
    """Where facts come from."""

    queryset = Source.objects.all()
    serializer_class = api.SourceSerializer
    filterset_class = filtersets.SourceFilterSet
    ordering_fields = ["id", "publisher", "published_on", "url", "title"]
    ordering = ["id"]


class ReportedFigureViewSet(StrictQuery, WriteThroughServices, CSVListMixin, viewsets.ModelViewSet):
    """Totals that sources reported, beside which the pages show the computed figures."""

    queryset = ReportedFigure.objects.select_related("treaty", "source")
    serializer_class = api.ReportedFigureSerializer
    filterset_class = filtersets.ReportedFigureFilterSet
    ordering_fields = ["reported_on", "figure", "value", "id"]
    ordering = ["reported_on", "id"]

