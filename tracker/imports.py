"""Import of status tables: one service for the command line, the admin and the API.

Two formats, told apart by the header:

1. ``participant,signature_date,action,action_date`` and optionally ``cn_reference``,
   ``source_url``, ``confidence``, ``note``, ``signature_date_precision`` and
   ``action_date_precision`` (exact or on_or_before) and ``withdrawn_on``; ISO dates.
2. The depositary's status table copied from a UNTC page: ``Participant``, ``Signature``
   and a column headed like "Ratification, Acceptance(A), Approval(AA), Accession(a)",
   with cells like ``25 Oct 2025`` and ``3 Mar 2026 a``.

An import is all or nothing: every bad row is reported with its number and nothing is
written. An empty cell means "no information" and deletes nothing (an empty
``withdrawn_on`` never undoes a withdrawal); importing the same file twice changes
nothing; a changed date updates the record, and the audit history names the file. A row
that lists a withdrawn signature or instrument (same kind, same date), as the
depositary's table may still do, is that action, left as it is: never a new one, which
would count again. A participant may have several rows, one per instrument: a withdrawn
one (with ``withdrawn_on``) and the one deposited after it, as the export writes them;
its signature is on one of them. Reads and writes are in bulk, so the number of queries
does not grow with the number of rows. On PostgreSQL the rows are written with COPY and
their history with INSERT … SELECT, from plain values: no model instance per row, which
took most of a 50,000-row file's time and memory; the checks are still the model's own.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from signatories.models import SIGNATURE_VALUES, Action, Participant, ParticipantAlias
from signatories.selectors import ParticipantIndex
from tracker import services
from tracker.bulk import bulk_update
from tracker.models import Source, Treaty
from tracker.rules import ActionKind
from tracker.status_tables import ImportRow, parse_table
from tracker.writes import data_changed

UPDATABLE_FIELDS = [
    "kind", "date", "date_precision", "withdrawn_on", "withdrawal_notified_on", "withdrawal_kind",
    "cn_reference", "confidence", "note",
]
# The database's rule that a withdrawal is on or after the action's date.
WITHDRAWAL_RULE = next(c for c in Action._meta.constraints if c.name == "action_withdrawal_after_action")


# A rejected file's problems shown in the admin, the API and the sync's record: the first
# this many, then a line "… and N more rows". A file of 50,000 bad rows would otherwise
# answer with megabytes of errors. ``problems`` keeps them all, for the command line.
SHOWN_PROBLEMS = 100


def capped(problems: list[str], limit: int = SHOWN_PROBLEMS) -> list[str]:
    """The first ``limit`` of ``problems``, then "… and N more rows" if there are more."""
    if len(problems) <= limit:
        return list(problems)
    return [*problems[:limit], f"… and {len(problems) - limit} more rows"]


# A dry run lists what each row would create or change: the first this many (in the file's
# order), then how many more. Only these are described, so a large file costs no more.
SHOWN_CHANGES = 200


class ImportRejected(Exception):
    """The file has bad rows; ``problems`` lists each as "row N: reason", ``shown`` the
    first 100 and how many more (``count`` in all). Nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        self.shown = capped(problems)
        self.count = len(problems)
        super().__init__("\n".join(self.shown))


@dataclass
class RowChange:
    """What one row of the file creates or changes: ``changes`` as "field: old → new"."""

    line: int
    participant: str
    created: bool
    changes: list[str]


