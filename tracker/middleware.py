"""Refuse, before any view, a request that no page can answer: one with a NUL byte.

A NUL byte (``%00``) in the path or in the query string could only reach a view to be
refused there by PostgreSQL ("A string literal cannot contain NUL characters"), which
Django reports as a server error. No address of the site contains one, so the request is
a bad request: 400, in JSON under /api/ (where every error is JSON), in plain text
elsewhere.
"""

import re

from django.http import HttpResponseBadRequest, JsonResponse

NUL = re.compile(r"\x00|%00")  # the path arrives decoded, the query string as sent
MESSAGE = "The address contains a NUL byte (%00), which no address of this site has."


class RefuseNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or NUL.search(request.META.get("QUERY_STRING", "")):
            return refusal(request)
        return self.get_response(request)


def refusal(request):
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": MESSAGE}, status=400)
    return HttpResponseBadRequest(f"{MESSAGE}\n", content_type="text/plain; charset=utf-8")
