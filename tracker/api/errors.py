"""Errors as JSON, in one shape for every status:

    {"detail": "What went wrong, in one sentence.", "errors": {"as_of": ["…"], "date": ["…"]}}

``errors`` names each offending query parameter or body field with its messages (a 400);
it is empty when no one parameter is to blame (401, 403, 404, 409, 429). A model's own
validation (clean()) becomes a 400 with its fields; a deletion that other records still
need, a 409.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tracker.services import citing_names


def exception_handler(exc, context):
    """DRF's handler, in the one error shape, plus Django's ValidationError from a model's
    clean() as a 400, and a deletion that other records still need as a 409."""
    if isinstance(exc, ProtectedError):
        return Response(
            {"detail": "Other records still refer to this one: " + citing_names(exc.protected_objects), "errors": {}},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "message_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(
            {("non_field_errors" if key == "__all__" else key): value for key, value in detail.items()}
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = error_body(response.data, exc)
    return response


def error_body(data, exc) -> dict:
    """DRF's error data in the one shape."""
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        names = [name for name in errors if name != "non_field_errors"]
        if names:
            detail = f"Invalid {'parameter or field' if len(names) == 1 else 'parameters or fields'}: {', '.join(names)}."
        else:
            detail = "; ".join(str(message) for message in errors.get("non_field_errors", [])) or "Invalid request."
        return {"detail": detail, "errors": errors}
    if isinstance(data, dict) and "detail" in data:
        return {"detail": str(data["detail"]), "errors": {}}
    return {"detail": str(data), "errors": {}}


def not_found(request, exception):
    """Django's 404 handler (config.urls.handler404): under /api/, where every answer is
    JSON, an address that no route matches (``actions/1.5/``) is a 404 in the one error
    shape; elsewhere, Django's own page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not found: no resource of the API has this address.", "errors": {}}, status=404)
    return defaults.page_not_found(request, exception)
