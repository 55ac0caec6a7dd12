"""An Atom feed of the actions recorded under a treaty, and an iCalendar file of its key dates.

The calendar is written by hand (RFC 5545 needs little: CRLF lines folded at 75 octets,
escaped text), so that it adds no dependency.

Event UIDs carry the event's date (``signature-closes-20261231-hanoi-convention@treaty-tracker``):
a date that moves (a corrected deadline, an entry into force brought forward by a
correction) gives a new event rather than a new SEQUENCE of the old one. A SEQUENCE must
only grow, which would need a counter stored per event; a subscribed calendar is replaced
whole on each refresh anyway, so the event at the old date simply disappears.
"""

from dataclasses import dataclass
from datetime import UTC, date, timedelta

import icalendar
from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from signatories.models import Action, Participant
from tracker.models import DatePrecision, Treaty
from tracker.rules import Status
from tracker.selectors import treaty_status
from tracker.wording import delay_words, ordinal

FEED_LENGTH = 50
# The authority of tag: URIs and iCalendar UIDs: fixed, so that ids do not change with
# the host name the site is served under.
AUTHORITY = "treaty-tracker"
PRODID = "-//Treaty Ratification Tracker//Key dates//EN"


def participant_url(participant: Participant) -> str:
    """The participant's page, by lower-cased ISO alpha-3 code, or slug for the EU (no code)."""
    key = participant.iso_alpha3.lower() if participant.iso_alpha3 else participant.slug
    return reverse("participant", args=[key])


def action_day(action: Action) -> str:
    """The action's date, with "on or before" when only the latest possible day is known."""
    prefix = "on or before " if action.date_precision == DatePrecision.ON_OR_BEFORE else "on "
    return prefix + action.date.isoformat()


class ActionsFeed(Feed):
    """The latest actions (signatures, deposits) recorded under a treaty, newest first.

    Ordered by when they were recorded, not by their date: a subscriber wants to hear of
    a correction or a late-reported signature, whatever day it happened.
    """

    feed_type = Atom1Feed
    item_guid_is_permalink = False

    def get_object(self, request, slug: str) -> Treaty:
        return get_object_or_404(Treaty, slug=slug)

    def title(self, treaty: Treaty) -> str:
        return f"{treaty.short_title}: signatures and instruments recorded"

    def subtitle(self, treaty: Treaty) -> str:
        return f"New and corrected actions under the {treaty.short_title} ({treaty.title})."

    def link(self, treaty: Treaty) -> str:
        return reverse("treaty", args=[treaty.slug])

    def feed_url(self, treaty: Treaty) -> str:
        return reverse("actions-feed", args=[treaty.slug])

    def feed_guid(self, treaty: Treaty) -> str:
        return f"tag:{AUTHORITY},2024:treaty/{treaty.slug}/actions"

    def items(self, treaty: Treaty):
        # -pk breaks ties between actions saved within the same instant (a bulk import).
        return (
            Action.objects.filter(treaty=treaty)
            .select_related("participant", "treaty")
            .order_by("-created_at", "-pk")[:FEED_LENGTH]
        )

    def item_title(self, action: Action) -> str:
        what = action.get_kind_display().lower()
        on_or_before = action.date_precision == DatePrecision.ON_OR_BEFORE
        day = action_day(action) if on_or_before else action.date.isoformat()  # "on 2026-…" reads badly here
        return f"{action.participant.name}: {what} of the {action.treaty.short_title} ({day})"

    def item_description(self, action: Action) -> str:
        parts = [f"{action.get_kind_display()} {action_day(action)}"]
        if action.place:
            parts[0] += f" in {action.place}"
        parts.append(f"Confidence: {action.get_confidence_display().lower()}")
        if action.cn_reference:
            parts.append(f"C.N. reference: {action.cn_reference}")
        if action.withdrawn_on:
            what = action.get_withdrawal_kind_display() or "Withdrawal"
            notified = action.withdrawal_notified_on
            text = f"{what} notified on {notified.isoformat()}; " if notified else f"{what}: "
            took = "took" if action.withdrawn_on <= action.treaty.local_date() else "takes"
            parts.append(f"{text}{took} effect on {action.withdrawn_on.isoformat()}")
        if action.note:
            parts.append(f"Note: {action.note}")
        # Atom1Feed marks the summary as type="html": escape it, so that a note reading
        # "<b>" shows as typed instead of being taken for markup by the feed reader.
        return escape(". ".join(part.rstrip(".") for part in parts) + ".")

    def item_link(self, action: Action) -> str:
        return participant_url(action.participant)

    def item_guid(self, action: Action) -> str:
        # The primary key never changes, even when the action's date or kind is corrected.
        return f"tag:{AUTHORITY},2024:action/{action.pk}"

    def item_pubdate(self, action: Action):
        return action.created_at

    def item_updateddate(self, action: Action):
        return action.updated_at


