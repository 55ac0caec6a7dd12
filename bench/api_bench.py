"""Benchmark: requests per second of the REST API against a trivial view, on gunicorn.

    .venv/bin/python bench/api_bench.py [--duration 10] [--connections 16] [--threads 2] [--rounds 3]
                                        [--workers 2] [--conn-max-age SECONDS] [--check]

In one run (as bench/pages_bench.py does for the pages): drops and creates the PostgreSQL
database ``tracker_api_bench`` on 127.0.0.1 (user postgres), migrates and seeds it, adds a
made-up treaty of 200 participants (every participant signed, three in four ratified, each
action citing one made-up source; then ANALYZE) and a token holder, starts gunicorn
(``config.wsgi``, 2 sync workers, as in the Procfile) on a free 127.0.0.1 port with production settings
(DJANGO_DEBUG=false, a secret key, the cache in Redis database 8, the throttle raised to
API_ANON_RATE=API_USER_RATE=1000000/second so that it measures the work, not the 429s),
checks each URL once (and the X-API-Cache header that says whether the API served a
response from its cache), then runs wrk against:

- ``/healthz/``: a plain "ok", the cost of Django itself (the trivial view);
- ``/api/v1/treaties/hanoi-convention/status/``: the status JSON, served from the API's
  cache (``X-API-Cache: hit``) (goal: 0.6 of the trivial view);
- ``/api/v1/participants/?page_size=200``: every participant with aliases and memberships,
  computed on each request: ``Cache-Control: no-cache`` (``X-API-Cache: miss``) (goal: 0.3);
- the same list as any client gets it, from the API's cache (no goal: for comparison);
- the same list with ``If-None-Match: <its ETag>``, answered 304 Not Modified (goal: 0.8);
- the made-up treaty's 200 participants with their standing
  (``/api/v1/treaties/made-up-200/participants/?page_size=200``), computed on each request:
  with ``Cache-Control: no-cache``, and with a token (goal: 0.15 each).

Each URL is measured ``--rounds`` times, in turns, and the round of median requests per
second is kept; the table gives the requests per second, latency, ratio to the trivial
view and the database queries of one request (counted in this process, through the whole
middleware, with the same headers).

Then, side by side in this process, one request at a time through the whole middleware
(Django's test client), ``--rounds`` rounds in turns, it prints the median milliseconds,
the queries and the ratio to the trivial view of: the trivial view, the made-up treaty's
list computed (no-cache, and with a token) (goal: 0.15), and its naive DRF peer: a
``ListAPIView`` with nested ``ModelSerializer``s and no prefetch, defined in this script only
(``naive_peer_view``) and routed beside the project's URLs in this process only, outside
/api/ (so without the API's cache middleware, which only makes it cheaper) (goal: ours at
least 20 times as fast). The peer is not sent to wrk: one request of it takes longer than
wrk's time limit of 2 s on a busy machine.

The load average is printed before and after. Then it stops gunicorn, drops the database
and empties Redis database 8. ``--check`` makes the exit status 1 when a goal is missed.
Needs wrk from Debian (``apt-get install -y wrk``). All traffic stays on 127.0.0.1; every
step has a time limit.
"""

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import types
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import _server

DATABASE = "tracker_api_bench"
REDIS_URL = "redis://127.0.0.1:6379/8"
STATUS = "/api/v1/treaties/hanoi-convention/status/"
LIST = "/api/v1/participants/?page_size=200"
# The made-up treaty of 200 participants, its list of participants and the naive peer's.
MADE_UP = "made-up-200"
TABLE = f"/api/v1/treaties/{MADE_UP}/participants/?page_size=200"
PEER = f"/bench/naive/{MADE_UP}/participants/?page_size=200"
PEER_URLCONF = "api_bench_urls"
# Makes the API compute the response afresh, though it has a copy in its cache.
NO_CACHE = {"Cache-Control": "no-cache"}
# What the URL column says after the path for the headers a target sends.
HEADER_NOTES = {"If-None-Match": " (If-None-Match)", "Cache-Control": " (no-cache)", "Authorization": " (token)"}
# The made-up treaty's list computed: at least this ratio to the trivial view, and at least
# this many times as fast as the naive peer.
TABLE_GOAL = 0.15
PEER_GOAL = 20


