"""The request bodies the API reads: JSON for every write, and a multipart upload for the
import; neither may carry a NUL character. (A form encoding would make "" of a date mean
null, which the schema cannot say: writes take JSON, a 415 otherwise.)

PostgreSQL cannot store a NUL in text, and a NUL in a key that a field looks up (a
participant, a treaty's slug) would reach it in a query and fail there as a server error.
No value of the tracker holds one, so a body with a NUL anywhere in its text is refused
at parsing: a 400 naming each field that holds one.
"""

from rest_framework import parsers
from rest_framework.exceptions import ValidationError

NUL_MESSAGE = "A value may not contain a NUL character."


def fields_with_nul(data, prefix: str = "") -> list[str]:
    """The fields of parsed ``data`` (nested as ``a.b`` and ``a.0``) whose key or text holds a NUL."""
    if isinstance(data, str):
        return [prefix or "non_field_errors"] if "\x00" in data else []
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list | tuple):
        items = ((str(index), item) for index, item in enumerate(data))
    else:
        return []
    found = []
    for key, value in items:
        name = f"{prefix}.{key}" if prefix else str(key)
        found += [name.replace("\x00", "")] if "\x00" in str(key) else fields_with_nul(value, name)
    return found


def refuse_nul(data):
    found = fields_with_nul(data)
    if found:
        raise ValidationError({name: [NUL_MESSAGE] for name in found})
    return data


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return refuse_nul(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        refuse_nul({key: " ".join(result.data.getlist(key)) for key in result.data})
        return result