@dataclass
class ImportSummary:
    """What an import created, updated and left unchanged (counted in actions), with the
    first SHOWN_CHANGES of those changes row by row (``rows``) and how many more there are."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    rows: list[RowChange] = field(default_factory=list)

    @property
    def more_rows(self) -> int:
        return self.created + self.updated - len(self.rows)

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return f"{text} (dry run: nothing was written)" if self.dry_run else text


@dataclass
class ImportPlan:
    """The writes an import will make, worked out before any of them is made."""

    create: list["PlannedAction"] = field(default_factory=list)
    update: list["PlannedAction"] = field(default_factory=list)
    unchanged: int = 0
    # (action, source URL) pairs to link, new actions included.
    links: list[tuple["PlannedAction", str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rows: list[RowChange] = field(default_factory=list)  # the first SHOWN_CHANGES, described
    depositary: bool = False
    treaty_id: int | None = None
    checker: "ActionChecker | None" = field(default=None, repr=False)


def import_status(
    treaty: Treaty, file_name: str, text: str, *, user=None, dry_run: bool = False, reason: str = ""
) -> ImportSummary:
    """Import a status table (CSV text) into ``treaty``, all or nothing.

    Raises ImportRejected listing every bad row; writes nothing then, nor on a dry run.
    """
    rows, problems = parse_table(text, default_source=treaty.depositary_url)
    plan = plan_import(treaty, rows) if rows else ImportPlan()
    problems += plan.problems
    if problems:
        raise ImportRejected(sorted(problems, key=row_number))
    rows_in_order = sorted(plan.rows, key=lambda row: row.line)
    summary = ImportSummary(len(plan.create), len(plan.update), plan.unchanged, dry_run=dry_run, rows=rows_in_order)
    if not dry_run:
        history_reason = f"import of {file_name}" + (f": {reason}" if reason else "")
        apply_plan(plan, user=user, reason=history_reason)
    return summary


def row_number(problem: str) -> int:
    """The N of a "row N: reason" problem, to list problems in the file's order."""
    return int(problem.split(":", 1)[0].removeprefix("row "))


class Wanted(NamedTuple):
    """An action a row asks for, and the recorded action it would update (None: a new one).

    ``main`` says the row's details (C.N., source, confidence, note) and its withdrawal
    belong to this action: the row's deposit if there is one, else its signature.
    """

    action: Action | None
    kind: ActionKind
    day: date
    precision: str  # empty: no information
    row: ImportRow
    main: bool

    @property
    def key(self) -> tuple[str, date]:
        return (self.kind.value, self.day)

    @property
    def withdrawn_on(self) -> date | None:
        return self.row.withdrawn_on if self.main else None

    def lists_withdrawn(self) -> bool:
        """Whether the row names a withdrawn action as it is recorded (same kind, same date)
        and says nothing of its withdrawal, as the depositary's table may still list it: the
        action then stays as it is, rather than taking details meant for a current one."""
        recorded = self.action
        return (
            recorded is not None
            and recorded.withdrawn_on is not None
            and (recorded.kind, recorded.date) == self.key
            and self.withdrawn_on is None
        )

    def withdrawn_after(self) -> date | None:
        """The action's withdrawal once imported: the row's, else the recorded one."""
        return self.withdrawn_on or (self.action.withdrawn_on if self.action else None)


# The columns of an action the plan reads and writes (all of the table's but the treaty).
RECORD_FIELDS = [field.attname for field in Action._meta.concrete_fields if field.attname != "treaty_id"]
NEW_DEFAULTS = {field.attname: field.get_default() for field in Action._meta.concrete_fields}


class PlannedAction:
    """An action as the plan sees it: its columns, without a model instance. Building one
    per row, then its history record, was a third of a 50,000-row import's time and most of
    its memory; the checks are the model's own (``ActionChecker``)."""

    __slots__ = RECORD_FIELDS

    def __init__(self, values: dict):
        for name in RECORD_FIELDS:
            setattr(self, name, values[name])

    @classmethod
    def new(cls, participant_id: int, kind: str, day: date) -> "PlannedAction":
        return cls({**NEW_DEFAULTS, "participant_id": participant_id, "kind": kind, "date": day})

    @property
    def pk(self) -> int | None:
        return self.id

    def updatable(self) -> tuple:
        return tuple(getattr(self, name) for name in UPDATABLE_FIELDS)


