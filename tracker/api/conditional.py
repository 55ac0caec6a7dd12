"""ETag and Last-Modified on every API read, and 304 Not Modified when nothing changed.

The validators come from the data version (which every write changes) and New York's
date, not from the response body, so a conditional request is answered before the view
runs: one cache read, no database query.
"""

import hashlib
from datetime import date, datetime, time

from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from tracker.pagecache import CALENDAR
from tracker.selectors import data_changed_at, data_version

API_PREFIX = "/api/v1/"


class ConditionalGetMiddleware:
    """Answers conditional GETs of the API from the data version."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        version = data_version()
        today = timezone.localdate(timezone.now(), CALENDAR).isoformat()
        basis = f"{version}|{today}|{request.get_full_path()}|{request.headers.get('Accept', '')}"
        etag = '"' + hashlib.sha256(basis.encode()).hexdigest()[:32] + '"'
        # A new day changes the countdowns even when no record changed.
        midnight = datetime.combine(date.fromisoformat(today), time.min, tzinfo=CALENDAR).timestamp()
        last_modified = max(data_changed_at(version), int(midnight))
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            # A 304 carries the validator and Vary that the 200 would have (RFC 9110, 15.4.5).
            not_modified["ETag"] = etag
            not_modified["Vary"] = "Accept"
            return not_modified
        response = self.get_response(request)
        if response.status_code == 200:
            response["ETag"] = etag
            response["Last-Modified"] = http_date(last_modified)
        return response