class Target:
    def __init__(
        self, label: str, path: str, goal: float | None, expect: int = 200, headers: dict | None = None
    ):
        self.label, self.path, self.goal, self.expect, self.headers = label, path, goal, expect, headers or {}

    @property
    def shown(self) -> str:
        """The path, and which header wrk sends with it."""
        return self.path + "".join(HEADER_NOTES[name] for name in self.headers)


# --- the data: a made-up treaty of 200 participants, and a token holder -------------------


def add_made_up_treaty() -> None:
    """A made-up treaty of 200 participants: the seeded ones and made-up States to make 200;
    each signed on the first day, three in four ratified after, each action citing one
    made-up source. Written in bulk: the seeded data are untouched."""
    from django.db import connection

    from signatories.models import Action, Participant
    from tracker.models import Source, Treaty

    have = list(Participant.objects.order_by("pk"))
    extra = [Participant(name=f"Made-up State {n}", slug=f"made-up-state-{n}") for n in range(200 - len(have))]
    participants = have + Participant.objects.bulk_create(extra)
    opened = date(2025, 10, 25)
    treaty = Treaty.objects.create(
        slug=MADE_UP, short_title="A made-up treaty of 200 participants", title="A made-up treaty",
        adopted_on=date(2024, 12, 24), signature_opens_on=opened, threshold=40, entry_into_force_delay="90d",
        later_joiner_delay="30d",
    )  # fmt: skip
    actions = [Action(treaty=treaty, participant=p, kind="signature", date=opened) for p in participants]
    actions += [
        Action(treaty=treaty, participant=p, kind="ratification", date=opened + timedelta(days=30 + i))
        for i, p in enumerate(participants) if i % 4
    ]  # fmt: skip
    actions = Action.objects.bulk_create(actions)
    source = Source.objects.create(url="https://example.org/made-up-treaty", title="A made-up source")
    Link = Action.sources.through
    Link.objects.bulk_create([Link(action=action, source=source) for action in actions])
    # The statistics autovacuum would have gathered after such writes: without them the
    # planner takes the new treaty for an empty one, and loops where it should hash.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def token_key() -> str:
    """The token of a user who may only read, as a script's would be."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_user("bench-reader")
    return Token.objects.create(user=user).key


# --- the naive DRF peer -------------------------------------------------------------------


def naive_peer_view():
    """The list of a treaty's participants as a DRF ``ListAPIView`` with nested
    ``ModelSerializer``s usually starts: one serializer per row, the participant's actions,
    sources and depositary entry read through the relations with no prefetch (so a few
    queries a row), the standing from the treaty's status computed once a request. The same
    fields as the API's rows, from the same rules; in this script only."""
    from drf_spectacular.utils import extend_schema
    from rest_framework import generics, serializers

    from signatories.models import DepositaryEntry, Participant
    from tracker import rules
    from tracker.api.serializers import participant_key, source_kind
    from tracker.models import Source, Treaty
    from tracker.selectors import treaty_status

    class SourceSerializer(serializers.ModelSerializer):
        kind = serializers.SerializerMethodField()

        class Meta:
            model = Source
            fields = ["id", "title", "url", "kind"]

        def get_kind(self, source):
            return source_kind(source)

    class ParticipantSerializer(serializers.ModelSerializer):
        key = serializers.SerializerMethodField()
        iso3 = serializers.CharField(source="iso_alpha3")

        class Meta:
            model = Participant
            fields = ["key", "iso3", "slug", "name", "kind"]

        def get_key(self, participant):
            return participant_key(participant)

    class RowSerializer(serializers.ModelSerializer):
        participant = ParticipantSerializer(source="*")
        un_regional_group_label = serializers.CharField(source="get_un_regional_group_display")
        status = serializers.SerializerMethodField()
        signature_type = serializers.SerializerMethodField()
        signature_date = serializers.SerializerMethodField()
        instrument = serializers.SerializerMethodField()
        instrument_date = serializers.SerializerMethodField()
        entry_into_force_for_it = serializers.SerializerMethodField()
        sources = serializers.SerializerMethodField()
        end_notes = serializers.SerializerMethodField()

        class Meta:
            model = Participant
            fields = [
                "participant", "un_regional_group", "un_regional_group_label", "status", "signature_type",
                "signature_date", "instrument", "instrument_date", "entry_into_force_for_it", "sources", "end_notes",
            ]  # fmt: skip

        def to_representation(self, participant):
            # Its actions under the treaty, read once for all the row's fields.
            found = participant.actions.filter(treaty=self.context["treaty"], date__lte=self.context["as_of"])
            participant.treaty_actions = list(found)
            return super().to_representation(participant)

        def signature(self, participant):
            return next((a for a in participant.treaty_actions if a.is_signature), None)

        def instrument_of(self, participant):
            return next((a for a in participant.treaty_actions if a.binds), None)

        def get_status(self, participant):
            status, slug = self.context["status"], participant.slug
            return rules.participant_status(status, slug, slug in status.signed, slug in status.with_instrument).value

        def get_signature_type(self, participant):
            found = self.signature(participant)
            return found.kind if found else None

        def get_signature_date(self, participant):
            found = self.signature(participant)
            return found.date if found else None

        def get_instrument(self, participant):
            found = self.instrument_of(participant)
            return found.kind if found else None

        def get_instrument_date(self, participant):
            found = self.instrument_of(participant)
            return found.date if found else None

        def get_entry_into_force_for_it(self, participant):
            return self.context["status"].entry_into_force_for.get(participant.slug)

        def get_sources(self, participant):
            sources = [s for a in participant.treaty_actions for s in a.sources.all()]
            return SourceSerializer(list({s.pk: s for s in sources}.values()), many=True).data

        def get_end_notes(self, participant):
            entry = DepositaryEntry.objects.filter(treaty=self.context["treaty"], participant=participant).first()
            return [str(number) for number in entry.footnotes] if entry else []

    @extend_schema(exclude=True)  # not part of the API's schema
    class NaiveParticipantsView(generics.ListAPIView):
        serializer_class = RowSerializer
        filter_backends = []

        def get_queryset(self):
            treaty = Treaty.objects.get(slug=self.kwargs["slug"])
            return Participant.objects.filter(actions__treaty=treaty).distinct().order_by("name")

        def get_serializer_context(self):
            treaty = Treaty.objects.get(slug=self.kwargs["slug"])
            as_of = treaty.local_date()
            return super().get_serializer_context() | {
                "treaty": treaty, "as_of": as_of, "status": treaty_status(treaty, as_of),
            }  # fmt: skip

    return NaiveParticipantsView.as_view()