class ExistingActions:
    """Each participant's signature and deposits (withdrawn or not, by date), and the source
    URLs each action cites: two queries, read as plain values."""

    def __init__(self, treaty: Treaty):
        self.signatures: dict[int, PlannedAction] = {}
        self.deposits: dict[int, list[PlannedAction]] = {}
        self.sources: dict[int, set[str]] = {}
        for values in Action.objects.filter(treaty=treaty).order_by("date", "pk").values(*RECORD_FIELDS).iterator(5000):
            action = PlannedAction(values)
            if action.kind in SIGNATURE_VALUES:
                self.signatures[action.participant_id] = action
            else:
                self.deposits.setdefault(action.participant_id, []).append(action)
        cited = Action.sources.through.objects.filter(action__treaty=treaty).values_list("action_id", "source__url")
        for action_id, url in cited.iterator(5000):
            self.sources.setdefault(action_id, set()).add(url)


class ActionChecker:
    """The model's own checks of an action, as ``full_clean`` makes them, without a query or
    a model instance per row; for the depositary's own facts, only the fields' formats (see
    ``plan_import``). Uniqueness is checked by the plan (one signature, one deposit in effect
    per participant) and the foreign keys are known to exist: each would cost a query a row.
    A file repeats the same few kinds, dates and choices: each field's value, and each set
    of the values ``Action.clean()`` reads, is checked once (100,000 full_clean calls were
    a fifth of the planning's time)."""

    FIELDS = [f for f in Action._meta.concrete_fields if not f.is_relation and f.attname not in ("id", "created_at", "updated_at")]
    # Fields whose values repeat (choices, dates): worth remembering; a C.N. reference or a note is not.
    REMEMBERED = {f.attname for f in FIELDS if f.choices or f.get_internal_type() == "DateField"}

    def __init__(self, treaty: Treaty, *, depositary: bool = False):
        self.template = Action(treaty=treaty)  # clean() reads the treaty (its dates, its time zone)
        self.depositary = depositary
        self.remembered: dict[tuple, list[str]] = {}

    def problems(self, action: PlannedAction) -> list[str]:
        messages = []
        for model_field in self.FIELDS:
            value = getattr(action, model_field.attname)
            if not (model_field.blank and value in model_field.empty_values):  # as Model.clean_fields skips them
                messages += self.field_messages(model_field, value)
        if not self.depositary:
            messages += self.clean_messages(action)
        if action.withdrawn_on and action.date and action.withdrawn_on < action.date:
            messages.append(WITHDRAWAL_RULE.violation_error_message)  # the constraint, which would need a query
        return messages

    def field_messages(self, field, value) -> list[str]:
        key = (field.attname, value)
        if key in self.remembered:
            return self.remembered[key]
        try:
            field.clean(value, self.template)
            messages = []
        except ValidationError as error:
            messages = error.messages
        if field.attname in self.REMEMBERED:
            self.remembered[key] = messages
        return messages

    def clean_messages(self, action: PlannedAction) -> list[str]:
        """``Action.clean()``'s messages; it reads only these fields (and the treaty)."""
        key = ("clean", action.kind, action.date, action.withdrawn_on, action.withdrawal_notified_on)
        if key not in self.remembered:
            template = self.template
            template.kind, template.date, template.withdrawn_on, template.withdrawal_notified_on = key[1:]
            try:
                template.clean()
                self.remembered[key] = []
            except ValidationError as error:
                self.remembered[key] = error.messages
        return self.remembered[key]


def plan_import(treaty: Treaty, rows: list[ImportRow], *, depositary: bool = False) -> ImportPlan:
    """Compare each row with what is recorded, and validate every action it would write.

    A participant may have several rows (an instrument withdrawn, then another deposited):
    they are read together, since which recorded deposit a row updates depends on the others.
    ``depositary``: the rows are the depositary's own record (tracker.sync), which the
    tracker's own invariants (a signature window the page does not state, a deposit before a
    date the tracker did not know) never refuse; only the fields' formats are checked.
    """
    plan, index, existing = ImportPlan(depositary=depositary), participant_index(), ExistingActions(treaty)
    plan.treaty_id, plan.checker = treaty.pk, ActionChecker(treaty, depositary=depositary)
    rows_of: dict[int, tuple[Named, list[ImportRow]]] = {}
    unknown = 0
    for row in rows:
        participant = index.get(row.participant)
        if participant is None:
            unknown += 1
            plan.problems.append(f"row {row.line}: {unknown_message(index, row.participant, unknown)}")
            continue
        rows_of.setdefault(participant.pk, (participant, []))[1].append(row)
    for participant, its_rows in rows_of.values():
        wanted = wanted_signature(plan, participant, its_rows, existing)
        wanted += wanted_deposits(plan, participant, its_rows, existing)
        check_one_instrument_in_effect(plan, participant, wanted, existing)
        for want in wanted:
            if want.lists_withdrawn():
                plan.unchanged += 1  # a withdrawn action the table still lists: not a new one
            else:
                plan_action(plan, treaty, participant, want, existing)
    return plan


