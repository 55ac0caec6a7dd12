"""Reads: a treaty's actions as the rules engine wants them, and its status on a date."""

from dataclasses import replace
from datetime import date
from urllib.parse import urlsplit

from django.db.models import Max

from signatories.models import Action, DepositaryEntry, DomesticStep, Participant, Statement
from tracker import dataversion, rules, safe_cache
from tracker.models import DatePrecision, EndNote, Treaty

# The keys of the status object, in the order `treaty_status --json` and the API print them.
STATUS_KEYS = (
    "treaty",
    "as_of",
    "threshold",
    "signatories",
    "instruments_deposited",
    "instruments_counted",
    "remaining",
    "threshold_reached_on",
    "entry_into_force_on",
    "in_force",
    "parties",
    "signature_closes_on",
    "days_until_signature_closes",
    "days_until_entry_into_force",
    # Added after the keys above, which outside scripts pin: whether each derived date is
    # "exact" or only "on_or_before" (the real day may be earlier); null with no date.
    "threshold_reached_precision",
    "entry_into_force_precision",
    # The depositary's stated date of entry into force, or null, and what the treaty's rule
    # gives from the records (null without a rule). ``entry_into_force_on`` is the stated
    # date when there is one, else the computed one.
    "entry_into_force_stated_on",
    "entry_into_force_computed_on",
)


# The columns of an action that the rules engine reads (``action_record``).
ACTION_COLUMNS = ("participant__slug", "kind", "date", "participant__kind", "withdrawn_on", "date_precision")


def action_record(slug, kind, day, participant_kind, withdrawn_on, precision) -> rules.ActionRecord:
    """One row of ``ACTION_COLUMNS`` as the rules engine's record."""
    return rules.ActionRecord(
        participant=slug,
        kind=rules.ActionKind(kind),
        on=day,
        is_reio=participant_kind == Participant.Kind.REIO,
        withdrawn_on=withdrawn_on,
        on_or_before=precision == DatePrecision.ON_OR_BEFORE,
    )


def action_records(treaty: Treaty) -> list[rules.ActionRecord]:
    """All actions under ``treaty``, in one query, as plain records for the rules engine."""
    return [action_record(*row) for row in Action.objects.filter(treaty=treaty).values_list(*ACTION_COLUMNS)]


def treaty_status(treaty: Treaty, as_of: date | None = None) -> rules.Status:
    """The status of ``treaty`` on ``as_of`` (default: today in the treaty's time zone).

    The rules engine computes it from the records; the depositary's stated date of entry
    into force then stands for ``entry_into_force_on`` once it is known on ``as_of`` (the
    day has come, or the records reach the threshold), the computed date being kept beside
    it (``entry_into_force_computed_on``): a difference is shown, never hidden.
    """
    as_of = as_of or treaty.local_date()
    computed = rules.status_as_of(treaty_rule(treaty, as_of), action_records(treaty), as_of)
    return with_stated_date(treaty, computed)


def treaty_rule(treaty: Treaty, as_of: date) -> rules.TreatyRule | None:
    """The treaty's rule with the facts of other rows it depends on: the general date of the
    convention it is subject to (on ``as_of``), and the keys of its required participants."""
    if not treaty.has_rule:
        return None
    convention_on = None
    if treaty.subject_to_id:
        convention_on = treaty_status(treaty.subject_to, as_of).entry_into_force_on
    codes = treaty.required_codes
    found = dict(Participant.objects.filter(iso_alpha3__in=codes).values_list("iso_alpha3", "slug")) if codes else {}
    # A code no participant has any more keeps its place: the requirement cannot be met.
    requires = frozenset(found.get(code, f"missing:{code}") for code in codes)
    return treaty.rule_with(subject_to_on=convention_on, requires=requires)


