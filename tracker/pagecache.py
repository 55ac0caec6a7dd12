"""Whole rendered responses in the cache, dropped when the data changes.

A response is stored with the data version it was rendered from (every write to the
data changes the version, see tracker.dataversion) under a key with today's date in New York
(countdowns move at midnight there), so a response is never served stale and nothing has
to be deleted by hand. The pages use it here; the API through tracker.api.caching.

Two levels: the shared cache (Redis in production) holds every response for all
processes; each process also keeps its most requested ones in memory and reads the data
version at most once a second, so that a hit under a crowd costs no network round trip
at all. A write made in this process is seen at once; one made in another process
within a second. A cache that fails is a miss (tracker.safe_cache), never an error.

A page is keyed by its path and the query parameters its view declares, made canonical
(``cached_page``); the API by the parameters its schema declares (tracker.api.caching).

Single flight (``ResponseStore.obtain``): after a write, a crowd asking for one response
computes it once. The first request to miss claims the build of (key, data version): in
this process by a lock that its threads share, across processes by a claim in the shared
cache (SET NX PX on Redis, expiring after LOCK_SECONDS so that a builder that crashed
blocks nobody for long; ``cache.add`` on the database cache). The others, the losers:

- serve the response stored for the previous version, marked ``stale`` with its age (the
  seconds since the write that superseded it), if and only if (the staleness rule)
  (1) another request holds the claim to build the current version V,
  (2) the stored response's version P is the one V replaced, with no write between them
      (tracker.dataversion.follows), so P stopped being current at V's write time W, and
  (3) now - W < STALE_SECONDS (1 s), now on this host's clock, W as the database keeps it;
- otherwise wait for the builder, polling the store, at most WAIT_SECONDS, then compute
  the response themselves (a builder that failed, or stored nothing, delays them no more:
  they stop waiting once its claim is gone).

A process reads the data version at most a second late (tracker.dataversion), serving P
as current meanwhile; with the rule above, a response served at time t was current at
some moment of [t - 1 s, t]: no process serves a version older than a second after the
write. A process that finds a response stored for a version newer than the one it knows
reads the version again at once, rather than computing the old one again.
``PAGE_SINGLE_FLIGHT=false`` (the environment, or a setting) turns single flight off:
every miss computes, as before; for the benchmark (bench/burst_bench.py) only.
"""

import gzip
import hashlib
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from functools import wraps
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse, QueryDict
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from tracker import dataversion, safe_cache
from tracker.dataversion import current_version, forget_version  # noqa: F401  (the pages' and API's reads)
from tracker.timetravel import EARLIEST, LATEST

PAGE_TIMEOUT = 60 * 60
STALE_SECONDS = 1.0  # a previous version is served, marked stale, at most this long after the write
LOCK_SECONDS = 5.0  # a build's claim expires by itself after this: a crashed builder blocks no longer
WAIT_SECONDS = 5.0  # a loser waits at most this long for the builder, then computes itself
POLL_SECONDS = 0.02  # how often a waiting loser looks for the built response
# Bodies smaller than this are sent as they are: compressing them saves less than it costs.
COMPRESS_BYTES = 1024
# Treaties are UN treaties for now; their calendar is New York's.
CALENDAR = ZoneInfo("America/New_York")


def today() -> str:
    """Today's date in New York, ISO: part of every key, so that countdowns move at midnight."""
    return timezone.localdate(timezone.now(), CALENDAR).isoformat()


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def single_flight_on() -> bool:
    """Whether a crowd's misses share one build (off only for bench/burst_bench.py's "before")."""
    value = getattr(settings, "PAGE_SINGLE_FLIGHT", os.environ.get("PAGE_SINGLE_FLIGHT", "true"))
    return str(value).strip().lower() not in ("false", "0", "no", "off")


