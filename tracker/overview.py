"""Every treaty's status on one day, for the home page's list, in a fixed number of queries.

``treaty_status`` (tracker.selectors) reads one treaty's actions, its required
participants and, for a protocol, its convention's status: three queries or more a
treaty, which for the 560 treaties of the UN collection made the home page take 30
seconds. Here:

- the records are read once for all treaties (treaties, actions, required participants,
  regional organizations), and the rules engine computes each status from memory with the
  same functions, so that a treaty's line says what its page says;
- each treaty's summary is kept in the cache under a fingerprint of what it is computed
  from: its rule, its stated date, its convention's date, and the last change of its
  actions in their audit history (every write of an action leaves a row there, deletes
  included). A write to one treaty recomputes only that treaty: one treaty's actions are
  read, not 130,000;
- a summary is kept with the days it holds for (rules.unchanged_span): a status changes only
  on a day something is dated, so a new day recomputes only the treaties for which
  something happens that day, not all of them.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

from django.db.models import Max

from signatories.models import Action, Participant
from tracker import rules, safe_cache, wording
from tracker.models import DatePrecision, Treaty
from tracker.selectors import with_stated_date

LINE_TIMEOUT = 2 * 24 * 60 * 60
# The treaty the tracker began with: listed first, and shown in full on the home page.
FEATURED = "hanoi-convention"


@dataclass(frozen=True)
class Summary:
    """What the list shows of a treaty's status (rules.Status without its per-participant sets)."""

    as_of: date
    threshold: int | None
    signatories: int
    instruments_deposited: int
    instruments_counted: int
    threshold_reached_on: date | None
    threshold_reached_on_or_before: bool
    entry_into_force_on: date | None
    entry_into_force_on_or_before: bool
    signature_closes_on: date | None
    parties: int

    @classmethod
    def of(cls, status: rules.Status) -> "Summary":
        fields = {name: getattr(status, name) for name in cls.__dataclass_fields__}
        return cls(**fields)

    @property
    def in_force(self) -> bool:
        return self.entry_into_force_on is not None and self.entry_into_force_on <= self.as_of

    @property
    def days_until_signature_closes(self) -> int | None:
        if self.signature_closes_on is None or self.as_of > self.signature_closes_on:
            return None
        return (self.signature_closes_on - self.as_of).days


@dataclass(frozen=True)
class TreatyLine:
    """One treaty on the home page: the treaty, its status on the day, its rule in words."""

    treaty: Treaty
    status: Summary
    rule_words: str
    rule: rules.TreatyRule | None = None

    def entry_into_force_for(self, actions: list[rules.ActionRecord]) -> rules.Day | None:
        """The date the treaty enters (or entered) into force for a participant with these
        ``actions`` under it, as rules.status_as_of gives it: none without an instrument in
        effect on the line's day, nor before the threshold is reached."""
        day, reached = self.status.as_of, self.status.threshold_reached_on
        held = [action for action in actions if action.on <= day and action.binds and action.effective_on(day)]
        if self.rule is None or reached is None or not held:
            return None
        threshold = rules.Day(reached, self.status.threshold_reached_on_or_before)
        return rules.entry_into_force_for(self.rule, rules.joined_on(held), threshold)

    @property
    def progress(self) -> float:
        """How far the counted instruments are toward the threshold (1 for a treaty in force)."""
        if self.status.in_force:
            return 1.0
        threshold = self.status.threshold
        return min(1.0, self.status.instruments_counted / threshold) if threshold else 0.0


def treaty_lines(day: date) -> list[TreatyLine]:
    """Every treaty with its status on ``day``: five queries, whatever their number."""
    treaties = {treaty.pk: treaty for treaty in Treaty.objects.all()}
    requires = required_keys(treaties.values())
    changes = last_changes()
    summaries: dict[int, Summary] = {}
    rules_of: dict[int, rules.TreatyRule | None] = {}
    # Conventions before their protocols: a protocol's rule holds its convention's date.
    for layer in layers(treaties):
        rules_of |= {pk: rule_of(treaties[pk], summaries, requires) for pk in layer}
        keys = {pk: line_key(treaties[pk], rules_of[pk], changes.get(pk)) for pk in layer}
        found = safe_cache.get_many(list(keys.values()))
        held = {pk: span.on(day) for pk in layer for span in found.get(keys[pk], ()) if span.holds(day)}
        missing = [pk for pk in layer if pk not in held]
        computed = compute(missing, {pk: rules_of[pk] for pk in missing}, treaties, day) if missing else {}
        kept = {keys[pk]: remember(span, found.get(keys[pk], ())) for pk, span in computed.items()}
        safe_cache.set_many(kept, timeout=LINE_TIMEOUT)
        summaries |= held | {pk: span.summary for pk, span in computed.items()}
    return [
        TreatyLine(treaty, summaries[treaty.pk], wording.treaty_rule_words(treaty), rules_of[treaty.pk])
        for treaty in sorted(treaties.values(), key=lambda t: (t.slug != FEATURED, t.short_title))
    ]


