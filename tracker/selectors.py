"""Reads: a treaty's actions as the rules engine wants them, and its status on a date."""

from datetime import date

from tracker import dataversion, rules, safe_cache
from tracker.models import DatePrecision, Treaty

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
)


def action_records(treaty: Treaty) -> list[rules.ActionRecord]:
    """All actions under ``treaty``, in one query, as plain records for the rules engine."""
    from signatories.models import Action, Participant

    rows = Action.objects.filter(treaty=treaty).values_list(
        "participant__slug", "kind", "date", "participant__kind", "withdrawn_on", "date_precision"
    )
    return [
        rules.ActionRecord(
            participant=slug,
            kind=rules.ActionKind(kind),
            on=day,
            is_reio=participant_kind == Participant.Kind.REIO,
            withdrawn_on=withdrawn_on,
            on_or_before=precision == DatePrecision.ON_OR_BEFORE,
        )
        for slug, kind, day, participant_kind, withdrawn_on, precision in rows
    ]


def treaty_status(treaty: Treaty, as_of: date | None = None) -> rules.Status:
    """The status of ``treaty`` on ``as_of`` (default: today in the treaty's time zone)."""
    return rules.status_as_of(treaty.rule, action_records(treaty), as_of or treaty.local_date())


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
    from django.db.models import Max

    from signatories.models import Action, DomesticStep

    stamps = [
        model.objects.aggregate(latest=Max("updated_at"))["latest"] for model in (Treaty, Action, DomesticStep)
    ]
    return max((stamp for stamp in stamps if stamp), default=None)


# Reported figures that name a number the tracker computes, by the status key they match.
COMPARABLE_FIGURES = {"signatories": "signatories", "ratifications": "instruments_deposited"}


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
        return bool(treaty.depositary_url) and figure.source.url == treaty.depositary_url

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
    from signatories.models import Action, DomesticStep

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
