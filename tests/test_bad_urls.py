"""No address answers 500: every URL pattern of the site, on the seeded database, with
bad ``as_of`` dates, NUL bytes, very long paths and broken percent-encoding.

The patterns are read from the urlconf, so a new page, download or API endpoint is tried
too; a pattern whose parameters have no sample below fails ``test_every_pattern_has_a_sample``.
Each pattern is one test, which tries every bad input in turn and lists those answered
with a server error (one request each: the seeded database is loaded once per pattern).
"""

import re
from datetime import date

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

LONG = "x" * 10_000

# Values of the as_of parameter that no page, download or API endpoint may answer with 500:
# the ends of the calendar, impossible dates, words and a very long string.
BAD_AS_OF = ["0001-01-01", "9999-12-31", "2026-13-45", "yesterday", "2026-11-22" + "9" * 10_000]
# Query strings as sent (percent-encoded), appended to each address.
BAD_QUERIES = [
    "as_of=%00",
    "as_of=2026-11-22%00",
    "q=a%00b",
    "a%00b=1",
    "%00",
    "page=%00&ordering=%00&format=%00",
    "x=%zz&y=%&z=%C3%28&w=%FF%FE",
    f"as_of={LONG}&q={LONG}",
]
# What replaces each parameter of a pattern in turn: NUL bytes, a segment of 10,000
# characters, a broken escape, a byte that starts no UTF-8 character, a broken UTF-8
# sequence and an encoded slash. (Every address also gets "%00", LONG and "%FF" appended.)
BAD_SEGMENTS = ["a%00b", "%00", LONG, "%zz", "%FF", "%C3%28", "a%2Fb"]

# Sample values of the patterns' parameters; "{pk}" stands for an existing row's key.
SAMPLES = {
    "slug": "hanoi-convention",
    "key": "aut",
    "token": "no-such-token",
    "pk": "{pk}",
    "object_id": "{pk}",
    "id": "{pk}",
    "content_type_id": "1",
    "app_label": "tracker",
    "format": "json",
    "url": "no-such-page/",
    "version_id": "1",
    "history_id": "1",
}
# The API's schema and its docs read no parameter, and each answer takes a while to build.
DOCUMENTATION = ("api/schema/", "api/docs/")
NAMED = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")
UNNAMED = re.compile(r"\((?!\?)[^)]*\)")


def routes(patterns=None, prefix: str = ""):
    """Every (route, pattern) of the urlconf, with the route of its includes before it."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def template(route: str) -> tuple[str, list[str]]:
    """A pattern as an address with ``{0}``, ``{1}``… for its parameters, and their names."""
    names: list[str] = []

    def named(match) -> str:
        names.append(match[1] or match[2])
        return "{%d}" % (len(names) - 1)

    text = NAMED.sub(named, route)
    # simple_history's admin view of one version: two unnamed groups, the object and the version.
    for name in ("object_id", "history_id"):
        text, found = UNNAMED.subn("{%d}" % len(names), text, count=1)
        if found:
            names.append(name)
    text = text.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    return "/" + text, names


def model_of(route: str, pattern: URLPattern):
    """The model whose rows a pattern's ``pk`` or ``object_id`` names, if any."""
    view = getattr(pattern.callback, "cls", None)
    if view is not None and getattr(view, "queryset", None) is not None:
        return view.queryset.model
    found = re.match(r"admin/(\w+)/(\w+)/", route)
    if found:
        try:
            return apps.get_model(found[1], found[2])
        except LookupError:
            return None
    return None


ROUTES = sorted({route: pattern for route, pattern in routes()}.items())


def readable(route: str) -> str:
    """A pattern as a test id: its address with <name> for each parameter."""
    text, names = template(route)
    return text.format(*(f"<{name}>" for name in names))


def test_every_pattern_has_a_sample():
    missing = {name for route, _ in ROUTES for name in template(route)[1] if name not in SAMPLES}
    assert not missing, f"give these URL parameters a sample value in SAMPLES: {sorted(missing)}"
    assert len({readable(route) for route, _ in ROUTES}) == len(ROUTES) > 100


