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
  is never stored, so never answered 304. An anonymous GET that may be served from the
  store is built once for a crowd (tracker.pagecache's single flight): the others wait for
  it, or are served the previous version for at most a second after the write
  (``X-API-Cache: stale``, ``X-Stale-Age`` the seconds since that write, and that
  version's own ETag and Last-Modified, so that a client never keeps it as the new one).

A response is keyed by the query parameters that the OpenAPI schema declares for its
path and method (``DeclaredParameters``), sorted by name, with dates, booleans and
integers in one form (``?as_of=20260201`` is ``?as_of=2026-02-01``); the view sees that
canonical query. A request naming any other parameter is neither read from the store nor
stored (the view refuses it, or ignores it), so junk parameters cannot fill the cache.

``Cache-Control: no-cache`` in a request computes the response afresh. Requests with an
``Authorization`` header are authenticated and throttled by DRF as usual, and never read
from the store (they may write to it: a GET's body does not depend on who asks). Only
responses to the usual Accept headers are stored (``PLAIN_ACCEPT``).
"""

import logging
import re
import threading
from datetime import date, datetime, time
from time import monotonic

from django.http import HttpResponse, JsonResponse, QueryDict
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
logger = logging.getLogger(__name__)


def canonical_date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return value  # the view answers 400, which is not stored


BOOLEANS = {"true": "true", "1": "true", "false": "false", "0": "false"}


def canonical_integer(value: str) -> str:
    return str(int(value)) if re.fullmatch(r"\d{1,9}", value) else value


def canonicaliser(schema: dict):
    """How a parameter of this OpenAPI schema is written canonically (None: as sent)."""
    if schema.get("format") == "date":
        return canonical_date
    if schema.get("type") == "boolean":
        return lambda value: BOOLEANS.get(value, value)
    if schema.get("type") == "integer":
        return canonical_integer
    return None


class DeclaredParameters:
    """The query parameters the OpenAPI schema declares for each path and method of the
    API, read once per process from drf-spectacular's generator (the first read takes a
    fraction of a second). A path the schema does not describe (the schema itself, the
    docs) declares none."""

    RETRY_SECONDS = 60

    def __init__(self):
        self._table: list[tuple[re.Pattern, dict[str, dict]]] | None = None
        self._failed_at = 0.0
        self._lock = threading.Lock()

    def of(self, request) -> dict:
        """{name: canonicaliser or None} for ``request``'s path and method."""
        method = "get" if request.method == "HEAD" else request.method.lower()
        for pattern, operations in self.table():
            if pattern.fullmatch(request.path_info):
                return operations.get(method, {})
        return {}

    def table(self):
        """The schema's paths and their parameters; empty, and tried again a minute later,
        while the schema fails (then every parameter counts as undeclared: nothing stored)."""
        if self._table is None and monotonic() - self._failed_at > self.RETRY_SECONDS:
            with self._lock:
                if self._table is None:
                    self._table = self.read()
                    if self._table is None:
                        self._failed_at = monotonic()
        return self._table or []

    @staticmethod
    def read():
        from drf_spectacular.generators import SchemaGenerator

        try:
            schema = SchemaGenerator().get_schema(request=None, public=True)
        except Exception:
            logger.exception("the API schema failed; no API response with query parameters is stored")
            return None
        table = []
        for path, operations in schema.get("paths", {}).items():
            parts = re.split(r"\{[^}/]+\}", path)
            pattern = re.compile("[^/]+".join(re.escape(part) for part in parts))
            declared = {
                method: {
                    parameter["name"]: canonicaliser(parameter.get("schema", {}))
                    for parameter in operation.get("parameters", [])
                    if parameter.get("in") == "query"
                }
                for method, operation in operations.items()
                if isinstance(operation, dict)
            }
            table.append((pattern, declared))
        return table

    def clear(self) -> None:
        self._table, self._failed_at = None, 0.0


parameters = DeclaredParameters()


def canonical_query(request) -> QueryDict | None:
    """``request``'s query as the store keys it: every parameter declared, sorted by name
    (a name's values in their order), each value canonical; None if it names another."""
    declared = parameters.of(request)
    query = request.GET
    if any(name not in declared for name in query):
        return None
    kept = QueryDict(mutable=True)
    for name in sorted(query):
        canonical = declared[name]
        kept.setlist(name, [canonical(value) if canonical else value for value in query.getlist(name)])
    kept._mutable = False
    return kept


class Validators:
    """The store key, ETag and Last-Modified of a GET, and what they decide."""

    def __init__(self, request):
        self.version = current_version()
        day = today()
        accept = request.headers.get("Accept", "").strip()
        query = canonical_query(request)
        # Stored and read from the store only with declared parameters; the view sees them canonical.
        self.declared = query is not None
        if self.declared:
            request.GET = query
            request.META["QUERY_STRING"] = query.urlencode()
        self.plain = accept in PLAIN_ACCEPT and self.declared
        self.key = responses.key(f"{request.build_absolute_uri()}|{'json' if self.plain else accept}", day)
        # A new day changes the countdowns even when no record changed.
        self.midnight = int(datetime.combine(date.fromisoformat(day), time.min, tzinfo=CALENDAR).timestamp())
        self.use(self.version)

    def use(self, version: str) -> None:
        """The validators of the response rendered from ``version`` (a stale one has its own)."""
        self.version = version
        self.etag = f'"{digest(f"{version}|{self.key}")}"'
        self.last_modified = max(data_changed_at(version), self.midnight)

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
        reads = validators.plain and reads_store(request, anonymous)
        if reads:
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
        if reads and request.method == "GET":
            return self.obtained(request, validators)
        return self.computed(request, validators)

    def obtained(self, request, validators):
        """The response from the store's single flight: built here, waited for, or stale."""

        def build():
            response = self.get_response(request)
            return response, keeps(request, validators, response)

        served = responses.obtain(validators.key, validators.version, build)
        validators.use(served.version)  # a stale response's, or a version read again
        if served.state == "miss":
            return self.finished(request, validators, served.response, served.stored)
        response = validators.stamp(HttpResponse(served.body, content_type=served.content_type))
        response["X-API-Cache"] = served.state
        if served.state == "stale":
            response["X-Stale-Age"] = f"{served.age:.3f}"  # seconds since the write it predates
        return validators.answer(request, response)

    def computed(self, request, validators):
        """The view's response; a 200 gets its validators, is stored, and may become a 304."""
        response = self.get_response(request)
        stored = keeps(request, validators, response)
        if stored:
            responses.put(validators.key, validators.version, response.content, response["Content-Type"])
        return self.finished(request, validators, response, stored)

    @staticmethod
    def finished(request, validators, response, stored: bool):
        """A computed response with its validators (a 200), and ``X-API-Cache: miss`` if stored."""
        if response.status_code != 200:
            return response
        validators.stamp(response)
        if stored:
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
        response = JsonResponse({"detail": detail, "errors": {}}, status=429)
        response["Retry-After"] = str(wait)
        return response


def reads_store(request, anonymous: bool) -> bool:
    """Whether a stored response may answer: anonymous, and not asked to compute afresh."""
    return anonymous and "no-cache" not in request.headers.get("Cache-Control", "").lower()


def keeps(request, validators, response) -> bool:
    """Whether a computed response is stored: a GET's 200 of a storable kind, asked plainly."""
    if response.status_code != 200:
        return False
    return request.method == "GET" and validators.plain and storable(response)


def storable(response) -> bool:
    if getattr(response, "streaming", False):
        return False
    if not response.get("Content-Type", "").startswith(STORED_TYPES):
        return False
    return len(response.content) <= MAX_STORED_BYTES  # Django rendered it before the middleware
