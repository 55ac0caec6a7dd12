"""Import of status tables: one service for the command line, the admin and the API.

Two formats, told apart by the header:

1. ``participant,signature_date,action,action_date`` and optionally ``cn_reference``,
   ``source_url``, ``confidence`` and ``note``; ISO dates.
2. The depositary's status table copied from a UNTC page: ``Participant``, ``Signature``
   and a column headed like "Ratification, Acceptance(A), Approval(AA), Accession(a)",
   with cells like ``25 Oct 2025`` and ``3 Mar 2026 a``.

An import is all or nothing: every bad row is reported with its number and nothing is
written. An empty cell means "no information" and deletes nothing; importing the same
file twice changes nothing; a changed date updates the record, and the audit history
names the file. Reads and writes are in bulk, so the number of queries does not grow with
the number of rows.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from signatories.models import SIGNATURE_VALUES, Action
from signatories.selectors import ParticipantIndex
from tracker.bulk import bulk_update
from tracker.models import Confidence, Source, Treaty
from tracker.signals import bump_data_version, queue_alert_check
from tracker.status_tables import ImportRow, parse_table

UPDATABLE_FIELDS = ["kind", "date", "cn_reference", "confidence", "note"]


class ImportRejected(Exception):
    """The file has bad rows; ``problems`` lists each as "row N: reason". Nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


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


class ExistingActions:
    """Each participant's signature and current (not withdrawn) deposit, read in one query."""

    def __init__(self, treaty: Treaty):
        self.signatures: dict[int, Action] = {}
        self.deposits: dict[int, Action] = {}
        self.sources: dict[int, set[str]] = {}
        for action in Action.objects.filter(treaty=treaty).prefetch_related("sources"):
            action.treaty = treaty  # clean() reads it; saves a query per action
            if action.kind in SIGNATURE_VALUES:
                self.signatures[action.participant_id] = action
            elif action.withdrawn_on is None:
                self.deposits[action.participant_id] = action
            self.sources[action.pk] = {source.url for source in action.sources.all()}


def plan_import(treaty: Treaty, rows: list[ImportRow]) -> ImportPlan:
    """Compare each row with what is recorded, and validate every action it would write."""
    plan, index, existing = ImportPlan(), ParticipantIndex(), ExistingActions(treaty)
    first_row: dict[int, int] = {}
    for row in rows:
        participant = index.get(row.participant)
        if participant is None:
            plan.problems.append(f"row {row.line}: {index.unknown_message(row.participant)}")
            continue
        if participant.pk in first_row:
            plan.problems.append(f"row {row.line}: {participant} is already on row {first_row[participant.pk]}")
            continue
        first_row[participant.pk] = row.line
        wanted = []
        if row.signature_date:
            wanted.append((existing.signatures.get(participant.pk), row.signature_kind, row.signature_date))
        if row.deposit_date:
            wanted.append((existing.deposits.get(participant.pk), row.deposit_kind, row.deposit_date))
        for number, (action, kind, day) in enumerate(wanted, start=1):
            # The row's details (C.N., source, confidence, note) belong to its last action:
            # the deposit if there is one, else the signature.
            details = row if number == len(wanted) else None
            plan_action(plan, treaty, participant, action, kind, day, details, existing, row.line)
    return plan


def plan_action(plan, treaty, participant, action, kind, day, details, existing, line) -> None:
    """Add to ``plan`` the creation or update of one action, if valid."""
    is_new = action is None
    if is_new:
        action = Action(treaty=treaty, participant=participant, kind=kind.value, date=day)
        action.confidence = Confidence.DEPOSITARY
    before = {name: getattr(action, name) for name in UPDATABLE_FIELDS}
    action.kind, action.date = kind.value, day
    if details is not None:
        action.cn_reference = details.cn_reference or action.cn_reference
        action.confidence = details.confidence or action.confidence
        action.note = details.note or action.note
    try:
        # Uniqueness holds by construction (one signature and one deposit per participant
        # and file); the foreign keys are known to exist. Skipping them saves a query a row.
        action.full_clean(exclude=["treaty", "participant"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        plan.problems.append(f"row {line}: {' '.join(error.messages)}")
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


@transaction.atomic
def apply_plan(plan: ImportPlan, *, user, reason: str) -> None:
    """Make the planned writes in bulk, each with its audit history record."""
    if plan.create:
        bulk_create_with_history(plan.create, Action, default_user=user, default_change_reason=reason)
    if plan.update:
        bulk_update(plan.update, UPDATABLE_FIELDS)
        Action.history.bulk_history_create(plan.update, update=True, default_user=user, default_change_reason=reason)
    link_sources(plan.links, user=user, reason=reason)
    bump_data_version()  # bulk writes send no post_save signal…
    queue_alert_check()  # …so say what a saved action would have said


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