@dataclass
class Served:
    """What ``ResponseStore.obtain`` answers: ``state`` "hit", "stale" or "miss"; the body
    and its content type, and the data version it was rendered from (stored responses);
    the view's ``response`` (a miss), and whether it was ``stored``; ``age``: for a stale
    one, the seconds since the write that superseded it."""

    state: str
    version: str
    body: bytes = b""
    content_type: str = ""
    response: object = None
    stored: bool = False
    age: float = 0.0
    gzipped: bytes | None = None


class ResponseStore:
    """Responses as (data version, body, content type, gzipped body or None), in the shared
    cache and, for the most requested, in this process's memory (at most ``local_bytes`` of
    bodies).

    With ``compress``, a body is also kept gzipped, compressed once when stored: a browser
    that accepts gzip gets a fifth of the bytes (the treaty page: 130 kB, 22 kB gzipped),
    and the server writes them at the cost of a small page. Only responses that hold no
    secret are stored (anonymous pages, no CSRF token, no search text), so compressing
    them leaks nothing (BREACH needs a secret and the attacker's text in one body).

    Thread-safe: a threaded server (runserver, gthread) shares one store per process.
    """

    def __init__(self, prefix: str, local_bytes: int, timeout: int = PAGE_TIMEOUT, compress: bool = False):
        self.prefix, self.local_bytes, self.timeout, self.compress = prefix, local_bytes, timeout, compress
        self._entries: OrderedDict[str, tuple[str, bytes, str]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._flights: dict[str, threading.Event] = {}  # builds under way in this process

    def key(self, text: str, day: str | None = None) -> str:
        """The key of a response, from what tells it apart (its URL and such) and the day
        (default: today in New York)."""
        return f"{self.prefix}:{day or today()}:{digest(text)}"

    def get(self, key: str, version: str) -> tuple[bytes, str] | None:
        """The response stored under ``key`` if rendered from ``version``: from memory, else
        from the shared cache."""
        entry = self.entry(key, version)
        return (entry[1], entry[2]) if entry is not None and entry[0] == version else None

    def entry(self, key: str, version: str) -> tuple | None:
        """(version, body, content type, gzipped body) stored under ``key``: from memory if rendered from
        ``version``, else whatever the shared cache holds (of any version), or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == version:
                self._entries.move_to_end(key)
                return entry
        entry = safe_cache.get(key)
        if entry is not None and entry[0] == version:
            self._remember(key, entry)
        return entry

    def obtain(self, key: str, version: str, build) -> Served:
        """The response under ``key`` for ``version``: stored, or built once for a crowd
        (see the module's docstring). ``build()`` runs the view: it returns the response
        and whether it may be stored (a 200 of a storable kind)."""
        entry = self.entry(key, version)
        if entry is not None and entry[0] != version and dataversion.is_newer(entry[0], version):
            version = dataversion.refreshed_version()  # another process saw a write this one has not yet
        if found := self._found_in(entry, version):
            return found
        if not single_flight_on():
            return self._build(key, version, build)
        return self._single_flight(key, version, entry, build)

    @staticmethod
    def flight(key: str, version: str) -> str:
        """The shared cache's key of the claim to build ``key`` for ``version`` (its own
        prefix: a claim is not a stored response)."""
        return f"tracker:flight:{digest(f'{key}|{version}')}"

    def _single_flight(self, key: str, version: str, entry, build) -> Served:
        """Build if this request wins the claim on (key, version); else the loser's answer."""
        claim = self.flight(key, version)
        event, leader = self._join(claim)
        try:
            if leader and (token := safe_cache.claim(claim, LOCK_SECONDS)) is not False:
                try:
                    # A builder that finished since this request looked has just released the claim.
                    return self._found(key, version) or self._build(key, version, build)
                finally:
                    if token:  # None: the cache failed, nothing to release
                        safe_cache.release(claim, token)
            return self._stale(entry, version) or self._await(key, version, build, claim, event, leader)
        finally:
            if leader:
                self._leave(claim, event)

    def _join(self, claim: str) -> tuple[threading.Event, bool]:
        """This process's flight for ``claim``: its event, and whether this thread leads it."""
        with self._lock:
            event = self._flights.get(claim)
            if event is not None:
                return event, False
            event = self._flights[claim] = threading.Event()
            return event, True

    def _leave(self, claim: str, event: threading.Event) -> None:
        with self._lock:
            self._flights.pop(claim, None)
        event.set()  # this process's other threads look in the store now

    @staticmethod
    def _stale(entry, version: str) -> Served | None:
        """The stored previous version, if the staleness rule lets a loser serve it: it is
        the version the current one replaced, and that write was less than a second ago."""
        if entry is None or not dataversion.follows(version, entry[0]):
            return None
        age = time.time() - dataversion.changed_at_exactly(version)
        if age >= STALE_SECONDS:
            return None
        return Served("stale", entry[0], entry[1], entry[2], age=max(0.0, age), gzipped=gzipped(entry))

    def _await(self, key, version, build, claim: str, event: threading.Event, leader: bool) -> Served:
        """Wait for the build, then compute here if it did not come: a thread of this process
        waits for its leader (who leaves the response in memory); the leader, a loser across
        processes, polls the shared cache while the builder's claim lasts (WAIT_SECONDS at most)."""
        if not leader:
            event.wait(WAIT_SECONDS)
            return self._found(key, version) or self._build(key, version, build)
        for _ in range(max(1, round(WAIT_SECONDS / POLL_SECONDS))):  # counted: no clock to trust
            time.sleep(POLL_SECONDS)
            if found := self._found(key, version):
                return found
            if safe_cache.held(claim) is not True:
                break  # the builder finished without storing, or crashed and its claim expired
        return self._found(key, version) or self._build(key, version, build)

    def _found(self, key: str, version: str) -> Served | None:
        """A hit if a response for ``version`` is stored under ``key`` now."""
        return self._found_in(self.entry(key, version), version)

    @staticmethod
    def _found_in(entry, version: str) -> Served | None:
        if entry is None or entry[0] != version:
            return None
        return Served("hit", version, entry[1], entry[2], gzipped=gzipped(entry))

    def _build(self, key: str, version: str, build) -> Served:
        """Run the view; store its response if it may be."""
        response, storable = build()
        if not storable:
            return Served("miss", version, response=response)
        self.put(key, version, response.content, response["Content-Type"])
        return Served("miss", version, response.content, response["Content-Type"], response, stored=True)

    def put(self, key: str, version: str, body: bytes, content_type: str) -> None:
        packed = gzip.compress(body, compresslevel=6, mtime=0) if self.compress and len(body) >= COMPRESS_BYTES else None
        entry = (version, body, content_type, packed)
        safe_cache.set(key, entry, self.timeout)
        self._remember(key, entry)

    def clear(self) -> None:
        """Forget this process's copies (the shared cache is cleared with the cache)."""
        with self._lock:
            self._entries.clear()
            self._size = 0

    def _remember(self, key: str, entry: tuple) -> None:
        if len(entry[1]) > self.local_bytes // 8:
            return  # one large body would push out many small ones; Redis keeps it
        with self._lock:
            old = self._entries.pop(key, None)
            self._size += len(entry[1]) - (len(old[1]) if old else 0)
            self._entries[key] = entry
            while self._size > self.local_bytes:
                self._size -= len(self._entries.popitem(last=False)[1][1])


def gzipped(entry: tuple) -> bytes | None:
    """An entry's gzipped body (None for one stored uncompressed, or before there were any)."""
    return entry[3] if len(entry) > 3 else None


pages = ResponseStore("tracker:page", local_bytes=16 * 1024 * 1024, compress=True)


# What a parameter's canonical form says of it: a string is its canonical value ("" as if
# absent); UNSTORED serves the page for the value as sent but stores nothing, for values
# with no bounded canonical form (a misspelt date is echoed in its message, a search word
# is free text). An undeclared parameter never reaches the view at all.
UNSTORED = object()


def iso_date(value: str):
    """A day in any form ``date.fromisoformat`` reads, as YYYY-MM-DD; another value UNSTORED."""
    if not value:
        return ""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return UNSTORED
    return day.isoformat() if EARLIEST <= day <= LATEST else UNSTORED


def choice(values, default: str = "", other=UNSTORED):
    """One of ``values`` (lower-cased first; ``default`` for an empty value); ``other`` for
    the rest: UNSTORED, or a value the view treats them as."""
    allowed = frozenset(values)

    def canonical(value: str):
        value = value.strip().lower()
        if not value:
            return default
        return value if value in allowed else other

    return canonical


def free_text(value: str):
    """Free text, as a search word: empty, or never stored (its values are unbounded)."""
    return "" if not value.strip() else UNSTORED


def canonical_query(query: QueryDict, params: dict) -> tuple[QueryDict, bool]:
    """The query string a page keeps of ``query``: its declared ``params`` only, each in its
    canonical form, in the order declared; and whether a response to it may be stored."""
    kept, storable = QueryDict(mutable=True), True
    for name, canonical in params.items():
        if name not in query:
            continue
        raw = query[name]  # the last value, as the view's query.get would read it
        value = canonical(raw)
        if value is UNSTORED:
            kept[name], storable = raw, False
        elif value:
            kept[name] = value
    kept._mutable = False
    return kept, storable


def cached_page(view=None, /, **params):
    """Serve GET requests of ``view`` from the cache; cache its 200 responses.

    ``@cached_page(as_of=iso_date, sort=choice(...))`` declares the query parameters the
    view reads and how each is made canonical. The view sees only those, canonical, and the
    response is keyed by them, so ``?zz=1``, ``?zz=2``… and ``?as_of=20260201`` are served
    the one page stored for none and for ``?as_of=2026-02-01``: junk in an address cannot
    fill the cache. A bare ``@cached_page`` declares none.
    """
    if view is None:
        return lambda view: cached_page(view, **params)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        query, storable = canonical_query(request.GET, params)
        request.GET = query
        request.META["QUERY_STRING"] = query.urlencode()
        if not storable:
            return view(request, *args, **kwargs)

        def build():
            response = view(request, *args, **kwargs)
            keep = response.status_code == 200 and not getattr(response, "streaming", False)
            if keep and hasattr(response, "render"):
                response.render()
            return response, keep

        served = pages.obtain(pages.key(request.get_full_path()), current_version(), build)
        return page_response(served, request)

    return wrapper


def accepts_gzip(request) -> bool:
    """Whether the request's Accept-Encoding takes gzip (not "gzip;q=0")."""
    for coding in request.META.get("HTTP_ACCEPT_ENCODING", "").lower().replace(" ", "").split(","):
        name, _, weight = coding.partition(";q=")
        if name == "gzip":
            try:
                return float(weight or 1) > 0
            except ValueError:
                return False
    return False


def page_response(served: Served, request=None):
    """The response for what the store served, its X-Page-Cache header saying how; gzipped
    when it was stored so and the browser accepts it."""
    if served.state == "miss":
        if served.stored:
            served.response["X-Page-Cache"] = "miss"
            patch_vary_headers(served.response, ["Accept-Encoding"])
        return served.response
    if served.gzipped is not None and request is not None and accepts_gzip(request):
        response = HttpResponse(served.gzipped, content_type=served.content_type)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(served.body, content_type=served.content_type)
    patch_vary_headers(response, ["Accept-Encoding"])
    response["X-Page-Cache"] = served.state
    if served.state == "stale":
        response["X-Stale-Age"] = f"{served.age:.3f}"  # seconds since the write it predates
    return response
