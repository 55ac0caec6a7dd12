"""The OpenAPI schema: drf-spectacular's, plus what it leaves out.

- The errors each operation can answer, not only its success, so that clients (and
  schemathesis) know a 400, 401, 404 or 429 is part of the contract.
- An empty string where a field may be blank: a blank URL or C.N. reference is valid, but
  matches neither ``format: uri`` nor the reference's pattern.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# {"field or parameter": ["reason", ...]}; a body that cannot be parsed gives {"detail": "..."}.
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "array"}, {"type": "object"}]},
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


class TrackerSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with error responses and blank-able formats."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description, schema in self.error_responses():
            if code not in responses:
                responses[code] = self._get_response_for_code(OpenApiResponse(schema, description), code)
        return responses

    def error_responses(self):
        if self.method != "DELETE":
            yield "400", "A malformed parameter or field, with the reason for each", FIELD_ERRORS
        yield "401", "No token, or an invalid one (writes need `Authorization: Token <key>`)", DETAIL
        if self.method in WRITES:
            yield "403", "The token's user lacks the permission", DETAIL
        yield "404", "Unknown record, page or format", DETAIL
        if self.method == "DELETE":
            yield "409", "Other records still refer to this one", DETAIL
        yield "429", "Too many requests: retry after the Retry-After header's seconds", DETAIL

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if getattr(field, "allow_blank", False):
            constraints = {key: schema.pop(key) for key in ("format", "pattern") if key in schema}
            if constraints:
                schema["anyOf"] = [constraints, {"maxLength": 0}]
