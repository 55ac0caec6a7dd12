"""The public pages: every treaty at a glance, a treaty's page, a participant's page.

Views stay thin: they read the ``as_of`` date and the table's query parameters, ask the
selectors for a snapshot, and render. Whole pages are cached (tracker.pagecache).
"""

from html import escape
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from signatories.models import Participant, RegionalGroup
from tracker import charts, home_table, links, overview, rules, table_rows, tables, wording
from tracker.catalogue import cited
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


# The home page's list: a search, a status and an order (tracker.home_table). A value
# the list does not know is served as sent, never stored, and the page says so.
HOME_PARAMS = {
    "q": free_text,
    "status": choice(home_table.STATUS_FILTERS),
    "ordering": choice(home_table.ORDERINGS),
}


@cached_page(as_of=iso_date, **HOME_PARAMS)
def home(request):
    """The featured treaty's headline, then every tracked treaty in one table, which a
    visitor searches, filters by status and sorts.

    The table's statuses are computed together (tracker.overview: a fixed number of
    queries, however many treaties the depositary import brought); only the featured
    treaty has the full headline, with the sources' other figures and the last read of the
    depositary. The search and the filter run over those lines in Python.
    """
    as_of = parse_as_of(request.GET.get("as_of"), timezone.localdate(timezone.now(), CALENDAR))
    lines = overview.treaty_lines(as_of.day)
    asked = {name: request.GET.get(name, "").strip() for name in HOME_PARAMS}
    finding = {
        "q": asked["q"],
        "status": asked["status"].lower() if asked["status"].lower() in home_table.STATUS_FILTERS else "",
        "ordering": asked["ordering"].lower() if asked["ordering"].lower() in home_table.ORDERINGS else "",
    }
    shown = home_table.select(lines, **finding)
    featured = lines[0].treaty if lines and lines[0].treaty.slug == overview.FEATURED else None
    filtered = bool(finding["q"] or finding["status"])
    context = {
        "featured": featured_card(featured, as_of.day) if featured and not filtered else None,
        "lines": lines,
        "shown": shown,
        "finding": finding,
        "filtered": filtered,
        "problems": home_table.problems(asked),
        "status_filters": home_table.STATUS_FILTERS,
        "orderings": home_table.ORDERINGS,
        "table_rows": mark_safe(home_table.rows(shown, as_of.query)),  # every text escaped there
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
    page_of = links.participant_links()
    world_map = render_world_map(snap.rows, link=lambda row: page_of(row.participant))
    context = {
        "treaty": treaty,
        "snap": snap,
        "headline_card": card,
        "as_of": as_of,
        "map": world_map,
        "off_map": [(row, off_map_label(row, as_of.day)) for row in world_map.off_map],
        "status_labels": STANDING_LABELS,
        "timeline": charts.timeline_svg(snap),
        "timeline_rows": charts.figure_rows(snap.timeline),
        "rows": tables.apply(snap.rows, query),
        "query": query,
        "groups": RegionalGroup.choices,
        "statuses": [(standing, STANDING_LABELS[standing]) for standing in tables.STANDINGS],
        "sort_columns": sort_columns(query, as_of.query),
        "citations": treaty.citations.select_related("source"),
        "reported_figures": treaty.reported_figures.select_related("source"),
        "end_notes": list(treaty.end_notes.order_by("id")),
        "embed": embed_snippets(treaty),
    }
    return render(request, "tracker/treaty.html", context)


def embed_snippets(treaty: Treaty) -> dict:
    """The code a news site copies to show the treaty's headline or badge (tracker.embeds),
    with the site's public address (SITE_URL), not the address this request came by."""
    site = settings.SITE_URL.rstrip("/")
    frame = site + reverse("treaty-embed", args=[treaty.slug])
    badge = site + reverse("treaty-badge", args=[treaty.slug])
    page = site + reverse("treaty", args=[treaty.slug])
    title = escape(f"{treaty.short_title}: where it stands")
    return {
        "iframe": f'<iframe src="{frame}" title="{title}" width="100%" height="560" style="border:0" loading="lazy"></iframe>',
        "badge": f'<a href="{page}"><img src="{badge}" alt="{title}" height="20"></a>',
    }


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
    # Every treaty's status from the home page's list (kept in the cache for the days it
    # holds): the date a treaty is in force for this participant needs its general date.
    lines = {line.treaty.pk: line for line in overview.treaty_lines(as_of.day)} if history["treaties"] else {}
    for entry in history["treaties"]:
        entry.update(records.get(entry["treaty"].pk, {}))
        for action in entry["actions"]:
            action.withdrawal = withdrawal_of(action, as_of.day)
        for item in (*entry["actions"], *entry["steps"]):
            # Short titles as links: a long URL in a cell made rows hundreds of pixels tall on a phone.
            item.cited = cited(item.sources.all())
        entry["standing"] = standing_of(entry["actions"], as_of.day, lines.get(entry["treaty"].pk), participant)
    context = {"participant": participant, "as_of": as_of} | history
    return render(request, "tracker/participant.html", context)


# The summary's standings, named as the map's legend and colours name them (palette.css).
STANDING_WORDS = {
    "in_force": "In force for it",
    "deposited": "Instrument deposited",
    "signed": "Signed",
    "withdrawn": "Withdrawn",
    "not_signed": "No signature or instrument in effect",
}


def standing_of(actions, day, line: overview.TreatyLine | None = None, participant=None) -> dict:
    """Where a participant stands under one treaty on ``day``, from its actions there (already
    read) and the treaty's line on the home page: its standing, and the steps that say so,
    each with its date ("signed 25 Oct 2025", "in force for it since 1 Mar 2026")."""
    signature = next((a for a in actions if a.is_signature and a.in_effect_on(day)), None)
    instrument = next((a for a in actions if a.binds and a.in_effect_on(day)), None)
    in_force = line.entry_into_force_for(own_records(actions, participant)) if line and instrument else None
    steps = []
    if signature is not None:
        steps.append(step("signed", signature.date, signature.on_or_before))
    if instrument is not None and instrument is not signature:
        steps.append(step(f"{instrument.get_kind_display().lower()} deposited", instrument.date, instrument.on_or_before))
    elif instrument is None and signature is not None:
        steps.append(step("no instrument deposited yet"))
    if in_force is not None:
        words = "in force for it since" if in_force.on <= day else "enters into force for it on"
        steps.append(step(words, in_force.on, in_force.on_or_before))
    for action in actions:
        if action.withdrawal:
            verb = "took effect" if action.withdrawal["in_effect"] else "takes effect"
            words = f"{action.get_kind_display().lower()} withdrawn, the withdrawal {verb} on"
            steps.append(step(words, action.withdrawal["takes_effect_on"]))
    if in_force is not None and in_force.on <= day:
        standing = "in_force"
    elif instrument is not None:
        standing = "deposited"
    elif signature is not None:
        standing = "signed"
    else:
        standing = "withdrawn" if any(a.withdrawal and a.withdrawal["in_effect"] for a in actions) else "not_signed"
    return {"standing": standing, "label": STANDING_WORDS[standing], "steps": steps}


def own_records(actions, participant) -> list[rules.ActionRecord]:
    """One participant's actions as the rules engine reads them (its own, already known:
    no query for each action's participant)."""
    return [
        rules.ActionRecord(participant.pk, rules.ActionKind(a.kind), a.date, participant.is_reio, a.withdrawn_on, a.on_or_before)
        for a in actions
    ]


def step(words: str, on=None, on_or_before: bool = False) -> dict:
    return {"words": words, "on": on, "on_or_before": on_or_before}


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


# The sortable columns: all but the sources, named as the rows' cells name them.
SORT_LABELS = {key: label for key, label in table_rows.LABELS.items() if key != "sources"}


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
