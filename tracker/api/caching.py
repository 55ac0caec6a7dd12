"""What every API request passes through before its view: the response cache, ETag,
Last-Modified, 304 Not Modified and the anonymous throttle.

A GET's validators come from the data version (which every write changes), New York's
date, the URL and the Accept header, not from the body. The body of a 200 is kept in
tracker.pagecache's two-level store under the same key, so that:

- a conditional request for a response served before is answered 304 before any view
  runs: no database query, no round trip to Redis once this process has the response in
  memory, and not counted by the throttle
  (as GitHub's API does not count them), so clients that poll politely are never refused;
- a request for one served before is answered from memory or Redis (``X-API-Cache: hit``)
  and only counted by the throttle;
- anything else runs its view (``X-API-Cache: miss``), and a 200 is stored. A 404 or 400
  is never stored, so never answered 304.

``Cache-Control: no-cache`` in a request computes the response afresh. Requests with an
``Authorization`` header are authenticated and throttled by DRF as usual, and never read
from the store (they may write to it: a GET's body does not depend on who asks). Only
responses to the usual Accept headers are stored (``PLAIN_ACCEPT``).
"""

from datetime import date, datetime, time

from django.http import HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from tracker.api.throttling import anonymous_wait
from tracker.pagecache import CALENDAR, ResponseStore, current_version, digest, today
from tracker.selectors import data_changed_at

PREFIX = "/api/"
# Bodies worth keeping: JSON and the schema's YAML, not the browsable API's HTML (which
# shows who is logged in) nor streamed CSV.
STORED_TYPES = ("application/json", "application/vnd.oai.openapi")
MAX_STORED_BYTES = 2 * 1024 * 1024
# The Accept headers that scripts and browsers' fetch send, all answered with the default
# JSON. Only their responses are stored: any other Accept is computed each time, so that
# varying the header cannot fill the cache.
PLAIN_ACCEPT = frozenset({"", "*/*", "application/json"})

responses = ResponseStore("tracker:api", local_bytes=32 * 1024 * 1024)


class Validators:
    """The store key, ETag and Last-Modified of a GET, and what they decide."""

    def __init__(self, request):
        self.version = current_version()
        day = today()
        accept = request.headers.get("Accept", "").strip()
        self.plain = accept in PLAIN_ACCEPT
        self.key = responses.key(f"{request.build_absolute_uri()}|{'json' if self.plain else accept}", day)
        self.etag = f'"{digest(f"{self.version}|{self.key}")}"'
        # A new day changes the countdowns even when no record changed.
        midnight = datetime.combine(date.fromisoformat(day), time.min, tzinfo=CALENDAR).timestamp()
        self.last_modified = max(data_changed_at(self.version), int(midnight))

    def stamp(self, response):
        response["ETag"] = self.etag
        response["Last-Modified"] = http_date(self.last_modified)
        response["Vary"] = "Accept"
        return response

    def answer(self, request, response):
        """``response``, or a 304 with its validators if the client's copy is current."""
        return get_conditional_response(
            request, etag=self.etag, last_modified=self.last_modified, response=response
        )


class APICacheMiddleware:
    """Serves the API's GETs from the store when it can; see the module's docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        anonymous = "HTTP_AUTHORIZATION" not in request.META
        if request.method not in ("GET", "HEAD"):
            return (anonymous and self.throttled(request)) or self.get_response(request)
        validators = Validators(request)
        stored = None
        if validators.plain and reads_store(request, anonymous):
            stored = responses.get(validators.key, validators.version)
        if stored is not None:
            hit = validators.stamp(HttpResponse(stored[0], content_type=stored[1]))
            hit["X-API-Cache"] = "hit"
            if (answered := validators.answer(request, hit)) is not hit:
                return answered  # 304: not counted
        if anonymous and (refused := self.throttled(request)):
            return refused
        if stored is not None:
            return hit
        return self.computed(request, validators)

    def computed(self, request, validators):
        """The view's response; a 200 gets its validators, is stored, and may become a 304."""
        response = self.get_response(request)
        if response.status_code != 200:
            return response
        validators.stamp(response)
        if request.method == "GET" and validators.plain and storable(response):
            responses.put(validators.key, validators.version, response.content, response["Content-Type"])
            response["X-API-Cache"] = "miss"
        return validators.answer(request, response)

    @staticmethod
    def throttled(request):
        """A 429 if the anonymous client is over its rate; marks the request as counted."""
        request.api_counted = True
        wait = anonymous_wait(request)
        if wait is None:
            return None
        detail = f"Request was throttled. Expected available in {wait} seconds."
        response = JsonResponse({"detail": detail}, status=429)
        response["Retry-After"] = str(wait)
        return response


def reads_store(request, anonymous: bool) -> bool:
    """Whether a stored response may answer: anonymous, and not asked to compute afresh."""
    return anonymous and "no-cache" not in request.headers.get("Cache-Control", "").lower()


def storable(response) -> bool:
    if getattr(response, "streaming", False):
        return False
    if not response.get("Content-Type", "").startswith(STORED_TYPES):
        return False
    return len(response.content) <= MAX_STORED_BYTES  # Django rendered it before the middleware
