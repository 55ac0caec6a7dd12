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
does not grow with the number of rows.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from signatories.models import SIGNATURE_VALUES, Action, Participant
from signatories.selectors import ParticipantIndex
from tracker.bulk import bulk_update
from tracker.models import Confidence, Source, Treaty
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


class ImportRejected(Exception):
    """The file has bad rows; ``problems`` lists each as "row N: reason", ``shown`` the
    first 100 and how many more (``count`` in all). Nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        self.shown = capped(problems)
        self.count = len(problems)
        super().__init__("\n".join(self.shown))


@dataclass
class ImportSummary:
    """What an import created, updated and left unchanged (counted in actions)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return f"{text} (dry run: nothing was written)" if self.dry_run else text


@dataclass
class ImportPlan:
    """The writes an import will make, worked out before any of them is made."""

    create: list[Action] = field(default_factory=list)
    update: list[Action] = field(default_factory=list)
    unchanged: int = 0
    # (action, source URL) pairs to link, new actions included.
    links: list[tuple[Action, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    depositary: bool = False


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
    summary = ImportSummary(len(plan.create), len(plan.update), plan.unchanged, dry_run=dry_run)
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


class ExistingActions:
    """Each participant's signature and deposits (withdrawn or not, by date), read in one query."""

    def __init__(self, treaty: Treaty):
        self.signatures: dict[int, Action] = {}
        self.deposits: dict[int, list[Action]] = {}
        self.sources: dict[int, set[str]] = {}
        for action in Action.objects.filter(treaty=treaty).prefetch_related("sources").order_by("date", "pk"):
            action.treaty = treaty  # clean() reads it; saves a query per action
            if action.kind in SIGNATURE_VALUES:
                self.signatures[action.participant_id] = action
            else:
                self.deposits.setdefault(action.participant_id, []).append(action)
            self.sources[action.pk] = {source.url for source in action.sources.all()}


def plan_import(treaty: Treaty, rows: list[ImportRow], *, depositary: bool = False) -> ImportPlan:
    """Compare each row with what is recorded, and validate every action it would write.

    A participant may have several rows (an instrument withdrawn, then another deposited):
    they are read together, since which recorded deposit a row updates depends on the others.
    ``depositary``: the rows are the depositary's own record (tracker.sync), which the
    tracker's own invariants (a signature window the page does not state, a deposit before a
    date the tracker did not know) never refuse; only the fields' formats are checked.
    """
    plan, index, existing = ImportPlan(depositary=depositary), ParticipantIndex(), ExistingActions(treaty)
    rows_of: dict[int, tuple[Participant, list[ImportRow]]] = {}
    for row in rows:
        participant = index.get(row.participant)
        if participant is None:
            plan.problems.append(f"row {row.line}: {index.unknown_message(row.participant)}")
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
        action = Action(treaty=treaty, participant=participant, kind=wanted.kind.value, date=wanted.day)
        action.confidence = Confidence.DEPOSITARY
    before = {name: getattr(action, name) for name in UPDATABLE_FIELDS}
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
    problems = validation_problems(action, depositary=plan.depositary)
    if problems:
        plan.problems.append(f"row {wanted.row.line}: {' '.join(problems)}")
        return
    new_source = details is not None and details.source_url and (
        is_new or details.source_url not in existing.sources.get(action.pk, set())
    )
    if new_source:
        plan.links.append((action, details.source_url))
    if is_new:
        plan.create.append(action)
    elif new_source or before != {name: getattr(action, name) for name in UPDATABLE_FIELDS}:
        plan.update.append(action)
    else:
        plan.unchanged += 1


def validation_problems(action: Action, *, depositary: bool = False) -> list[str]:
    """What the model's rules find wrong with ``action``, checked without a query; for the
    depositary's own facts, only the fields' formats (see ``plan_import``)."""
    try:
        # Uniqueness is checked by the plan (one signature, one deposit in effect per
        # participant); the foreign keys are known to exist. Skipping them saves a query a row.
        if depositary:
            action.clean_fields(exclude=["treaty", "participant"])
        else:
            action.full_clean(exclude=["treaty", "participant"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        problems = error.messages
    else:
        problems = []
    if action.withdrawn_on and action.date and action.withdrawn_on < action.date:
        problems.append(WITHDRAWAL_RULE.violation_error_message)  # the constraint, which would need a query
    return problems


@transaction.atomic
def apply_plan(plan: ImportPlan, *, user, reason: str) -> None:
    """Make the planned writes in bulk, each with its audit history record, and say
    ``data_changed`` for them all (the bulk writes go around ``save_valid``): a new data
    version, and the alert check after the commit."""
    # Updates first: a withdrawal they record frees the place of the deposit in effect
    # that a new row creates (one per participant, a constraint checked row by row).
    if plan.update:
        bulk_update(plan.update, UPDATABLE_FIELDS)
        Action.history.bulk_history_create(plan.update, update=True, default_user=user, default_change_reason=reason)
    if plan.create:
        bulk_create_with_history(plan.create, Action, default_user=user, default_change_reason=reason)
    link_sources(plan.links, user=user, reason=reason)
    if plan.create or plan.update or plan.links:
        data_changed(actions=True)


def link_sources(links: list[tuple[Action, str]], *, user, reason: str) -> None:
    """Attach each source URL to its action, creating the sources not known yet."""
    if not links:
        return
    urls = {url for _, url in links}
    known = {source.url: source for source in Source.objects.filter(url__in=urls)}
    missing = [Source(url=url) for url in sorted(urls - set(known))]  # URLs checked when parsed
    for source in bulk_create_with_history(missing, Source, default_user=user, default_change_reason=reason):
        known[source.url] = source
    Through = Action.sources.through
    Through.objects.bulk_create(
        [Through(action_id=action.pk, source_id=known[url].pk) for action, url in links], ignore_conflicts=True
    )