def install_peer() -> None:
    """Serve the naive peer beside the project's URLs: a URLconf of this script, made the
    root one. Django must be set up."""
    from django.conf import settings
    from django.urls import include, path

    urls = types.ModuleType(PEER_URLCONF)
    urls.urlpatterns = [
        path("bench/naive/<slug:slug>/participants/", naive_peer_view()),
        path("", include(settings.ROOT_URLCONF)),
    ]
    urls.handler404 = "tracker.api.errors.not_found"
    sys.modules[PEER_URLCONF] = urls
    settings.ROOT_URLCONF = PEER_URLCONF


# --- the checks before measuring ----------------------------------------------------------


def check_list(base: str) -> str:
    """Check that the list holds the participants and that a request with its ETag is an
    empty 304; returns the ETag."""
    status, body, headers = _server.fetch(base + LIST)
    data = json.loads(body) if status == 200 else {}
    if status != 200 or len(data.get("results", [])) != min(200, data.get("count", 0)) or data["count"] < 190:
        _server.fail(f"{LIST} answered {status} without the participants: {body[:500]!r}")
    etag = headers.get("ETag")
    if not etag:
        _server.fail(f"{LIST} has no ETag")
    status, body, _ = _server.fetch(base + LIST, {"If-None-Match": etag})
    if status != 304 or body:
        _server.fail(f"{LIST} with If-None-Match: {etag} answered {status}, not an empty 304")
    return etag


def check_table(base: str, path: str, headers: dict) -> None:
    """Check that ``path`` lists the made-up treaty's 200 participants."""
    status, body, _ = _server.fetch(base + path, headers, timeout=60)
    table_rows(path, status, body)


