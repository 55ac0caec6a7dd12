"""Middleware of the tracker: a NUL byte refused, and the security headers of every response.

Refuse, before any view, a request that no page can answer: one with a NUL byte.

A NUL byte (``%00``) in the path or in the query string could only reach a view to be
refused there by PostgreSQL ("A string literal cannot contain NUL characters"), which
Django reports as a server error. No address of the site contains one, so the request is
a bad request: 400, in JSON under /api/ (where every error is JSON), in plain text
elsewhere.

The rest adds the headers a browser enforces: CORS for the API's reads only
(``ReadOnlyCorsMiddleware``), the Content-Security-Policy (``ContentSecurityPolicyMiddleware``)
and the Permissions-Policy (``PermissionsPolicyMiddleware``). Django's SecurityMiddleware
gives the others (X-Content-Type-Options, Referrer-Policy, Cross-Origin-Opener-Policy, HSTS).
"""

import base64
import hashlib
import re
from urllib.parse import parse_qsl

from corsheaders.middleware import CorsMiddleware
from csp.middleware import CSPMiddleware
from django.conf import settings
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
        # In the API's one error shape, naming each query parameter that holds a NUL.
        query = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
        named = {name.replace("\x00", "") for name, value in query if "\x00" in name + value}
        errors = {name: ["A value may not contain a NUL character."] for name in sorted(named)}
        return JsonResponse({"detail": MESSAGE, "errors": errors}, status=400)
    return HttpResponseBadRequest(f"{MESSAGE}\n", content_type="text/plain; charset=utf-8")


# --- Headers of every response -------------------------------------------------------
# Wired in config/settings.py (MIDDLEWARE, "# --- CORS", "# --- Content-Security-Policy").

SAFE_METHODS = ("GET", "HEAD")


class ReadOnlyCorsMiddleware(CorsMiddleware):
    """django-cors-headers for the API's reads only (CORS_URLS_REGEX, any origin, no
    credentials): a GET or HEAD, or the preflight of one, gets
    ``Access-Control-Allow-Origin: *``; a write, or the preflight of a write, gets no CORS
    header at all, so a page of another origin can neither send one with a token nor read
    the answer. The preflight of a write goes on to the view like any OPTIONS request."""

    def is_enabled(self, request) -> bool:
        method = request.method
        if method == "OPTIONS" and "access-control-request-method" in request.headers:
            method = request.headers["access-control-request-method"].upper()
        return method in SAFE_METHODS and super().is_enabled(request)


def style_hash(css: str) -> str:
    """The CSP source that allows an inline <style> holding exactly ``css``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's header (CONTENT_SECURITY_POLICY in settings), with the hashes of the
    inline styles the pages render themselves: the <style> of the world map and of the
    timeline chart (SVGs drawn on the server, tracker.worldmap.STYLE and
    tracker.charts.STYLE). A hash rather than a nonce because pages are cached whole
    (tracker.pagecache): a nonce in a cached body would be the same for everyone.

    A view changes its own policy with django-csp's decorators (``@csp_update``,
    ``@csp_replace``, ``@csp_exempt``), e.g. an embeddable badge with
    ``@csp_replace({"frame-ancestors": ["*"]})`` and ``@xframe_options_exempt``; they are
    applied on top of this on every response, from the cache or not.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        update = dict(parts.update or {})
        update["style-src"] = [*update.get("style-src", []), *inline_style_hashes()]
        parts.update = update
        return parts


_hashes: list[str] = []


def inline_style_hashes() -> list[str]:
    if not _hashes:
        from tracker.charts import STYLE as CHART_STYLE
        from tracker.worldmap import STYLE

        _hashes.extend([style_hash(STYLE), style_hash(CHART_STYLE)])
    return _hashes


class PermissionsPolicyMiddleware:
    """``Permissions-Policy`` (PERMISSIONS_POLICY in settings): the browser features no page
    of the site uses (camera, microphone, geolocation…) are refused to it and to any frame."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.value and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.value
        return response
