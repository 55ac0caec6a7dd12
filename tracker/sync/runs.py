"""Read a depositary page from a file or the web, import it, and record the read.

Every read of a treaty's page leaves a ``DepositarySync`` row, whatever happened: what the
import changed, an unchanged page, or why nothing was written (the fetch failed, the page
could not be read, a row was rejected). Staff see the failures in the admin and the digest.

The fetch is polite: one request at a time (the sync reads treaties one after another,
pausing between them), a User-Agent that names the tracker, timeouts, retries with backoff
on a server error or a rate limit (honouring Retry-After), and a conditional request
(If-None-Match, If-Modified-Since) where the server gave an ETag or a Last-Modified.
"""

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tracker.depositary import PageError, parse_status_page
from tracker.models import Treaty
from tracker.sync.models import DepositarySync
from tracker.sync.services import PageImport, PageRejected, existing_treaty, import_page
from tracker.writes import data_changed

logger = logging.getLogger(__name__)
Outcome = DepositarySync.Outcome


class FetchError(Exception):
    """The page could not be fetched: the message says why (status, timeout, refused)."""


@dataclass
class Fetched:
    """A page's bytes and the validators the server gave for a conditional request."""

    content: bytes | None  # None: not modified since the last read
    status: int | None = None
    etag: str = ""
    last_modified: str = ""


def http_session() -> requests.Session:
    """A session that retries what a busy server may answer (429, 5xx, dropped connections)."""
    retry = Retry(
        total=settings.UNTC_RETRIES,
        backoff_factor=settings.UNTC_BACKOFF_SECONDS,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=("GET",),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.headers["User-Agent"] = settings.UNTC_USER_AGENT
    return session


def fetch(url: str, *, etag: str = "", last_modified: str = "", session=None) -> Fetched:
    """GET ``url`` (conditionally when validators are given), at most UNTC_MAX_BYTES."""
    headers = {"If-None-Match": etag} if etag else {}
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    session = session or http_session()
    try:
        with session.get(url, headers=headers, timeout=settings.UNTC_TIMEOUT_SECONDS, stream=True) as response:
            if response.status_code == 304:
                return Fetched(None, 304, etag, last_modified)
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code} {response.reason} from {url}")
            content = read_capped(response)
            return Fetched(content, 200, response.headers.get("ETag", ""), response.headers.get("Last-Modified", ""))
    except requests.RequestException as error:
        raise FetchError(f"{type(error).__name__} fetching {url}: {error}") from error


def read_capped(response) -> bytes:
    """The body, refusing one larger than UNTC_MAX_BYTES (a status page is a few MB)."""
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > settings.UNTC_MAX_BYTES:
            raise FetchError(f"the page is larger than {settings.UNTC_MAX_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def read_source(source: str) -> bytes:
    """The bytes of a file, or of an http(s) URL."""
    if source.startswith(("http://", "https://")):
        return fetch(source).content
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise FetchError(f"cannot read {source}: {error.strerror or error}") from error


def import_source(source: str, *, slug: str | None = None, dry_run: bool = False, user=None) -> PageImport:
    """Read ``source`` (a file or a URL) and import it; the read is recorded for the treaty.

    Raises FetchError, PageError or PageRejected (after recording them when the treaty is
    known), having written nothing else.
    """
    started = timezone.now()
    treaty = Treaty.objects.filter(slug=slug).first() if slug else None
    try:
        content = read_source(source)
        page = parse_status_page(content, url=source)
    except FetchError as error:
        record(treaty, source, started, Outcome.FETCH_FAILED, error=str(error), dry_run=dry_run)
        raise
    except PageError as error:
        record(treaty, source, started, Outcome.UNREADABLE, error=str(error), dry_run=dry_run)
        raise
    return import_parsed(page, source, started, slug=slug, dry_run=dry_run, user=user, fetched=None)


def import_parsed(page, source: str, started, *, slug, dry_run: bool, user, fetched: Fetched | None) -> PageImport:
    """Import a parsed page and record the read, whatever the outcome."""
    validators = {"etag": fetched.etag, "last_modified": fetched.last_modified, "http_status": fetched.status} if fetched else {}
    treaty = existing_treaty(page.header.reference, slug)  # the one a rejection is recorded for
    try:
        report = import_page(page, url=source, slug=slug, dry_run=dry_run, user=user)
    except PageRejected as error:
        record(treaty, source, started, Outcome.REJECTED, error="\n".join(error.problems), as_at=page.header.as_at,
               dry_run=dry_run, **validators)
        raise
    outcome = Outcome.CHANGED if report.changed else Outcome.UNCHANGED
    record(
        report.treaty, source, started, outcome, as_at=page.header.as_at, dry_run=dry_run,
        created=report.actions.created, updated=report.actions.updated, unchanged=report.actions.unchanged,
        changes="\n".join(report.lines()), **validators,
    )
    return report


def record(treaty: Treaty | None, source: str, started, outcome: str, *, dry_run: bool = False, **fields):
    """Keep a row of the read; none for a dry run, which writes nothing, nor without a treaty."""
    if treaty is None or dry_run:
        return None
    with transaction.atomic():
        read = DepositarySync.objects.create(
            treaty=treaty, source=source[:1000], started_at=started, finished_at=timezone.now(), outcome=outcome, **fields
        )
        data_changed()  # the treaty's page shows the last read, and a failure
        return read


def last_good_read(treaty: Treaty) -> DepositarySync | None:
    """The last read that got the page (its validators make the next request conditional)."""
    good = (Outcome.CHANGED, Outcome.UNCHANGED, Outcome.NOT_MODIFIED)
    return treaty.syncs.filter(outcome__in=good).order_by("-started_at", "-id").first()


def sync_treaty(treaty: Treaty, *, session=None) -> DepositarySync:
    """Fetch ``treaty``'s depositary page and import what changed; never raises for a
    failed fetch or an unreadable page, which are recorded instead."""
    started, url = timezone.now(), treaty.depositary_url
    last = last_good_read(treaty)
    try:
        fetched = fetch(url, etag=last.etag if last else "", last_modified=last.last_modified if last else "", session=session)
        if fetched.content is None:
            return record(treaty, url, started, Outcome.NOT_MODIFIED, http_status=304, etag=fetched.etag,
                          last_modified=fetched.last_modified, as_at=last.as_at if last else None)
        page = parse_status_page(fetched.content, url=url)
        import_parsed(page, url, started, slug=treaty.slug, dry_run=False, user=None, fetched=fetched)
    except FetchError as error:
        return record(treaty, url, started, Outcome.FETCH_FAILED, error=str(error))
    except PageError as error:
        return record(treaty, url, started, Outcome.UNREADABLE, error=str(error))
    except PageRejected:
        pass  # recorded by import_parsed
    except Exception as error:  # a bug must not stop the daily sync nor go unseen: it is recorded
        logger.exception("sync of %s failed", treaty.slug)
        return record(treaty, url, started, Outcome.UNREADABLE, error=f"unexpected error: {error!r}")
    return treaty.syncs.order_by("-started_at", "-id").first()


def sync_all(slugs: list[str] | None = None) -> list[DepositarySync]:
    """Sync every treaty that has a depositary URL (or those of ``slugs``), one at a time."""
    treaties = Treaty.objects.exclude(depositary_url="").order_by("slug")
    if slugs:
        treaties = treaties.filter(slug__in=slugs)
    session, done = http_session(), []
    for position, treaty in enumerate(treaties):
        if position:
            time.sleep(settings.UNTC_REQUEST_INTERVAL_SECONDS)  # one request at a time, spaced
        done.append(sync_treaty(treaty, session=session))
    return done
