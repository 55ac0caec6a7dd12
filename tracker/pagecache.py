"""Whole rendered pages in the cache, dropped when the data changes.

The key holds the data version (which every write to the data changes, see
tracker.signals) and today's date in New York (countdowns move at midnight there), so a
page is never served stale and nothing has to be deleted by hand.
"""

import hashlib
from functools import wraps
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone

from tracker.selectors import data_version

PAGE_TIMEOUT = 60 * 60
# Treaties are UN treaties for now; their calendar is New York's.
CALENDAR = ZoneInfo("America/New_York")


def page_key(path: str) -> str:
    today = timezone.localdate(timezone.now(), CALENDAR).isoformat()
    digest = hashlib.sha256(path.encode()).hexdigest()[:32]
    return f"tracker:page:{data_version()}:{today}:{digest}"


def cached_page(view):
    """Serve GET requests of ``view`` from the cache; cache its 200 responses."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        key = page_key(request.get_full_path())
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            response = HttpResponse(content, content_type=content_type)
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not getattr(response, "streaming", False):
            if hasattr(response, "render"):
                response.render()
            cache.set(key, (response.content, response["Content-Type"]), PAGE_TIMEOUT)
            response["X-Page-Cache"] = "miss"
        return response

    return wrapper