def layers(treaties: dict[int, Treaty]) -> list[list[int]]:
    """The treaties' ids in layers: those subject to no treaty first, then their protocols…
    A cycle, which Treaty.clean() refuses, would be left out of no layer: its last members
    are put in the last one (their convention then counts as having no date)."""
    placed: dict[int, int] = {}
    pending = set(treaties)
    while pending:
        ready = {pk for pk in pending if treaties[pk].subject_to_id not in pending or treaties[pk].subject_to_id == pk}
        ready = ready or set(pending)  # a cycle: break it
        placed |= {pk: len(set(placed.values())) for pk in ready}
        pending -= ready
    found: dict[int, list[int]] = defaultdict(list)
    for pk, layer in placed.items():
        found[layer].append(pk)
    return [found[layer] for layer in sorted(found)]


def rule_of(treaty: Treaty, summaries: dict[int, Summary], requires) -> rules.TreatyRule | None:
    if not treaty.has_rule:
        return None
    convention = summaries.get(treaty.subject_to_id)
    convention_on = convention.entry_into_force_on if convention is not None else None
    return treaty.rule_with(subject_to_on=convention_on, requires=requires(treaty))


def line_key(treaty: Treaty, rule, last_change) -> str:
    """The cache key of a treaty's summaries: all they are computed from but the day."""
    # The required participants sorted: a set's order may differ from one process to another.
    required = sorted(map(str, rule.requires)) if rule is not None else []
    plain = replace(rule, requires=frozenset()) if rule is not None else None
    basis = repr((plain, required, treaty.entry_into_force_stated_on, last_change))
    return f"tracker:lines:{treaty.pk}:{hashlib.blake2b(basis.encode(), digest_size=12).hexdigest()}"


def last_changes() -> dict[int, int]:
    """The last audit record of each treaty's actions: it moves on every write of one."""
    history = Action.history.model.objects.values("treaty_id").annotate(last=Max("history_id"))
    return {row["treaty_id"]: row["last"] for row in history}


@dataclass(frozen=True)
class Span:
    """A summary and the days it holds for: from ``starts`` to the day before ``ends``
    (None: until something new is recorded)."""

    starts: date
    ends: date | None
    summary: Summary

    def holds(self, day: date) -> bool:
        return self.starts <= day and (self.ends is None or day < self.ends)

    def on(self, day: date) -> Summary:
        return replace(self.summary, as_of=day)


# Spans kept per treaty: today's, and a few days that visitors look back (or ahead) to,
# so that a page of another day does not push today's out.
SPANS_KEPT = 4


def remember(span: Span, spans) -> list[Span]:
    """``span`` first, then up to SPANS_KEPT - 1 of the ``spans`` already kept."""
    return [span, *[other for other in spans if not other.holds(span.summary.as_of)]][:SPANS_KEPT]


def compute(pks: list[int], rules_of: dict, treaties: dict[int, Treaty], day: date) -> dict[int, Span]:
    """The summaries of the treaties ``pks`` on ``day``, with the days each holds for, from
    their actions (one query)."""
    actions = actions_by_treaty(pks)
    spans = {}
    for pk in pks:
        stated = treaties[pk].entry_into_force_stated_on
        status = with_stated_date(treaties[pk], rules.status_as_of(rules_of[pk], actions[pk], day))
        starts, ends = rules.unchanged_span(actions[pk], status, also=[stated])
        spans[pk] = Span(starts, ends, Summary.of(status))
    return spans


# The rules engine's kinds by their stored value: a dict look-up, where ActionKind(value)
# costs a few microseconds an action, a third of the time with 100,000 actions.
KINDS = {kind.value: kind for kind in rules.ActionKind}


def actions_by_treaty(pks: list[int]) -> dict[int, list[rules.ActionRecord]]:
    """The actions of the treaties ``pks`` as the rules engine's records, by treaty: one
    query, on the actions' table alone. Participants are keyed by their id (the rules
    engine takes any stable key), regional organizations known by theirs."""
    reio = set(Participant.objects.filter(kind=Participant.Kind.REIO).values_list("pk", flat=True))
    on_or_before = DatePrecision.ON_OR_BEFORE.value
    found: dict[int, list[rules.ActionRecord]] = defaultdict(list)
    rows = Action.objects.filter(treaty_id__in=pks).values_list(
        "treaty_id", "participant_id", "kind", "date", "withdrawn_on", "date_precision"
    )
    for treaty_id, participant, kind, day, withdrawn_on, precision in rows:
        found[treaty_id].append(
            rules.ActionRecord(participant, KINDS[kind], day, participant in reio, withdrawn_on, precision == on_or_before)
        )
    return found


def required_keys(treaties):
    """A function giving each treaty's required participants as ``actions_by_treaty`` keys
    them (by id): one query for the codes of every treaty."""
    codes = {code for treaty in treaties for code in treaty.required_codes}
    ids = dict(Participant.objects.filter(iso_alpha3__in=codes).values_list("iso_alpha3", "pk")) if codes else {}

    def keys(treaty: Treaty) -> frozenset:
        # A code no participant has any more keeps its place: the requirement cannot be met.
        return frozenset(ids.get(code, f"missing:{code}") for code in treaty.required_codes)

    return keys