def table_rows(path: str, status: int, body: bytes) -> list[dict]:
    """The rows of a list of the made-up treaty's participants: all 200, their standings
    those of the rules (a fourth signed only, the others in force); fails otherwise."""
    rows = json.loads(body).get("results", []) if status == 200 else []
    standings = sorted({row["status"] for row in rows})
    if len(rows) != 200 or standings != ["in_force", "signed"]:
        _server.fail(f"{path} answered {status} without the 200 participants: {body[:500]!r}")
    return rows


def cache_state(base: str, path: str, what: str, headers: dict | None = None) -> str:
    """The X-API-Cache header of a request of ``path`` ("hit" or "miss"); fails when the API
    leaves it out. ``what`` names the response in that message."""
    status, body, response_headers = _server.fetch(base + path, headers)
    if status != 200:
        _server.fail(f"{path} answered {status}: {body[:500]!r}")
    state = response_headers.get("X-API-Cache")
    if state is None:
        _server.fail(f"the API does not say whether it served the {what} from its cache "
                     f"({path} has no X-API-Cache header)")  # fmt: skip
    return state


def check_api_cache(base: str) -> None:
    """After a first request, the list and the status come from the API's cache, and the lists
    asked with Cache-Control: no-cache are computed afresh (what wrk measures)."""
    for path, what in ((LIST, "list"), (STATUS, "status")):
        state = cache_state(base, path, what)
        if state != "hit":
            _server.fail(f"{path} was not served from the API's cache the second time (X-API-Cache: {state})")
    for path in (LIST, TABLE):
        state = cache_state(base, path, "list", NO_CACHE)
        if state != "miss":
            _server.fail(f"{path} with Cache-Control: no-cache was not computed afresh (X-API-Cache: {state})")


def check_targets(base: str, token: str) -> list[Target]:
    """Request each URL once (warming the caches) and check that it is the real answer and
    what the API's cache does with it; returns the targets, the conditional one with the
    ETag of the list."""
    status, body, _ = _server.fetch(base + "/healthz/")
    if status != 200 or body != b"ok":
        _server.fail(f"/healthz/ answered {status}: {body[:200]!r}")
    status, body, _ = _server.fetch(base + STATUS)
    if status != 200 or json.loads(body).get("treaty") != "hanoi-convention":
        _server.fail(f"{STATUS} answered {status}: {body[:500]!r}")
    etag = check_list(base)
    with_token = {"Authorization": f"Token {token}"}
    for headers in (NO_CACHE, with_token):
        check_table(base, TABLE, headers)
    check_api_cache(base)
    return [
        Target("trivial view", "/healthz/", None),
        Target("status", STATUS, 0.6),
        Target("200-row list", LIST, 0.3, headers=NO_CACHE),
        # No goal: what a client that does not send no-cache gets, for comparison.
        Target("list from cache", LIST, None),
        Target("304 of the list", LIST, 0.8, expect=304, headers={"If-None-Match": etag}),
        Target("200 standings", TABLE, TABLE_GOAL, headers=NO_CACHE),
        Target("200 st., token", TABLE, TABLE_GOAL, headers=with_token),
    ]


# --- measuring ----------------------------------------------------------------------------


def measure(base: str, targets: list[Target], args) -> dict[str, dict]:
    """wrk against each target, ``args.rounds`` times in turns; the round of median requests
    per second of each, by label."""
    rounds: dict[str, list[dict]] = {target.label: [] for target in targets}
    for _ in range(args.rounds):
        for target in targets:
            # Let the workers finish what the previous wrk left queued (slow lists).
            time.sleep(3)
            rounds[target.label].append(_server.wrk(base + target.path, target.headers, args))
    return {label: median_round(found) for label, found in rounds.items()}


