"""The public pages: every treaty at a glance, a treaty's page, a participant's page.

Views stay thin: they read the ``as_of`` date and the table's query parameters, ask the
selectors for a snapshot, and render. Whole pages are cached (tracker.pagecache).
"""

from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from signatories.models import Participant, RegionalGroup
from tracker import charts, tables
from tracker.models import Treaty
from tracker.pagecache import CALENDAR, cached_page
from tracker.rules import ParticipantStatus
from tracker.selectors import last_changed, participant_history, reported_differences, status_dict
from tracker.snapshots import snapshot
from tracker.timetravel import parse_as_of
from tracker.worldmap import STATUS_LABELS, render_world_map


def healthz(request):
    """A liveness check for load balancers (and the trivial view of the page benchmark)."""
    return HttpResponse("ok", content_type="text/plain")


def headline(treaty: Treaty, as_of) -> dict:
    """What every page says about a treaty first: its status and the sources' other figures."""
    snap = snapshot(treaty, as_of.day)
    return {
        "treaty": treaty,
        "snap": snap,
        "status": status_dict(treaty, snap.status),
        "differences": reported_differences(treaty, snap.status),
    }


@cached_page
def home(request):
    """Every tracked treaty at a glance, the Hanoi Convention first."""
    treaties = sorted(Treaty.objects.all(), key=lambda t: (t.slug != "hanoi-convention", t.short_title))
    today = treaties[0].local_date() if treaties else None
    as_of = parse_as_of(request.GET.get("as_of"), today) if today else None
    context = {
        "cards": [headline(treaty, as_of) for treaty in treaties],
        "as_of": as_of,
        "last_changed": last_changed(),
    }
    return render(request, "tracker/home.html", context)


@cached_page
def treaty_page(request, slug):
    """A treaty's headline, map, timeline and participants table, on any date."""
    treaty = get_object_or_404(Treaty, slug=slug)
    as_of = parse_as_of(request.GET.get("as_of"), treaty.local_date())
    card = headline(treaty, as_of)
    snap = card["snap"]
    query = tables.TableQuery.from_params(request.GET)
    world_map = render_world_map(snap.rows, link=participant_url)
    context = {
        "treaty": treaty,
        "snap": snap,
        "headline_card": card,
        "as_of": as_of,
        "map": world_map,
        "off_map": [(row, STATUS_LABELS[row.status]) for row in world_map.off_map],
        "status_labels": STATUS_LABELS,
        "timeline": charts.timeline_svg(snap),
        "rows": tables.apply(snap.rows, query),
        "query": query,
        "groups": RegionalGroup.choices,
        "statuses": [(s.value, STATUS_LABELS[s]) for s in ParticipantStatus],
        "sort_columns": sort_columns(query, as_of.query),
        "citations": treaty.citations.select_related("source"),
        "reported_figures": treaty.reported_figures.select_related("source"),
    }
    return render(request, "tracker/treaty.html", context)


@cached_page
def participant_page(request, key):
    """All a participant did under every treaty, its domestic steps, notes and sources."""
    participant = find_participant(key)
    as_of = parse_as_of(request.GET.get("as_of"), timezone.localdate(timezone.now(), CALENDAR))
    context = {"participant": participant, "as_of": as_of} | participant_history(participant, as_of.day)
    return render(request, "tracker/participant.html", context)


def find_participant(key: str) -> Participant:
    """A participant by ISO alpha-3 code (any case) or slug."""
    found = Participant.objects.filter(iso_alpha3=key.upper()).first() if len(key) == 3 else None
    if found is None:
        found = Participant.objects.filter(slug=key.lower()).first()
    if found is None:
        raise Http404("No participant with that code or name.")
    return found


def participant_url(row) -> str:
    participant = row.participant
    return reverse("participant", args=[(participant.iso_alpha3 or participant.slug).lower()])


SORT_LABELS = {
    "name": "Participant",
    "group": "UN regional group",
    "signature": "Signed",
    "instrument": "Instrument",
    "deposit": "Deposited",
    "in_force": "In force for it",
    "confidence": "Confidence",
}


def sort_columns(query: tables.TableQuery, as_of_query: str) -> list[dict]:
    """The table's column headers, each with the query string that sorts by it."""
    columns = []
    for key, label in SORT_LABELS.items():
        active = query.sort == key
        order = "asc" if active and query.descending else "desc" if active else "asc"
        params = {"group": query.group, "status": query.status, "q": query.q, "sort": key, "order": order}
        encoded = urlencode({name: value for name, value in params.items() if value})
        columns.append(
            {
                "key": key,
                "label": label,
                "query": f"{as_of_query}&{encoded}" if as_of_query else encoded,
                "aria_sort": ("descending" if query.descending else "ascending") if active else "none",
            }
        )
    return columns