class Named:
    """A participant or an alias as the import needs it: its id and name (``str`` gives the
    name, as the model's does), with the ``aliases.all()`` that ParticipantIndex reads. A
    model instance with its prefetched aliases took 2 KiB, 100 MiB for 50,000 participants."""

    __slots__ = ("pk", "name", "iso_alpha3", "names")

    def __init__(self, pk, name, iso_alpha3=None):
        self.pk, self.name, self.iso_alpha3, self.names = pk, name, iso_alpha3, []

    def __str__(self) -> str:
        return self.name

    @property
    def aliases(self) -> "Named":
        return self

    def all(self) -> list["Named"]:
        return self.names


def participant_index() -> ParticipantIndex:
    """Every participant by every name it goes by, read as plain values (two queries)."""
    participants = {pk: Named(pk, name, iso) for pk, name, iso in Participant.objects.values_list("id", "name", "iso_alpha3")}
    for participant_id, alias in ParticipantAlias.objects.values_list("participant_id", "name"):
        participants[participant_id].names.append(Named(None, alias))
    return ParticipantIndex(participants.values())


def unknown_message(index: ParticipantIndex, name: str, nth: int) -> str:
    """The problem of the ``nth`` unknown name of a file. Only the first SHOWN_PROBLEMS get
    the nearest names: a search costs about 0.4 ms, 20,000 unknown names took 8 s, and only
    the first SHOWN_PROBLEMS problems are shown (the admin, the API). Those are always among
    them; the command line, which prints every problem, says plainly "Unknown participant"
    for the later ones."""
    if nth <= SHOWN_PROBLEMS:
        return index.unknown_message(name)
    return f"Unknown participant {name!r}."


def wanted_signature(plan, participant, rows: list[ImportRow], existing: ExistingActions) -> list[Wanted]:
    """The participant's signature, from the one row that gives it (there is one signature)."""
    signed = [row for row in rows if row.signature_date]
    for row in signed[1:]:
        plan.problems.append(
            f"row {row.line}: the signature of {participant} is already on row {signed[0].line}"
        )
    if not signed:
        return []
    row = signed[0]
    recorded = existing.signatures.get(participant.pk)
    main = not row.deposit_date  # the row's details and withdrawal are its deposit's, if any
    return [Wanted(recorded, row.signature_kind, row.signature_date, row.signature_precision, row, main)]


def wanted_deposits(plan, participant, rows: list[ImportRow], existing: ExistingActions) -> list[Wanted]:
    """The participant's deposits, each with the recorded deposit it updates.

    A row names the recorded deposit of the same kind and date, withdrawn or not. The
    recorded deposit still in effect, if no row names it, is taken by a row that names none
    (its date or kind was corrected): preferably one without a withdrawal, being in effect
    like it; else the first. The other rows are new deposits.
    """
    recorded = existing.deposits.get(participant.pk, [])
    by_key = {(action.kind, action.date): action for action in recorded}
    first_line: dict[tuple[str, date], int] = {}
    named: dict[int, Action | None] = {}  # by line
    for row in (row for row in rows if row.deposit_date):
        key = (row.deposit_kind.value, row.deposit_date)
        if key in first_line:
            plan.problems.append(
                f"row {row.line}: this {key[0]} of {participant} is already on row {first_line[key]}"
            )
            continue
        first_line[key] = row.line
        named[row.line] = by_key.get(key)
    claimed = {action.pk for action in named.values() if action is not None}
    current = next((a for a in recorded if a.withdrawn_on is None and a.pk not in claimed), None)
    unnamed = [row for row in rows if row.line in named and named[row.line] is None]
    if current is not None and unnamed:
        taker = next((row for row in unnamed if row.withdrawn_on is None), unnamed[0])
        named[taker.line] = current
    return [
        Wanted(named[row.line], row.deposit_kind, row.deposit_date, row.deposit_precision, row, True)
        for row in rows
        if row.deposit_date and row.line in named  # a row may give only the signature
    ]


