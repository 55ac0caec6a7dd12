"""A treaty's participants with their standing, as ``treaties/{slug}/participants/`` lists
them: read as plain values in a fixed number of queries, then built into the API's rows.

The rows go through the same code as the treaty's page and downloads
(``tracker.snapshots``' choice of the signature, instrument and withdrawal in effect,
``ParticipantRow``, ``tracker.tables.apply`` and ``tracker.downloads.participant_record``),
from light records standing for the model instances: building a model instance for every
participant, action, link and source (and the aliases of every participant) cost most of
a request, and a list needs no timeline. One query reads the actions with their
participants, the depositary's entries of these (end notes, other columns) and the
sources. Every participant is read only when ``status=not_signed`` asks for those without
a record, and the aliases only for a search (``q``).
"""

from datetime import date

from django.db.models import FilteredRelation, Q

from signatories.models import (
    CONSENT_VALUES,
    SIGNATURE_VALUES,
    Action,
    Participant,
    ParticipantAlias,
    RegionalGroup,
)
from tracker import rules, tables
from tracker.api.serializers import participant_ref, source_ref
from tracker.downloads import participant_record
from tracker.models import DatePrecision, Source, Treaty
from tracker.selectors import action_record, extra_column, treaty_rule, with_stated_date
from tracker.snapshots import first_in_effect, row_of, withdrawals_to_show

SIGNATURES = frozenset(SIGNATURE_VALUES)
CONSENT = frozenset(CONSENT_VALUES)
LABELS = dict(RegionalGroup.choices)
# A participant's columns, then those of its depositary entry under the treaty (``entry``).
PARTICIPANT_COLUMNS = (
    "id", "slug", "name", "kind", "iso_alpha3", "un_regional_group", "entry__footnotes", "entry__extra_columns",
)  # fmt: skip
ACTION_FIELDS = (
    "id", "kind", "date", "date_precision", "withdrawn_on", "withdrawal_notified_on", "cn_reference",
    "confidence", "note",
)  # fmt: skip
SOURCE_FIELDS = ("id", "title", "url", "seed_article")
# One row per action and source it cites (or one with no source): the action, its
# participant and its entry, the source.
ACTION_COLUMNS = (
    *ACTION_FIELDS, *(f"participant__{name}" for name in PARTICIPANT_COLUMNS[:-2]), *PARTICIPANT_COLUMNS[-2:],
    *(f"sources__{name}" for name in SOURCE_FIELDS),
)  # fmt: skip
# The fields of the instrument's (or signature's) record the API's row repeats as they are.
RECORD_FIELDS = (
    "signature_type", "signature_date", "instrument", "instrument_date", "date_precision",
    "entry_into_force_for_it", "entry_into_force_for_it_precision", "withdrawal",
    "withdrawal_notified_on", "withdrawal_effective_on", "confidence", "cn_reference",
)  # fmt: skip


class ActionFacts:
    """An action as the snapshot's code reads it (``Action``'s fields and properties), from
    ``ACTION_FIELDS`` and its participant; ``cited`` its sources (``SourceFacts``), in
    Source's order."""

    __slots__ = (
        "pk", "kind", "date", "date_precision", "withdrawn_on", "withdrawal_notified_on", "cn_reference",
        "confidence", "note", "participant", "participant_id", "is_signature", "binds", "cited",
    )  # fmt: skip

    def __init__(self, fields, participant: "ParticipantFacts"):
        (self.pk, self.kind, self.date, self.date_precision, self.withdrawn_on, self.withdrawal_notified_on,
         self.cn_reference, self.confidence, self.note) = fields  # fmt: skip
        self.participant, self.participant_id = participant, participant.pk
        self.is_signature = self.kind in SIGNATURES
        self.binds = self.kind in CONSENT  # consent to be bound: an instrument, or a definitive signature
        self.cited = []

    @property
    def on_or_before(self) -> bool:
        return self.date_precision == DatePrecision.ON_OR_BEFORE

    def in_effect_on(self, day: date) -> bool:
        """As ``Action.in_effect_on``: done, and not withdrawn, by the end of ``day``."""
        return self.date <= day and (self.withdrawn_on is None or self.withdrawn_on > day)

    def record(self) -> rules.ActionRecord:
        """The action as the rules engine reads it (``tracker.selectors.action_record``)."""
        participant = self.participant
        return action_record(
            participant.slug, self.kind, self.date, participant.kind, self.withdrawn_on, self.date_precision
        )


class SourceFacts:
    """A cited source: what ``participant_record`` and ``source_ref`` read, and its ``ref``
    (the object the API nests), built once however many rows cite it."""

    __slots__ = ("pk", "title", "url", "seed_article", "ref")

    def __init__(self, pk, title, url, seed_article):
        self.pk, self.title, self.url, self.seed_article = pk, title, url, seed_article
        self.ref = source_ref(self)


