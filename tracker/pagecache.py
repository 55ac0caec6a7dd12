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
"""

import hashlib
import threading
from collections import OrderedDict
from datetime import date
from functools import wraps
from zoneinfo import ZoneInfo

from django.http import HttpResponse, QueryDict
from django.utils import timezone

from tracker import safe_cache
from tracker.dataversion import current_version, forget_version  # noqa: F401  (the pages' and API's reads)
from tracker.timetravel import EARLIEST, LATEST

PAGE_TIMEOUT = 60 * 60
# Treaties are UN treaties for now; their calendar is New York's.
CALENDAR = ZoneInfo("America/New_York")


def today() -> str:
    """Today's date in New York, ISO: part of every key, so that countdowns move at midnight."""
    return timezone.localdate(timezone.now(), CALENDAR).isoformat()


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class ResponseStore:
    """Responses as (data version, body, content type), in the shared cache and, for the
    most requested, in this process's memory (at most ``local_bytes`` of bodies).

    Thread-safe: a threaded server (runserver, gthread) shares one store per process.
    """

    def __init__(self, prefix: str, local_bytes: int, timeout: int = PAGE_TIMEOUT):
        self.prefix, self.local_bytes, self.timeout = prefix, local_bytes, timeout
        self._entries: OrderedDict[str, tuple[str, bytes, str]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def key(self, text: str, day: str | None = None) -> str:
        """The key of a response, from what tells it apart (its URL and such) and the day
        (default: today in New York)."""
        return f"{self.prefix}:{day or today()}:{digest(text)}"

    def get(self, key: str, version: str) -> tuple[bytes, str] | None:
        """The response stored under ``key`` if rendered from ``version``: from memory, else
        from the shared cache."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == version:
                self._entries.move_to_end(key)
                return entry[1], entry[2]
        entry = safe_cache.get(key)
        if entry is None or entry[0] != version:
            return None
        self._remember(key, entry)
        return entry[1], entry[2]

    def put(self, key: str, version: str, body: bytes, content_type: str) -> None:
        entry = (version, body, content_type)
        safe_cache.set(key, entry, self.timeout)
        self._remember(key, entry)

    def clear(self) -> None:
        """Forget this process's copies (the shared cache is cleared with the cache)."""
        with self._lock:
            self._entries.clear()
            self._size = 0

    def _remember(self, key: str, entry: tuple[str, bytes, str]) -> None:
        if len(entry[1]) > self.local_bytes // 8:
            return  # one large body would push out many small ones; Redis keeps it
        with self._lock:
            old = self._entries.pop(key, None)
            self._size += len(entry[1]) - (len(old[1]) if old else 0)
            self._entries[key] = entry
            while self._size > self.local_bytes:
                self._size -= len(self._entries.popitem(last=False)[1][1])


pages = ResponseStore("tracker:page", local_bytes=16 * 1024 * 1024)


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
        key, version = pages.key(request.get_full_path()), current_version()
        hit = pages.get(key, version) if storable else None
        if hit is not None:
            response = HttpResponse(hit[0], content_type=hit[1])
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if storable and response.status_code == 200 and not getattr(response, "streaming", False):
            if hasattr(response, "render"):
                response.render()
            pages.put(key, version, response.content, response["Content-Type"])
            response["X-Page-Cache"] = "miss"
        return response

    return wrapper