def check_one_instrument_in_effect(plan, participant, wanted: list[Wanted], existing) -> None:
    """A participant has at most one deposit not withdrawn (a constraint): report each row
    that would give it a second one, naming the first."""
    updated = {want.action.pk for want in wanted if want.action is not None}
    recorded = existing.deposits.get(participant.pk, [])
    kept = [a for a in recorded if a.withdrawn_on is None and a.pk not in updated]
    first = f"the {kept[0].kind} of {kept[0].date} already recorded" if kept else None
    for want in wanted:
        if want.kind.value in SIGNATURE_VALUES or want.withdrawn_after() is not None:
            continue
        this = f"the {want.kind.value} of {want.day} on row {want.row.line}"
        if first is None:
            first = this
            continue
        plan.problems.append(
            f"row {want.row.line}: {participant} would have two instruments in effect, {first} and {this}; "
            "give withdrawn_on for the one that was withdrawn"
        )


def plan_action(plan, treaty, participant, wanted: Wanted, existing) -> None:
    """Add to ``plan`` the creation or update of one action, if valid."""
    action, is_new = wanted.action, wanted.action is None
    if is_new:
        action = PlannedAction.new(participant.pk, wanted.kind.value, wanted.day)
    before = action.updatable()
    action.kind, action.date = wanted.kind.value, wanted.day
    action.date_precision = wanted.precision or action.date_precision  # empty: keep it (a new one: exact)
    action.withdrawn_on = wanted.withdrawn_on or action.withdrawn_on  # empty: keep it
    if wanted.main and wanted.withdrawn_on:
        action.withdrawal_notified_on = wanted.row.withdrawal_notified_on or action.withdrawal_notified_on
        action.withdrawal_kind = wanted.row.withdrawal_kind or action.withdrawal_kind
    details = wanted.row if wanted.main else None
    if details is not None:
        action.cn_reference = details.cn_reference or action.cn_reference
        action.confidence = details.confidence or action.confidence
        action.note = details.note or action.note
    problems = plan.checker.problems(action)
    if problems:
        plan.problems.append(f"row {wanted.row.line}: {' '.join(problems)}")
        return
    new_source = details is not None and details.source_url and (
        is_new or details.source_url not in existing.sources.get(action.pk, set())
    )
    if new_source:
        plan.links.append((action, details.source_url))
    if not (is_new or new_source or before != action.updatable()):
        plan.unchanged += 1
        return
    (plan.create if is_new else plan.update).append(action)
    if len(plan.rows) < SHOWN_CHANGES:
        added = details.source_url if new_source else None
        plan.rows.append(describe(wanted.row.line, participant, action, None if is_new else before, added))


# How a dry run names the fields it would change.
FIELD_LABELS = {name: str(Action._meta.get_field(name).verbose_name) for name in UPDATABLE_FIELDS}


def describe(line: int, participant, action: PlannedAction, before: tuple | None, source: str | None) -> RowChange:
    """What the row does to ``action``: a new action with its details, or each field it
    changes ("date: 2025-10-25 → 2025-10-26"); ``before`` is None for a new one."""
    after = action.updatable()
    if before is None:
        shown = [f"{action.kind.replace('_', ' ')} of {action.date}"]
        shown += [f"{FIELD_LABELS[name]}: {value}" for name, value in zip(UPDATABLE_FIELDS, after, strict=True)
                  if name not in ("kind", "date") and value not in (None, "") and value != NEW_DEFAULTS[name]]
    else:
        shown = [f"{FIELD_LABELS[name]}: {old or '—'} → {new or '—'}"
                 for name, old, new in zip(UPDATABLE_FIELDS, before, after, strict=True) if old != new]
    if source:
        shown.append(f"source added: {source}")
    return RowChange(line, str(participant), before is None, shown)


