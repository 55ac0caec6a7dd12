"""The public pages: every treaty at a glance, a treaty's page, a participant's page.

Views stay thin: they read the ``as_of`` date and the table's query parameters, ask the
selectors for a snapshot, and render. Whole pages are cached (tracker.pagecache).
"""

from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from signatories.models import Participant, RegionalGroup
from tracker import charts, home_table, overview, tables, wording
from tracker.models import Treaty
from tracker.pagecache import CALENDAR, cached_page, choice, free_text, iso_date
from tracker.selectors import (
    depositary_records,
    last_changed,
    participant_history,
    reported_differences,
    status_dict,
    treaty_status,
)
from tracker.snapshots import snapshot
from tracker.sync.selectors import sync_state
from tracker.timetravel import parse_as_of
from tracker.worldmap import STANDING_LABELS, render_world_map


def healthz(request):
    """A liveness check for load balancers (and the trivial view of the page benchmark)."""
    return HttpResponse("ok", content_type="text/plain")


def headline(treaty: Treaty, as_of) -> dict:
    """What every page says about a treaty first: its status and the sources' other figures."""
    snap = snapshot(treaty, as_of.day)
    return {
        "treaty": treaty,
        "snap": snap,
        "entry_into_force_on": snap.status.entry_into_force_on,
        "status": status_dict(treaty, snap.status),
        "differences": reported_differences(treaty, snap.status),
        "dates": entry_into_force_dates(treaty, snap.status),
        "sync": sync_state(treaty),
    }


def entry_into_force_dates(treaty: Treaty, status) -> dict:
    """The stated and the computed date of entry into force as the pages compare them.

    The stated date is shown once it is known on the day shown (the day came, or the
    records reach the threshold): selectors.with_stated_date then puts it in
    ``entry_into_force_on``. ``differ`` says that the computed date is another one, or that
    the records give none although the treaty has a rule.
    """
    stated = status.entry_into_force_stated_on
    stated_known = stated is not None and status.entry_into_force_on == stated
    computed = status.entry_into_force_computed_on
    return {
        "stated": stated if stated_known else None,
        "article": treaty.entry_into_force_stated_article,
        "computed": computed,
        "has_rule": treaty.has_rule,
        "out_of_scope": treaty.rule_out_of_scope.strip(),
        "rule_words": wording.treaty_rule_words(treaty),
        "side_by_side": stated_known or not treaty.has_rule,
        "differ": stated_known and treaty.has_rule and computed != stated,
    }


# The query parameters each page reads, and their canonical forms (tracker.pagecache):
# the cache keys a page by these alone, and the view sees no other.
TABLE_PARAMS = {
    "group": choice(RegionalGroup.values),
    "status": choice(tables.STANDINGS, other=""),
    "q": free_text,
    "ordering": choice([*tables.SORT_KEYS, *(f"-{key}" for key in tables.SORT_KEYS)], other=""),
    # The words of earlier links, still read (tables.TableQuery.from_params).
    "sort": choice(tables.SORT_KEYS, other=""),
    "order": choice(["desc"], other=""),
}


@cached_page(as_of=iso_date)
def home(request):
    """The featured treaty's headline, then every tracked treaty in one table.

    The table's statuses are computed together (tracker.overview: a fixed number of
    queries, however many treaties the depositary import brought); only the featured
    treaty has the full headline, with the sources' other figures and the last read of the
    depositary.
    """
    as_of = parse_as_of(request.GET.get("as_of"), timezone.localdate(timezone.now(), CALENDAR))
    lines = overview.treaty_lines(as_of.day)
    featured = lines[0].treaty if lines and lines[0].treaty.slug == overview.FEATURED else None
    context = {
        "featured": featured_card(featured, as_of.day) if featured else None,
        "lines": lines,
        "table_rows": mark_safe(home_table.rows(lines, as_of.query)),  # every text escaped there
        "as_of": as_of,
        "last_changed": last_changed(),
    }
    return render(request, "tracker/home.html", context)


def featured_card(treaty: Treaty, day) -> dict:
    """The headline of the featured treaty: its full status, not the list's summary."""
    status = treaty_status(treaty, day)
    return {
        "treaty": treaty,
        "status": status_dict(treaty, status),
        "entry_into_force_on": status.entry_into_force_on,
        "differences": reported_differences(treaty, status),
        "dates": entry_into_force_dates(treaty, status),
        "sync": sync_state(treaty),
    }


@cached_page(as_of=iso_date, **TABLE_PARAMS)
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
        "off_map": [(row, off_map_label(row, as_of.day)) for row in world_map.off_map],
        "status_labels": STANDING_LABELS,
        "timeline": charts.timeline_svg(snap),
        "rows": tables.apply(snap.rows, query),
        "query": query,
        "groups": RegionalGroup.choices,
        "statuses": [(standing, STANDING_LABELS[standing]) for standing in tables.STANDINGS],
        "sort_columns": sort_columns(query, as_of.query),
        "citations": treaty.citations.select_related("source"),
        "reported_figures": treaty.reported_figures.select_related("source"),
        "end_notes": list(treaty.end_notes.order_by("id")),
    }
    return render(request, "tracker/treaty.html", context)


def off_map_label(row, day) -> str:
    """What the list beside the map says of a participant: its standing, and its withdrawal."""
    text = STANDING_LABELS[row.standing]
    if row.withdrawal is not None:
        words = row.withdrawal_text(wording.long_date)
        return words[0].upper() + words[1:] if row.withdrawn else f"{text}; {words}"
    return text


@cached_page(as_of=iso_date)
def participant_page(request, key):
    """All a participant did under every treaty, its domestic steps, notes and sources."""
    participant = find_participant(key)
    as_of = parse_as_of(request.GET.get("as_of"), timezone.localdate(timezone.now(), CALENDAR))
    history = participant_history(participant, as_of.day)
    records = depositary_records(participant, [entry["treaty"].pk for entry in history["treaties"]])
    for entry in history["treaties"]:
        entry.update(records.get(entry["treaty"].pk, {}))
        for action in entry["actions"]:
            action.withdrawal = withdrawal_of(action, as_of.day)
    context = {"participant": participant, "as_of": as_of} | history
    return render(request, "tracker/participant.html", context)


def withdrawal_of(action, day) -> dict | None:
    """An action's withdrawal as the participant's page shows it on ``day``; None without one
    (or one not yet notified on that day)."""
    if action.withdrawn_on is None:
        return None
    notified = action.withdrawal_notified_on
    if notified is not None and notified > day and action.withdrawn_on > day:
        return None
    return {
        "kind": action.get_withdrawal_kind_display() or "Withdrawal",
        "notified_on": notified,
        "takes_effect_on": action.withdrawn_on,
        "in_effect": action.withdrawn_on <= day,
    }


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
        # A click on the active column reverses it; on another, sorts by it ascending.
        ordering = key if active and query.descending else f"-{key}" if active else key
        params = {"group": query.group, "status": query.status, "q": query.q, "ordering": ordering}
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