# iCalendar ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyDate:
    """An all-day event of the calendar."""

    uid_name: str
    day: date
    summary: str
    description: str


def key_dates(treaty: Treaty) -> list[KeyDate]:
    """The treaty's key dates that are known today: opening, deadline, entry into force."""
    name = treaty.short_title
    events = []
    if treaty.signature_opens_on:
        venues = treaty.signature_venues or "The first day the treaty can be signed."
        events.append(
            KeyDate("signature-opens", treaty.signature_opens_on, f"{name} opens for signature", venues)
        )
    if treaty.signature_closes_on:
        events.append(
            KeyDate(
                "signature-closes",
                treaty.signature_closes_on,
                f"Last day to sign the {name}",
                f"The {name} is open for signature until this day; afterwards States join by accession.",
            )
        )
    status = treaty_status(treaty)
    if status.entry_into_force_on:  # nothing while the threshold is not reached: the date is unknown
        events.append(entry_into_force_event(treaty, status))
    return events


def entry_into_force_event(treaty: Treaty, status: Status) -> KeyDate:
    """The day of entry into force, once fixed. Derived from an instrument dated only "on or
    before", it is the latest day it can be: the event says so, rather than pass it for exact
    (an all-day event still, on that latest day, as a calendar has no "by" date)."""
    name = treaty.short_title
    stated = status.entry_into_force_stated_on
    if stated is not None and status.entry_into_force_on == stated:
        article = treaty.entry_into_force_stated_article
        under = f" under {article}" if article else ""
        computed = status.entry_into_force_computed_on
        differs = ""
        if treaty.has_rule and computed != stated:
            found = computed.isoformat() if computed else "none"
            differs = f" The date computed from the depositary's records differs ({found}); the depositary's date stands."
        return KeyDate(
            "entry-into-force",
            stated,
            f"Entry into force of the {name}",
            f"The depositary states that the {name} {'entered' if status.in_force else 'enters'} into force "
            f"on {stated.isoformat()}{under}.{differs}",
        )
    reached = status.threshold_reached_on.isoformat()
    nth, delay = ordinal(treaty.threshold), delay_words(treaty.entry_into_force_delay)
    if not status.entry_into_force_on_or_before:
        return KeyDate(
            "entry-into-force",
            status.entry_into_force_on,
            f"Entry into force of the {name}",
            f"The date is fixed: the {nth} instrument was deposited on {reached}, and the {name} "
            f"enters into force on {delay} it.",
        )
    return KeyDate(
        "entry-into-force",
        status.entry_into_force_on,
        f"Entry into force of the {name} (on or before this day)",
        f"The {name} enters into force on or before {status.entry_into_force_on.isoformat()}: {delay} "
        f"the {nth} instrument, deposited on or before {reached} (an instrument is dated only "
        "“on or before”), so it may be earlier.",
    )


def vevent(treaty: Treaty, event: KeyDate, stamp, url: str) -> icalendar.Event:
    """One all-day event (DTEND is exclusive: the next day)."""
    entry = icalendar.Event()
    entry.add("uid", f"{event.uid_name}-{event.day:%Y%m%d}-{treaty.slug}@{AUTHORITY}")
    entry.add("dtstamp", stamp)
    entry.add("dtstart", event.day)
    entry.add("dtend", event.day + timedelta(days=1))
    entry.add("summary", event.summary)
    entry.add("description", event.description)
    entry.add("url", url)
    entry.add("transp", "TRANSPARENT")  # a date to remember, not time the subscriber is busy
    return entry


def calendar_text(treaty: Treaty, url: str) -> str:
    """The whole VCALENDAR (RFC 5545), written by the icalendar package: escaped, folded at
    75 octets, CRLF-terminated."""
    calendar = icalendar.Calendar()
    for name, value in (("version", "2.0"), ("prodid", PRODID), ("calscale", "GREGORIAN"), ("method", "PUBLISH")):
        calendar.add(name, value)
    # An X- property has no type of its own in the package: say it is TEXT, to be escaped.
    calendar.add("x-wr-calname", icalendar.vText(f"{treaty.short_title}: key dates"))
    stamp = timezone.now().astimezone(UTC).replace(microsecond=0)
    for event in key_dates(treaty):
        calendar.add_component(vevent(treaty, event, stamp, url))
    return calendar.to_ical().decode("utf-8")


def key_dates_calendar(request, slug: str) -> HttpResponse:
    """The treaty's key dates as an iCalendar file to subscribe to."""
    treaty = get_object_or_404(Treaty, slug=slug)
    url = request.build_absolute_uri(reverse("treaty", args=[treaty.slug]))
    response = HttpResponse(calendar_text(treaty, url), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{treaty.slug}-key-dates.ics"'
    return response