@transaction.atomic
def apply_plan(plan: ImportPlan, *, user, reason: str) -> None:
    """Make the planned writes in bulk, each with its audit history record, and say
    ``data_changed`` for them all (the bulk writes go around ``save_valid``): a new data
    version, and the alert check after the commit. The history record of an action that
    gets a source says so ("added “…”"), as a save in the admin's does."""
    # Without a user, the history names the current request's, as simple-history does.
    user = user if user is not None else Action.history.model.get_default_history_user(Action())
    sources = sources_of(plan.links, user=user, reason=reason)
    if connection.vendor == "postgresql":
        write_with_sql(plan, user=user, reason=reason, sources=sources)
    else:
        write_with_orm(plan, user=user, reason=reason, sources=sources)
    link_sources(plan.links, sources)
    if plan.create or plan.update or plan.links:
        data_changed(actions=True)


def sources_of(links: list[tuple[PlannedAction, str]], *, user, reason: str) -> dict[str, Source]:
    """The source of each URL that ``links`` cite, creating those not known yet (two queries)."""
    if not links:
        return {}
    urls = {url for _, url in links}
    known = {source.url: source for source in Source.objects.filter(url__in=urls)}
    missing = [Source(url=url) for url in sorted(urls - set(known))]  # URLs checked when parsed
    for source in bulk_create_with_history(missing, Source, default_user=user, default_change_reason=reason):
        known[source.url] = source
    return known


def sources_added(links: list[tuple[PlannedAction, str]], sources: dict[str, Source]) -> tuple[list, list]:
    """The actions given a source (once they have their ids) and what the history record of
    each says of it, as ``tracker.services.sources_change`` words it: two lists, the words
    of each source made once (a file cites the same few sources on thousands of rows)."""
    words = {url: f"added “{services.history_label(source)}”" for url, source in sources.items()}
    return [action.pk for action, _ in links], [words[url] for _, url in links]


def link_sources(links: list[tuple[PlannedAction, str]], sources: dict[str, Source]) -> None:
    """Attach each source URL to its action."""
    if not links:
        return
    known = {url: source.pk for url, source in sources.items()}
    pairs = [(action.pk, known[url]) for action, url in links]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # one statement, arrays rather than 50,000 model instances
            cursor.execute(
                f"INSERT INTO {quote(THROUGH._meta.db_table)} (action_id, source_id) "
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING",
                [[a for a, _ in pairs], [s for _, s in pairs]],
            )
    else:
        THROUGH.objects.bulk_create([THROUGH(action_id=a, source_id=s) for a, s in pairs], ignore_conflicts=True)


# --- the writes on PostgreSQL: COPY and INSERT … SELECT, no model instance per row ---------
# Django's bulk_create prepared 3.4 million values one by one for a 50,000-row file (with the
# history records, built as instances too): 60 % of the import's time.

THROUGH = Action.sources.through
HISTORY = Action.history.model
ACTION_TABLE = Action._meta.db_table
COLUMNS = ["treaty_id", *RECORD_FIELDS]  # attnames, which are the columns (no db_column)
TRACKED = [field.attname for field in HISTORY.tracked_fields]


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def write_with_sql(plan: ImportPlan, *, user, reason: str, sources: dict[str, Source]) -> None:
    """Updates, then creations, then one history record for each: the history copies the
    rows as the database now holds them, in one INSERT … SELECT per kind of change."""
    now = timezone.now()
    with connection.cursor() as cursor:
        # Updates first: a withdrawal they record frees the place of the deposit in effect
        # that a new row creates (one per participant, a constraint checked row by row).
        if plan.update:
            update_by_copy(cursor, plan.update, now)
        if plan.create:
            create_by_copy(cursor, plan.create, plan.treaty_id, now)
        added = sources_added(plan.links, sources)
        for actions, history_type in ((plan.update, "~"), (plan.create, "+")):
            if actions:
                copy_history(cursor, [action.pk for action in actions], history_type, now, user, reason, added)


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    """Stream ``rows`` (tuples in the order of ``columns``) into ``table`` with COPY."""
    sql = f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    with cursor.cursor.copy(sql) as copy:  # the psycopg cursor under Django's wrapper
        for row in rows:
            copy.write_row(row)


