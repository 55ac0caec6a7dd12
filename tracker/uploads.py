"""The cap on uploads: no body larger than ``settings.UPLOAD_MAX_BYTES`` (5 MB) is read.

A status table is a few hundred kilobytes; a 50 MB file is a mistake or an attack, and
reading it grew a worker by 100 MB for good. So:

- the API's import checks the request's Content-Length before it reads anything
  (``refuse_declared``) and reads a CSV body at most one byte past the limit
  (``CSVBodyParser``, for a body whose length is not declared), answering 413 with a
  JSON error (``UploadTooLarge``);
- every multipart body (the admin's upload, the API's file field) goes through
  ``RefuseOversizedUploads``, the first of ``FILE_UPLOAD_HANDLERS``: a file past the limit
  is not kept, in memory or on disk; the form sees an ``OversizedUpload``, an empty file
  that says how large it was, and answers with a field error. (Its bytes are read and
  dropped, so that the form's other fields and its CSRF token still arrive.)
"""

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ValidationError


def limit() -> int:
    return settings.UPLOAD_MAX_BYTES


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0") + " MB"


def too_large_message(size: int | None = None) -> str:
    """One sentence: how large the upload was (when known), and the limit."""
    sent = f" of {size:,} bytes ({megabytes(size)})" if size is not None else ""
    return (
        f"The upload{sent} is larger than the limit of {limit():,} bytes ({megabytes(limit())}, "
        "UPLOAD_MAX_BYTES). A status table is far smaller: check that this is the right file."
    )


class UploadTooLarge(APIException):
    """413 Payload Too Large, as JSON: ``{"detail": "The upload of … bytes is larger than …"}``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"
    default_detail = "The upload is larger than the limit (UPLOAD_MAX_BYTES)."


def declared_length(request) -> int | None:
    """The request's Content-Length, None when it declares none (or a malformed one)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def refuse_declared(request) -> None:
    """Raise UploadTooLarge, before anything of the body is read, if its declared length
    is past the limit."""
    length = declared_length(request)
    if length is not None and length > limit():
        raise UploadTooLarge(too_large_message(length))


def refuse_file(upload) -> None:
    """Raise UploadTooLarge for an uploaded file past the limit (an ``OversizedUpload``)."""
    if upload.size > limit():
        raise UploadTooLarge(too_large_message(upload.size))


def read_capped(stream) -> bytes:
    """The body, read at most one byte past the limit: a body that declares no length
    (chunked) cannot make the worker read more than that."""
    data = stream.read(limit() + 1) if stream is not None else b""
    if len(data) > limit():
        raise UploadTooLarge(too_large_message())
    return data


class CSVBodyParser(parsers.BaseParser):
    """A status table sent as the request body with Content-Type: text/csv, capped."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return {"text": read_capped(stream).decode("utf-8-sig")}
        except UnicodeDecodeError:
            raise ValidationError({"file": ["The body is not UTF-8 text."]}) from None


class OversizedUpload(UploadedFile):
    """What is left of a file past the limit: nothing, and its ``size``, the bytes sent."""

    def __init__(self, name, size, content_type=None, charset=None):
        super().__init__(io.BytesIO(), name, content_type, size, charset)


class RefuseOversizedUploads(FileUploadHandler):
    """The first upload handler: passes a file's chunks on to Django's handlers (memory,
    then a temporary file) while the body is within the limit, and drops them once it is
    not (declared so by the Content-Length, or counted as they come): the file is then an
    ``OversizedUpload``."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.declared_too_large = content_length is not None and content_length > limit()
        return None  # parse as usual: the form's other fields are small

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.oversized = getattr(self, "declared_too_large", False)

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > limit():
            self.oversized = True
        return None if self.oversized else raw_data

    def file_complete(self, file_size):
        if self.oversized:
            return OversizedUpload(self.file_name, file_size, self.content_type, self.charset)
        return None