def median_round(found: list[dict]) -> dict:
    """The round of median requests per second (the lower middle one of an even number)."""
    ordered = sorted(found, key=lambda result: result["rps"])
    return ordered[(len(ordered) - 1) // 2]


def count_queries(base: str, targets: list[Target]) -> dict[str, int]:
    """The database queries of one request of each target, in this process, through the
    whole middleware (the API's cache included) with the target's headers and gunicorn's
    host (the cache's key has it)."""
    from django.db import connection
    from django.test import Client

    client, counted = Client(HTTP_HOST=urlsplit(base).netloc), {}

    def count(execute, sql, params, many, context):
        counted[label] += 1
        return execute(sql, params, many, context)

    for target in targets:
        label, headers = target.label, {name.lower(): value for name, value in target.headers.items()}
        client.get(target.path, headers=headers)  # warm up this process, as gunicorn's workers are
        counted[label] = 0
        with connection.execute_wrapper(count):
            response = client.get(target.path, headers=headers)
        if response.status_code != target.expect:
            _server.fail(f"{target.shown} answered {response.status_code} in this process")
    return counted


# --- side by side in this process: the trivial view, ours and the naive peer -------------

# What each round times, by label: the path, its headers and how many requests (the peer
# takes a second or more each, slower than wrk's time limit of 2 s when the machine is busy).
SIDE_BY_SIDE = (
    ("trivial view", "/healthz/", {}, 40),
    ("200 standings", TABLE, NO_CACHE, 8),
    ("200 st., token", TABLE, "token", 8),
    ("naive DRF peer", PEER, {}, 2),
)


def side_by_side(base: str, token: str, rounds: int) -> dict[str, tuple[float, int]]:
    """The median milliseconds and the queries of one request of each of ``SIDE_BY_SIDE``,
    one request at a time in this process (Django's test client, through the whole
    middleware), ``rounds`` rounds in turns; checks that the lists give the 200 rows."""
    from django.db import connection
    from django.test import Client

    client, counted = Client(HTTP_HOST=urlsplit(base).netloc), {}
    targets = [(label, path, {"authorization": f"Token {token}"} if headers == "token" else
                {name.lower(): value for name, value in headers.items()}, times)
               for label, path, headers, times in SIDE_BY_SIDE]  # fmt: skip

    def count(execute, sql, params, many, context):
        counted[label] += 1
        return execute(sql, params, many, context)

    for label, path, headers, _ in targets:
        response = client.get(path, headers=headers)  # warm up, and check
        if path != "/healthz/":
            table_rows(path, response.status_code, response.content)
        counted[label] = 0
        with connection.execute_wrapper(count):
            client.get(path, headers=headers)
    samples: dict[str, list[float]] = {label: [] for label, *_ in targets}
    for _ in range(rounds):
        for label, path, headers, times in targets:
            for _ in range(times):
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                samples[label].append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    _server.fail(f"{path} answered {response.status_code} in this process")
    return {label: (statistics.median(found), counted[label]) for label, found in samples.items()}


def print_side_by_side(measured: dict[str, tuple[float, int]], rounds: int) -> bool:
    """The table of ``side_by_side``; returns whether a goal was missed."""
    print(f"\nside by side in this process, one request at a time through the whole middleware; "
          f"median of {rounds} round(s) of {', '.join(f'{t} {label}' for label, _, _, t in SIDE_BY_SIDE)}:")  # fmt: skip
    print(f"{'':<17}{'URL':<70}{'ms':>10}{'queries':>8}{'ratio':>7}  goal")
    trivial, missed = measured["trivial view"][0], False
    for label, path, headers, _ in SIDE_BY_SIDE:
        took, queries = measured[label]
        shown = path + (" (token)" if headers == "token" else "".join(HEADER_NOTES[name] for name in headers))
        verdict = ""
        if path == TABLE:
            missed |= trivial / took < TABLE_GOAL
            verdict = f"{TABLE_GOAL:<4} {'met' if trivial / took >= TABLE_GOAL else 'MISSED'}"
        print(f"{label:<17}{shown:<70}{took:>10.2f}{queries:>8}{trivial / took:>7.3f}  {verdict}")
    peer = measured["naive DRF peer"][0]
    for label in ("200 standings", "200 st., token"):
        times = peer / measured[label][0]
        missed |= times < PEER_GOAL
        print(f"{label} against the naive DRF peer: x{times:.1f} as fast "
              f"(goal: x{PEER_GOAL} {'met' if times >= PEER_GOAL else 'MISSED'})")  # fmt: skip
    return missed


def print_results(targets: list[Target], results: dict[str, dict], queries: dict[str, int], args) -> int:
    """The table of the results; returns the exit status."""
    trivial = results["trivial view"]["rps"]
    if not trivial:
        _server.fail(f"the trivial view answered nothing: {results}")
    print()
    if args.conn_max_age == 0:
        print(
            "note: CONN_MAX_AGE 0: every API request that reads the database opens a new PostgreSQL\n"
            "      connection (the trivial view and the 304 read none); the default keeps them 60 s."
        )
    print(f"{'':<17}{'URL':<70}{'req/s':>9}{'avg ms':>9}{'p99 ms':>9}{'errors':>8}{'queries':>8}{'ratio':>7}  goal")
    missed = False
    for target in targets:
        result = results[target.label]
        ratio = result["rps"] / trivial
        if target.goal is None:
            verdict = ""
        else:
            met = ratio >= target.goal
            missed |= not met
            verdict = f"{target.goal:<4} {'met' if met else 'MISSED'}"
        print(f"{target.label:<17}{target.shown:<70}{result['rps']:>9.0f}{result['latency'] * 1000:>9.2f}"
              f"{result['p99'] * 1000:>9.2f}{result['non_2xx']:>8}{queries[target.label]:>8}{ratio:>7.3f}  {verdict}")  # fmt: skip
        if result["socket_errors"]:
            print(f"{'':<17}socket errors: {result['socket_errors']}")
    if any(result["non_2xx"] for result in results.values()):
        print(
            "some responses were errors (not 2xx or 3xx): the figures are not to be trusted", file=sys.stderr
        )
        return 1
    return 1 if args.check and missed else 0


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def set_up_django(env: dict) -> None:
    """Django in this process, on the benchmark's database: to write the made-up data and
    count the queries."""
    os.environ.update(env)
    sys.path.insert(0, str(_server.ROOT))
    import django

    django.setup()


def main() -> int:
    parser = _server.options(__doc__)
    parser.set_defaults(rounds=3)
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        _server.fail("wrk is missing: install Debian's with `apt-get install -y wrk`.")

    var_dir = Path(tempfile.mkdtemp(prefix="api_bench_"))
    env = _server.environment(DATABASE, REDIS_URL, var_dir, args.conn_max_age) | {
        # The benchmark lifts the throttle (anonymous and token holders' alike) so that it
        # measures the work, not the 429s.
        "API_ANON_RATE": "1000000/second",
        "API_USER_RATE": "1000000/second",
    }
    server, django_ready = None, False
    print(f"load before: {load()}", flush=True)
    try:
        print(f"database {DATABASE}: migrate, seed, a made-up treaty of 200 participants", flush=True)
        _server.prepare_database(sys.executable, env, DATABASE, REDIS_URL)
        set_up_django(env)
        django_ready = True
        add_made_up_treaty()
        token = token_key()
        install_peer()
        server, base = _server.start_gunicorn(sys.executable, env, var_dir, args.workers)
        targets = check_targets(base, token)
        queries = count_queries(base, targets)
        # This script keeps the median round, not the best.
        print(_server.describe(args, base).replace("best kept", "median kept"), flush=True)
        results = measure(base, targets, args)
        # The 304s were 304s to the end: no write moved the data version during the run.
        conditional = next(target for target in targets if target.expect == 304)
        time.sleep(3)  # what the last wrk left queued
        if _server.fetch(base + conditional.path, conditional.headers, timeout=60)[0] != 304:
            _server.fail("the conditional request was no longer answered 304 after the run")
        if any(result["non_2xx"] for result in results.values()):
            _server.report_errors(var_dir)
        print("side by side in this process", flush=True)
        measured = side_by_side(base, token, args.rounds)
    finally:
        print(f"load after: {load()}", flush=True)
        if django_ready:
            from django.db import connections

            connections.close_all()
        _server.clean_up(server, DATABASE, REDIS_URL, var_dir)
    status = print_results(targets, results, queries, args)
    missed = print_side_by_side(measured, args.rounds)
    return status or (1 if args.check and missed else 0)


if __name__ == "__main__":
    sys.exit(main())