class ParticipantFacts:
    """A participant as the rows read it (``Participant``'s fields), from one row of
    ``PARTICIPANT_COLUMNS``, with the end notes and other columns of its depositary entry
    (None without one); ``alias_names``, which the table's search reads, filled only for a
    search."""

    __slots__ = (
        "pk", "slug", "name", "kind", "iso_alpha3", "un_regional_group", "footnotes", "extra_columns", "alias_names",
    )  # fmt: skip

    def __init__(self, pk, slug, name, kind, iso_alpha3, un_regional_group, footnotes, extra_columns):
        self.pk, self.slug, self.name, self.kind = pk, slug, name, kind
        self.iso_alpha3, self.un_regional_group = iso_alpha3, un_regional_group
        self.footnotes, self.extra_columns, self.alias_names = footnotes, extra_columns, []

    @property
    def is_reio(self) -> bool:
        return self.kind == Participant.Kind.REIO

    def get_un_regional_group_display(self) -> str:
        return LABELS.get(self.un_regional_group, self.un_regional_group)


def with_entry(queryset, treaty: Treaty, relation: str):
    """``queryset`` with its participants' depositary entries under ``treaty`` as ``entry``
    (a left join: None without one)."""
    condition = Q(**{f"{relation}__treaty": treaty})
    return queryset.annotate(entry=FilteredRelation(relation, condition=condition))


def treaty_actions(treaty: Treaty) -> tuple[list[ActionFacts], list[ParticipantFacts]]:
    """The treaty's actions, with their sources as ``cited``, and the participants they are
    of, by name (the snapshot's order, which the table's sort keeps among equals): one query."""
    ordering = ("participant__name", "date", "id", *(f"sources__{name}" for name in Source._meta.ordering), "sources__id")
    found = with_entry(Action.objects.filter(treaty=treaty), treaty, "participant__depositary_entries")
    found = found.order_by(*ordering).values_list(*ACTION_COLUMNS)
    actions: dict[int, ActionFacts] = {}
    participants: dict[int, ParticipantFacts] = {}
    sources: dict[int, SourceFacts] = {}
    split, after = len(ACTION_FIELDS), len(ACTION_FIELDS) + len(PARTICIPANT_COLUMNS)
    for row in found:
        action = actions.get(row[0])
        if action is None:
            participant = participants.get(row[split])
            if participant is None:
                participant = participants[row[split]] = ParticipantFacts(*row[split:after])
            action = actions[row[0]] = ActionFacts(row[:split], participant)
        source_id = row[after]
        if source_id is not None:
            source = sources.get(source_id)
            if source is None:
                source = sources[source_id] = SourceFacts(*row[after:])
            action.cited.append(source)
    return list(actions.values()), list(participants.values())


def participants(treaty: Treaty, involved: list[ParticipantFacts], query: tables.TableQuery) -> list[ParticipantFacts]:
    """The participants the rows may list, by name: those with an action under the treaty
    (``involved``), or every participant when the query asks for those that have not signed;
    with their aliases for a search."""
    listed = involved
    if query.status == rules.ParticipantStatus.NOT_SIGNED:
        everyone = with_entry(Participant.objects.order_by("name"), treaty, "depositary_entries")
        everyone = everyone.values_list(*PARTICIPANT_COLUMNS)
        listed = [ParticipantFacts(*row) for row in everyone]
    if query.q:
        by_id = {participant.pk: participant for participant in listed}
        for participant_id, name in ParticipantAlias.objects.order_by().values_list("participant_id", "name"):
            if participant_id in by_id:
                by_id[participant_id].alias_names.append(name)
    return listed


def standing_rows(treaty: Treaty, as_of: date, query: tables.TableQuery) -> list:
    """The table's rows (``ParticipantRow``) the query selects on ``as_of``, in its order: the
    snapshot's rows for the same day, without the timeline."""
    actions, involved = treaty_actions(treaty)
    rule = treaty_rule(treaty, as_of)
    status = with_stated_date(treaty, rules.status_as_of(rule, [action.record() for action in actions], as_of))
    signatures = first_in_effect((a for a in actions if a.is_signature), as_of)
    instruments = first_in_effect((a for a in actions if a.binds), as_of)
    withdrawals = withdrawals_to_show(actions, signatures, instruments, as_of)
    listed = participants(treaty, involved, query)
    rows = [row_of(participant, status, signatures, instruments) for participant in listed]
    for row in rows:
        row.withdrawal, row.as_of = withdrawals.get(row.participant.pk), as_of
    return tables.apply(rows, query)


def participant_status(row) -> dict:
    """A participant's row of ``treaties/{slug}/participants/`` (ParticipantStatusSerializer's
    fields, in its order)."""
    record = participant_record(row)
    participant = row.participant
    footnotes, extra = participant.footnotes, participant.extra_columns
    return {
        "participant": participant_ref(participant),
        "un_regional_group": participant.un_regional_group or None,
        "un_regional_group_label": participant.get_un_regional_group_display() or None,
        "status": record["status"],
        "standing": record["standing"],
        **{key: record[key] for key in RECORD_FIELDS},
        "sources": [source.ref for source in row.sources],
        "end_notes": [str(number) for number in footnotes or ()],
        "extra_columns": [extra_column(cell) for cell in extra or () if isinstance(cell, dict)],
        "note": record["note"],
    }


def treaty_participants(treaty: Treaty, as_of: date, query: tables.TableQuery) -> list[dict]:
    """The API's rows of the treaty's participants on ``as_of`` that ``query`` selects."""
    return [participant_status(row) for row in standing_rows(treaty, as_of, query)]

