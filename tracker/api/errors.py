"""Errors as JSON: a model's own validation (clean()) becomes a 400 with its fields."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tracker.services import citing_names


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError from a model's clean() as a 400, and a
    deletion that other records still need as a 409."""
    if isinstance(exc, ProtectedError):
        return Response(
            {"detail": "Other records still refer to this one: " + citing_names(exc.protected_objects)},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "message_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(
            {("non_field_errors" if key == "__all__" else key): value for key, value in detail.items()}
        )
    return drf_exception_handler(exc, context)