def addresses(route: str, pattern: URLPattern) -> tuple[str, list[str]]:
    """The pattern's good address, and the bad ones made by changing its path."""
    text, names = template(route)
    model = model_of(route, pattern)
    row = model.objects.order_by("pk").first() if model is not None else None
    values = [SAMPLES.get(name, "x").replace("{pk}", str(row.pk) if row else "1") for name in names]
    good = text.format(*values)
    bad = [good + segment for segment in ("%00", LONG, "%FF")]
    for number in range(len(names)):
        for segment in BAD_SEGMENTS:
            bad.append(text.format(*[segment if n == number else v for n, v in enumerate(values)]))
    return good, bad


@pytest.fixture
def plain_client(settings):
    """A client that gets the status of a server error instead of the exception, with the
    API's throttle out of the way (it would answer 429 before the views are reached)."""
    settings.API_ANON_RATE = settings.API_USER_RATE = "1000000/second"
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("route, pattern", ROUTES, ids=[readable(route) for route, _ in ROUTES])
def test_no_address_is_a_server_error(seeded, plain_client, admin_user, route, pattern):
    good, tried = addresses(route, pattern)
    tried += [f"{good}?{query}" for query in BAD_QUERIES]
    if route.startswith("admin/"):
        # Past the login page (where an anonymous request stops): the admin's own views,
        # which read no as_of.
        plain_client.force_login(admin_user)
    elif route not in DOCUMENTATION:
        tried += [f"{good}?as_of={value}" for value in BAD_AS_OF]
    failures = []
    for address in tried:
        status = plain_client.get(address).status_code
        if status >= 500:
            failures.append(f"{status} {address[:120]}{'…' if len(address) > 120 else ''}")
    assert not failures, "\n".join(failures)


# --- the causes, one by one -------------------------------------------------------------


def test_as_of_is_read_between_the_earliest_and_the_latest_day_only():
    from tracker.timetravel import EARLIEST, LATEST, parse_as_of

    today = date(2026, 11, 22)
    assert parse_as_of(EARLIEST.isoformat(), today).day == EARLIEST
    assert parse_as_of(LATEST.isoformat(), today).day == LATEST
    for value in ("0001-01-01", "1899-12-31", "3000-01-01", "9999-12-31"):
        as_of = parse_as_of(value, today)
        assert (as_of.day, as_of.requested) == (today, False)
        assert "outside the dates we can show" in as_of.error
        assert f"between {EARLIEST} and {LATEST}" in as_of.problem
    long = parse_as_of("2026-11-22" + "9" * 10_000, today)
    assert "is not a date we can read" in long.error and len(long.error) < 200


@pytest.mark.parametrize("name", ["participants-csv", "participants-json"])
def test_a_download_as_of_outside_the_range_is_a_400_that_gives_the_range(seeded, client, name):
    from django.urls import reverse

    response = client.get(reverse(name, args=["hanoi-convention"]), {"as_of": "9999-12-31"})
    assert response.status_code == 400
    assert response.content.decode() == (
        "as_of must be a date between 1900-01-01 and 2999-12-31 (YYYY-MM-DD), not “9999-12-31”.\n"
    )


@pytest.mark.parametrize("day", [date.min, date(1900, 1, 1), date(2999, 12, 31), date.max])
def test_the_timeline_chart_is_drawn_up_to_the_ends_of_the_calendar(seeded, day):
    from tracker.charts import axis_months, chart_span, timeline_svg
    from tracker.snapshots import snapshot

    snap = snapshot(seeded, day)
    svg = timeline_svg(snap)  # no OverflowError near date.min or date.max
    assert svg.startswith("<svg")
    start, end = chart_span(snap)
    assert 1 <= len(axis_months(start, end)) <= 12  # a label a quarter, a year… never thousands