def create_by_copy(cursor, actions: list[PlannedAction], treaty_id: int, now) -> None:
    """Insert the new actions, with ids drawn from the table's sequence first (COPY returns
    none, and the history and the source links need them)."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [ACTION_TABLE, len(actions)]
    )
    for action, (pk,) in zip(actions, cursor.fetchall(), strict=True):
        action.id, action.created_at, action.updated_at = pk, now, now
    rows = ((treaty_id, *(getattr(action, name) for name in RECORD_FIELDS)) for action in actions)
    copy_rows(cursor, ACTION_TABLE, COLUMNS, rows)


def update_by_copy(cursor, actions: list[PlannedAction], now) -> None:
    """Write the updatable fields of ``actions``: COPY into a temporary table, then one UPDATE."""
    columns = [*UPDATABLE_FIELDS, "updated_at"]
    for action in actions:
        action.updated_at = now
    cursor.execute(
        f"CREATE TEMPORARY TABLE import_update AS SELECT id, {', '.join(map(quote, columns))} "
        f"FROM {quote(ACTION_TABLE)} WITH NO DATA"
    )
    copy_rows(cursor, "import_update", ["id", *columns], (tuple(getattr(a, n) for n in ["id", *columns]) for a in actions))
    assignments = ", ".join(f"{quote(name)} = v.{quote(name)}" for name in columns)
    cursor.execute(f"UPDATE {quote(ACTION_TABLE)} AS t SET {assignments} FROM import_update AS v WHERE t.id = v.id")
    cursor.execute("DROP TABLE import_update")


def copy_history(cursor, ids: list[int], history_type: str, now, user, reason: str, added: tuple[list, list]) -> None:
    """One history record for each of the actions ``ids``, as bulk_history_create writes it,
    with the source each was given (``added``: ids and words, see ``sources_added``)."""
    tracked = ", ".join(f"a.{quote(name)}" for name in TRACKED)
    cursor.execute(
        f"INSERT INTO {quote(HISTORY._meta.db_table)} ({', '.join(map(quote, TRACKED))}, history_date, "
        "history_change_reason, history_type, history_user_id, history_sources_change) "
        f"SELECT {tracked}, %s, %s, %s, %s, COALESCE(s.change, '') FROM {quote(ACTION_TABLE)} AS a "
        "LEFT JOIN unnest(%s::bigint[], %s::text[]) AS s(id, change) ON s.id = a.id "
        "WHERE a.id = ANY(%s::bigint[]) ORDER BY a.id",
        [now, reason, history_type, getattr(user, "pk", None), *added, ids],
    )


def write_with_orm(plan: ImportPlan, *, user, reason: str, sources: dict[str, Source]) -> None:
    """The same writes through the ORM, for other databases (SQLite, for local runs)."""

    def model(action: PlannedAction) -> Action:
        return Action(treaty_id=plan.treaty_id, **{name: getattr(action, name) for name in RECORD_FIELDS})

    if plan.update:
        updated = [model(action) for action in plan.update]
        bulk_update(updated, UPDATABLE_FIELDS)
        Action.history.bulk_history_create(updated, update=True, default_user=user, default_change_reason=reason)
    if plan.create:
        created = bulk_create_with_history(
            [model(action) for action in plan.create], Action, default_user=user, default_change_reason=reason
        )
        for action, row in zip(plan.create, created, strict=True):
            action.id = row.pk
    added = dict(zip(*sources_added(plan.links, sources), strict=True))
    if added:  # on each action's latest record: the one just written
        latest = HISTORY.objects.filter(id__in=added).values("id").annotate(last=Max("history_id"))
        records = [HISTORY(history_id=row["last"], history_sources_change=added[row["id"]]) for row in latest]
        HISTORY.objects.bulk_update(records, ["history_sources_change"])
