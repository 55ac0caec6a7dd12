"""The API's viewsets: small and declarative; the numbers come from the same selectors as
the pages and the command line."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import parsers, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from signatories.models import Action, DomesticStep, Participant
from signatories.selectors import PARTICIPANT_FIELDS, participant_rows, participant_values
from tracker.api import filtersets
from tracker.api import serializers as api
from tracker.api.csv import CSVRenderer, streaming_csv
from tracker.api.renderers import JSONRenderer
from tracker.api.schema import TrackerSchema
from tracker.downloads import participant_record
from tracker.imports import ImportRejected, import_status
from tracker.models import ReportedFigure, Source, Treaty
from tracker.selectors import cached_status_dict
from tracker.services import delete_valid, save_valid
from tracker.snapshots import snapshot

AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATE, description="The day to report on (default: today)")


class AsOfQuery(serializers.Serializer):
    as_of = serializers.DateField(required=False)


def as_of_param(request, treaty: Treaty):
    """The ``as_of`` query parameter; a malformed date is a 400 naming the parameter."""
    query = AsOfQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("as_of") or treaty.local_date()


class CSVListMixin:
    """Every list also as CSV: ``?format=csv`` streams all the filtered rows, unpaginated."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    schema = TrackerSchema()  # every viewset's schema also documents its error responses

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format != "csv":
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        header = list(self.get_serializer().fields)
        rows = (self.get_serializer(item).data for item in queryset.iterator(chunk_size=500))
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