def with_stated_date(treaty: Treaty, computed: rules.Status) -> rules.Status:
    """``computed`` with the depositary's stated date standing for the date of entry into force."""
    stated = treaty.entry_into_force_stated_on
    known = stated is not None and (computed.as_of >= stated or computed.threshold_reached_on is not None)
    return replace(
        computed,
        entry_into_force_on=stated if known else computed.entry_into_force_on,
        entry_into_force_on_or_before=False if known else computed.entry_into_force_on_or_before,
        entry_into_force_stated_on=stated,
        entry_into_force_computed_on=computed.entry_into_force_on,
    )


def precision(day: date | None, on_or_before: bool) -> str | None:
    """A derived date's precision as the JSON gives it, in ``DatePrecision``'s values."""
    if day is None:
        return None
    return (DatePrecision.ON_OR_BEFORE if on_or_before else DatePrecision.EXACT).value


def status_dict(treaty: Treaty, status: rules.Status) -> dict:
    """The status as the JSON object of `treaty_status --json`: exactly ``STATUS_KEYS``."""

    def iso(day: date | None) -> str | None:
        return day.isoformat() if day else None

    return {
        "treaty": treaty.slug,
        "as_of": iso(status.as_of),
        "threshold": status.threshold,
        "signatories": status.signatories,
        "instruments_deposited": status.instruments_deposited,
        "instruments_counted": status.instruments_counted,
        "remaining": status.remaining,
        "threshold_reached_on": iso(status.threshold_reached_on),
        "entry_into_force_on": iso(status.entry_into_force_on),
        "in_force": status.in_force,
        "parties": status.parties,
        "signature_closes_on": iso(status.signature_closes_on),
        "days_until_signature_closes": status.days_until_signature_closes,
        "days_until_entry_into_force": status.days_until_entry_into_force,
        "threshold_reached_precision": precision(
            status.threshold_reached_on, status.threshold_reached_on_or_before
        ),
        "entry_into_force_precision": precision(status.entry_into_force_on, status.entry_into_force_on_or_before),
        "entry_into_force_stated_on": iso(status.entry_into_force_stated_on),
        "entry_into_force_computed_on": iso(status.entry_into_force_computed_on),
    }


def data_changed_at(version: str | None = None) -> int:
    """When the data last changed, as a Unix time, from the data version."""
    return dataversion.changed_at(version or dataversion.current_version())


def cached_status_dict(treaty: Treaty, as_of: date | None = None, *, fresh: bool = False) -> dict:
    """``status_dict`` through the cache; any write to the data makes older entries unreachable.

    ``fresh`` computes it from the records (a client's ``Cache-Control: no-cache``) and
    stores the result for the others.
    """
    as_of = as_of or treaty.local_date()
    key = f"tracker:status:{treaty.slug}:{as_of.isoformat()}:{dataversion.current_version()}"
    found = None if fresh else safe_cache.get(key)
    if found is None:
        found = status_dict(treaty, treaty_status(treaty, as_of))
        safe_cache.set(key, found, timeout=24 * 60 * 60)
    return found


def last_changed():
    """When the tracked data last changed: the latest change of a treaty, action or step."""
    stamps = [
        model.objects.aggregate(latest=Max("updated_at"))["latest"] for model in (Treaty, Action, DomesticStep)
    ]
    return max((stamp for stamp in stamps if stamp), default=None)


# Reported figures that name a number the tracker computes, by the status key they match.
COMPARABLE_FIGURES = {
    "signatories": "signatories",
    "parties": "instruments_deposited",  # the depositary's "Parties": instruments in effect
    "ratifications": "instruments_deposited",
}


