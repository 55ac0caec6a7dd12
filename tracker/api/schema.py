"""The OpenAPI schema: drf-spectacular's, plus what it leaves out.

- Security as the permissions are: a read (GET, HEAD) of a view whose permission lets
  anyone read (``anonymous_reads``) needs no token, so the docs show no lock on it; every
  write needs `Authorization: Token <key>`.
- The errors each operation can answer, not only its success, in the one error shape of
  tracker.api.errors, so that clients (and schemathesis) know a 400, 401, 404 or 429 is
  part of the contract.
- Participants and sources as the records give them: the nested objects in responses, the
  key or id that a write sends.
- An empty string where a field may be blank: a blank URL or C.N. reference is valid, but
  matches neither ``format: uri`` nor the reference's pattern.

- A text query parameter has no NUL character (``no_nul_in_query``): the site refuses
  one with a 400 before any view (tracker.middleware).

One tag per resource comes from SPECTACULAR_SETTINGS["SCHEMA_PATH_PREFIX"] (the path's
first part after /api/v1/).
"""

from django.db import DatabaseError, transaction
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

# Every error: {"detail": "…", "errors": {"name": ["…"]}} (see tracker.api.errors).
ERROR = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in one sentence"},
        "errors": {
            "type": "object",
            "description": "Each offending query parameter or field, with its messages (empty when none is to blame)",
            "additionalProperties": {"oneOf": [{"type": "array"}, {"type": "object"}, {"type": "string"}]},
        },
    },
    "required": ["detail"],
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")
SAFE = ("GET", "HEAD", "OPTIONS")


class TrackerSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with true security, error responses and blank-able formats."""

    def get_auth(self):
        if self.method in SAFE and all(
            getattr(permission, "anonymous_reads", False) for permission in self.view.get_permissions()
        ):
            return []
        return super().get_auth()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in self.error_responses():
            if code not in responses:
                responses[code] = self._get_response_for_code(OpenApiResponse(ERROR, description), code)
        return responses

    def error_responses(self):
        yield "400", "An unknown or malformed parameter or field: `errors` names each"
        yield "401", "An invalid token (writes need `Authorization: Token <key>`)"
        if self.method in WRITES:
            yield "403", "The token's user lacks the permission"
        yield "404", "Unknown record, page or format"
        if self.method == "DELETE":
            yield "409", "Other records still refer to this one"
        if self.method == "POST":
            yield "413", "The upload is too large"
        yield "429", "Too many requests: retry after the Retry-After header's seconds"

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if getattr(field, "allow_blank", False):
            constraints = {key: schema.pop(key) for key in ("format", "pattern") if key in schema}
            if constraints:
                schema["anyOf"] = [constraints, {"maxLength": 0}]


class ParticipantFieldSchema(OpenApiSerializerFieldExtension):
    """A participant: the nested object in a response, its key in a request."""

    target_class = "tracker.api.serializers.ParticipantField"

    def map_serializer_field(self, auto_schema, direction):
        from tracker.api.serializers import ParticipantRef

        if direction == "request":
            return {"$ref": "#/components/schemas/ParticipantKey"}  # added by known_keys
        return auto_schema.resolve_serializer(ParticipantRef, direction).ref


class TreatyFieldSchema(OpenApiSerializerFieldExtension):
    """A treaty: its slug, one of those that exist."""

    target_class = "tracker.api.serializers.TreatyField"

    def map_serializer_field(self, auto_schema, direction):
        return {"$ref": "#/components/schemas/TreatyKey"}  # added by known_keys


class SourcesFieldSchema(OpenApiSerializerFieldExtension):
    """A source: the nested object in a response, its id in a request."""

    target_class = "tracker.api.serializers.SourcesField"

    def map_serializer_field(self, auto_schema, direction):
        from tracker.api.serializers import SourceRef

        if direction == "request":
            return {"type": "integer", "description": "The source's id"}
        return auto_schema.resolve_serializer(SourceRef, direction).ref


# What RefuseNulBytesMiddleware lets through: any text without a NUL character.
NO_NUL = "^[^\\x00]*$"


def no_nul_in_query(result, generator, request, public):
    """A postprocessing hook: every text query parameter says it has no NUL character."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "string" and "enum" not in schema:
                    schema.setdefault("pattern", NO_NUL)
                items = schema.get("items", {})
                if parameter.get("in") == "query" and items.get("type") == "string" and "enum" not in items:
                    items.setdefault("pattern", NO_NUL)
    return result


# The query parameters that name a record by its key, and the component listing the keys.
KEY_PARAMETERS = {"participant": "ParticipantKey", "treaty": "TreatyKey"}


def known_keys(result, generator, request, public):
    """A postprocessing hook: the ``participant`` and ``treaty`` filters list the keys that
    exist (an unknown one is a 400), as the components ParticipantKey (each participant's
    ISO alpha-3 code, or its slug without one) and TreatyKey (each treaty's slug)."""
    from signatories.models import Participant
    from tracker.models import Treaty

    try:
        with transaction.atomic():  # a savepoint: a failed query leaves a request's transaction usable
            participants = sorted({code or slug for code, slug in Participant.objects.values_list("iso_alpha3", "slug")})
            treaties = sorted(Treaty.objects.values_list("slug", flat=True))
    except DatabaseError:  # not migrated yet (manage.py check on a new database): no lists
        participants = treaties = []
    keys = {
        "ParticipantKey": (participants, "A participant's ISO alpha-3 code, or its slug without one. "
                           "Its slug, name or an alias, in any case, names it too."),
        "TreatyKey": (treaties, "A treaty's slug."),
    }  # fmt: skip
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, (values, description) in keys.items():
        # An enum may not be empty: on an empty database, any string.
        schemas[name] = {"type": "string", "description": description} | ({"enum": values} if values else {})
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                component = KEY_PARAMETERS.get(parameter["name"])
                if parameter.get("in") == "query" and component:
                    parameter["schema"] = {"$ref": f"#/components/schemas/{component}"}
    return result