class CSVTextParser(parsers.BaseParser):
    """A status table sent as the request body with Content-Type: text/csv."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return {"text": stream.read().decode("utf-8-sig")}
        except UnicodeDecodeError:
            raise ValidationError({"file": ["The body is not UTF-8 text."]}) from None


class CanImport(permissions.BasePermission):
    """An import records and corrects actions: it needs both permissions."""

    def has_permission(self, request, view):
        return request.user.is_authenticated and request.user.has_perms(
            ["signatories.add_action", "signatories.change_action"]
        )


class TreatyViewSet(WriteThroughServices, CSVListMixin, viewsets.ModelViewSet):
    """Treaties and their rules; only superusers create one or change its rule."""

    queryset = Treaty.objects.all()
    serializer_class = api.TreatySerializer
    filterset_class = filtersets.TreatyFilterSet
    lookup_field = "slug"
    ordering_fields = ["slug", "short_title", "adopted_on", "signature_closes_on"]
    ordering = ["slug"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @extend_schema(parameters=[AS_OF], responses=api.StatusSerializer)
    @action(detail=True, filter_backends=[], pagination_class=None)
    def status(self, request, slug=None, format=None):  # format: the router's .json suffix
        """The status on a date: exactly the JSON of `manage.py treaty_status --json`."""
        treaty = self.get_object()
        # The command's own computation (selectors.treaty_status), cached under the data
        # version: no need for the per-participant snapshot the other views read.
        fresh = "no-cache" in request.headers.get("Cache-Control", "").lower()
        return Response(cached_status_dict(treaty, as_of_param(request, treaty), fresh=fresh))

    @extend_schema(parameters=[AS_OF], responses=api.ParticipantStatusSerializer(many=True))
    @action(detail=True, filter_backends=[])
    def participants(self, request, slug=None, format=None):  # format: the router's .json suffix
        """One row per participant that had signed or deposited on the date, with its standing."""
        treaty = self.get_object()
        snap = snapshot(treaty, as_of_param(request, treaty))
        rows = [participant_record(row) | {"slug": row.participant.slug} for row in snap.involved]
        if request.accepted_renderer.format == "csv":
            header = list(api.ParticipantStatusSerializer().fields)
            return streaming_csv(rows, header, f"{treaty.slug}-participants-{snap.as_of}.csv")
        page = self.paginate_queryset(rows)
        data = api.ParticipantStatusSerializer(page, many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        request={"text/csv": OpenApiTypes.STR, "multipart/form-data": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}, "dry_run": {"type": "boolean"},
            "reason": {"type": "string"}}}},
        responses={200: api.ImportResultSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="import",
        permission_classes=[CanImport],
        parser_classes=[CSVTextParser, parsers.MultiPartParser],
        filter_backends=[],
    )
    def import_table(self, request, slug=None, format=None):  # format: the router's .json suffix
        """Import a status table (CSV body or file upload), all or nothing, like the command line."""
        treaty = get_object_or_404(Treaty, slug=slug)
        text, name = self.uploaded_table(request)
        dry_run = str(request.query_params.get("dry_run", request.data.get("dry_run", ""))).lower() in ("1", "true")
        reason = request.query_params.get("reason") or request.data.get("reason", "")
        try:
            summary = import_status(treaty, name, text, user=request.user, dry_run=dry_run, reason=reason)
        except ImportRejected as rejected:
            return Response({"rows": rejected.problems}, status=status.HTTP_400_BAD_REQUEST)
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
        try:
            return upload.read().decode("utf-8-sig"), upload.name
        except UnicodeDecodeError:
            raise ValidationError({"file": ["The file is not UTF-8 text."]}) from None


class ParticipantViewSet(CSVListMixin, viewsets.ReadOnlyModelViewSet):
    """Everyone who can take part: names, aliases, ISO codes, UN regional groups, memberships."""

    queryset = Participant.objects.prefetch_related("aliases", "memberships__organization")
    serializer_class = api.ParticipantSerializer
    filterset_class = filtersets.ParticipantFilterSet
    lookup_field = "key"
    lookup_value_regex = "[^/]+"
    ordering_fields = ["name", "iso_alpha3", "un_regional_group"]
    ordering = ["name"]

    def list(self, request, *args, **kwargs):
        # Built from plain values (participant_rows), not a serializer per row: the same
        # rows in a tenth of the time.
        values = participant_values(self.filter_queryset(Participant.objects.all()))
        if request.accepted_renderer.format == "csv":
            return streaming_csv(participant_rows(values), list(PARTICIPANT_FIELDS), "participants.csv")
        return self.get_paginated_response(participant_rows(self.paginate_queryset(values)))

    def get_object(self):
        key = self.kwargs["key"]
        found = self.get_queryset().filter(iso_alpha3=key.upper()).first() if len(key) == 3 else None
        return found or get_object_or_404(self.get_queryset(), slug=key.lower())


class ActionViewSet(WriteThroughServices, CSVListMixin, viewsets.ModelViewSet):
    """Signatures and deposits, filterable by treaty, participant, type, dates, confidence, region."""

    queryset = Action.objects.select_related("treaty", "participant").prefetch_related("sources")
    serializer_class = api.ActionSerializer
    filterset_class = filtersets.ActionFilterSet
    ordering_fields = ["date", "created_at", "updated_at", "kind", "participant__name", "id"]
    ordering = ["date", "id"]


class DomesticStepViewSet(WriteThroughServices, CSVListMixin, viewsets.ModelViewSet):
    """Steps inside countries (votes, laws signed, press reports); never counted."""

    queryset = DomesticStep.objects.select_related("treaty", "participant").prefetch_related("sources")
    serializer_class = api.DomesticStepSerializer
    filterset_class = filtersets.DomesticStepFilterSet
    ordering_fields = ["date", "created_at", "participant__name", "id"]
    ordering = ["date", "id"]


class SourceViewSet(WriteThroughServices, CSVListMixin, viewsets.ModelViewSet):
    """Where facts come from."""

    queryset = Source.objects.all()
    serializer_class = api.SourceSerializer
    filterset_class = filtersets.SourceFilterSet
    ordering_fields = ["id", "publisher", "published_on", "url"]
    ordering = ["id"]


class ReportedFigureViewSet(WriteThroughServices, CSVListMixin, viewsets.ModelViewSet):
    """Totals that sources reported, beside which the pages show the computed figures."""

    queryset = ReportedFigure.objects.select_related("treaty", "source")
    serializer_class = api.ReportedFigureSerializer
    filterset_class = filtersets.ReportedFigureFilterSet
    ordering_fields = ["reported_on", "figure", "value", "id"]
    ordering = ["reported_on", "id"]