def reported_differences(treaty: Treaty, status: rules.Status) -> list[dict]:
    """Reported totals that differ from the records on ``status.as_of``.

    For each figure the tracker computes (signatories, ratifications): the depositary's
    latest report, then the latest report of any other source, each shown if it differs
    from what is recorded here.
    """
    figures = list(
        treaty.reported_figures.filter(figure__in=COMPARABLE_FIGURES, reported_on__lte=status.as_of)
        .select_related("source")
        .order_by("-reported_on", "-pk")
    )

    def from_depositary(figure) -> bool:
        return figure.source.url == treaty.depositary_url or is_depositary_url(figure.source.url)

    chosen = []
    for name, key in COMPARABLE_FIGURES.items():
        recorded, shown = getattr(status, key), set()
        for depositary in (True, False):
            latest = next((f for f in figures if f.figure == name and from_depositary(f) == depositary), None)
            if latest and latest.value != recorded and latest.value not in shown:
                chosen.append({"figure": latest, "recorded": recorded, "from_depositary": depositary})
                shown.add(latest.value)
    return chosen


def participant_history(participant, as_of: date) -> dict:
    """A participant's actions and domestic steps under every treaty, up to ``as_of``."""
    actions = (
        Action.objects.filter(participant=participant, date__lte=as_of)
        .select_related("treaty")
        .prefetch_related("sources")
        .order_by("treaty__short_title", "date")
    )
    steps = (
        DomesticStep.objects.filter(participant=participant, date__lte=as_of)
        .select_related("treaty")
        .prefetch_related("sources")
        .order_by("treaty__short_title", "date")
    )
    treaties: dict[int, dict] = {}
    for item, kind in [*((a, "actions") for a in actions), *((s, "steps") for s in steps)]:
        entry = treaties.setdefault(item.treaty_id, {"treaty": item.treaty, "actions": [], "steps": []})
        entry[kind].append(item)
    memberships = participant.memberships.select_related("organization")
    members = participant.members.select_related("member") if participant.is_reio else []
    return {"treaties": list(treaties.values()), "memberships": memberships, "members": members}


def is_depositary_url(url: str) -> bool:
    """Whether ``url`` is a page of the UN Treaty Collection, the Secretary-General's record."""
    return (urlsplit(url).hostname or "") == "treaties.un.org"


def depositary_records(participant, treaty_ids) -> dict[int, dict]:
    """What the depositary publishes of ``participant`` under each treaty of ``treaty_ids``,
    by treaty id, in three queries: its declarations, reservations and objections
    (``statements``), the end notes its row points to (``end_notes``, in the row's order) and
    the table's other columns (``extra_columns``: column, text, day as a date, marker).
    They are the depositary's page as last read, whatever day a page shows."""
    treaty_ids = list(treaty_ids)
    if not treaty_ids:
        return {}

    found: dict[int, dict] = {tid: {"statements": [], "end_notes": [], "extra_columns": []} for tid in treaty_ids}
    statements = Statement.objects.filter(participant=participant, treaty_id__in=treaty_ids).order_by("treaty_id", "id")
    for statement in statements:
        found[statement.treaty_id]["statements"].append(statement)
    entries = list(DepositaryEntry.objects.filter(participant=participant, treaty_id__in=treaty_ids))
    wanted = {(entry.treaty_id, str(number)) for entry in entries for number in entry.footnotes or []}
    notes = {}
    if wanted:
        numbers = {number for _, number in wanted}
        for note in EndNote.objects.filter(treaty_id__in=treaty_ids, number__in=numbers):
            notes[(note.treaty_id, note.number)] = note
    for entry in entries:
        record = found[entry.treaty_id]
        keys = [(entry.treaty_id, str(number)) for number in entry.footnotes or []]
        record["end_notes"] = [notes[key] for key in keys if key in notes]
        record["extra_columns"] = [extra_column(cell) for cell in entry.extra_columns or [] if isinstance(cell, dict)]
    return found


def extra_column(cell: dict) -> dict:
    """One of the depositary table's other columns, its day read as a date (None if it has none
    or it is not an ISO date)."""
    on = cell.get("on")
    if isinstance(on, str):
        try:
            on = date.fromisoformat(on)
        except ValueError:
            on = None
    return {
        "column": cell.get("column") or "",
        "text": cell.get("text") or "",
        "on": on if isinstance(on, date) else None,
        "marker": cell.get("marker") or "",
    }
