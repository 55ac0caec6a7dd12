"""Apply a depositary status page to the models: the one service the import and the sync share.

The page is first read into plain records (``tracker.depositary``); ``import_page`` then
finds or creates the treaty, and writes, in one transaction:

- the treaty's header facts: the stated date of entry into force and its article, the
  registration, the place and date of adoption, and the page's "as at" time;
- the depositary's "Signatories" and "Parties" as reported figures of the "as at" day;
- every participant's signature and instruments, with their withdrawals, through the same
  plan as the status-table import (``tracker.imports``), at depositary confidence and
  citing the page;
- the footnotes and extra columns of each row, the declarations, reservations and
  objections, and the end notes.

The depositary's own facts are never refused because of the tracker's invariants (a
signature outside a window the page does not state). A participant that matches nobody is
an error naming the row and the nearest names, and nothing is written. The same page again
changes nothing; a later page changes what changed, and the audit history names the page.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from signatories.models import DepositaryEntry, Statement
from signatories.names import name_key
from signatories.selectors import ParticipantIndex
from tracker import rules
from tracker.depositary.records import InstrumentKind, StatusPage, Withdrawal
from tracker.imports import ImportSummary, apply_plan, capped, plan_import
from tracker.models import Confidence, EndNote, ReportedFigure, Source, Treaty
from tracker.services import save_valid
from tracker.status_tables import ImportRow
from tracker.sync.pages import canonical_url
from tracker.writes import data_changed

PUBLISHER = "UN Treaty Collection (depositary)"

# The page's instrument types as the rules engine names them.
ACTION_KINDS = {kind: rules.ActionKind(kind.value) for kind in InstrumentKind}


class PageRejected(Exception):
    """The page has rows the tracker cannot apply; ``problems`` lists each, ``shown`` the
    first 100 and how many more (``count`` in all), as ``str()`` of the error gives them.
    Nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        self.shown = capped(problems)
        self.count = len(problems)
        super().__init__("\n".join(self.shown))


@dataclass
class PageImport:
    """What an import of one page did (or, on a dry run, would do)."""

    treaty: Treaty
    source: str
    created_treaty: bool = False
    actions: ImportSummary = field(default_factory=ImportSummary)
    changes: list[str] = field(default_factory=list)  # one line per kind of change
    not_on_page: list[str] = field(default_factory=list)  # recorded here, absent from the page
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.created_treaty or self.actions.created or self.actions.updated or self.changes)

    def lines(self) -> list[str]:
        """The report, as the commands print it."""
        head = f"{self.treaty.slug}: {'created, ' if self.created_treaty else ''}actions {self.actions}"
        return [head, *self.changes, *(f"warning: {w}" for w in self.warnings), *self.not_on_page]


class _DryRun(Exception):
    """Raised at the end of a dry run to roll everything back, carrying the report."""

    def __init__(self, report: PageImport):
        self.report = report


def import_page(
    page: StatusPage, *, url: str = "", slug: str | None = None, dry_run: bool = False, user=None
) -> PageImport:
    """Apply ``page`` (read from ``url``, a file's path or an address) all or nothing.

    ``slug`` names the treaty (created if new); without it the treaty is found by its
    depositary reference, or created. Raises PageRejected, writing nothing.
    """
    try:
        with transaction.atomic():
            report = _apply(page, url=url, slug=slug, user=user)
            report.dry_run = dry_run
            if dry_run:
                raise _DryRun(report)
    except _DryRun as rolled_back:
        return rolled_back.report
    return report


def _apply(page: StatusPage, *, url: str, slug: str | None, user) -> PageImport:
    # The audit history's reason holds 100 characters: the page's reference and time say
    # which page it was; its address is the source every fact cites.
    reason = f"depositary page {page.header.reference} as at {page.header.as_at_text}"[:100]
    treaty, created = find_or_create_treaty(page, slug, url, reason)
    source = page_source(page, url, reason)
    report = PageImport(treaty=treaty, source=source.url, created_treaty=created, warnings=list(page.warnings))
    index = ParticipantIndex()
    rows, problems = import_rows(page, treaty, source.url, index, report)
    plan = plan_import(treaty, rows, depositary=True)
    problems += plan.problems
    entries, statement_problems = resolve_records(page, index)
    problems += statement_problems
    if problems:
        raise PageRejected(problems)
    report.actions = ImportSummary(len(plan.create), len(plan.update), plan.unchanged)
    if plan.create or plan.update or plan.links:
        apply_plan(plan, user=user, reason=reason)
    report.changes += update_treaty(treaty, page, url, reason, user)
    report.changes += record_figures(treaty, page, source, reason)
    report.changes += sync_entries(treaty, page, source, entries, reason)
    report.changes += sync_statements(treaty, page, source, entries, reason)
    report.changes += sync_notes(treaty, page, source, reason)
    report.not_on_page = absent_from_page(treaty, page, index)
    if report.changed:
        data_changed(actions=True)
    return report


# -- the treaty -------------------------------------------------------------------------


def existing_treaty(reference: str, slug: str | None) -> Treaty | None:
    """The recorded treaty a page of ``reference`` is imported into: the one with ``slug``
    when a slug is given (none yet: the import creates it), else the one with that
    depositary reference."""
    if slug:
        return Treaty.objects.filter(slug=slug).first()
    return Treaty.objects.filter(depositary_reference__iexact=reference).first()


def find_or_create_treaty(page: StatusPage, slug: str | None, url: str, reason: str) -> tuple[Treaty, bool]:
    """The treaty the page is about (``existing_treaty``); a new one (with no rule until
    ``set_rule``) when there is none. A treaty whose reference differs from the page's is
    an error, not an overwrite."""
    reference = page.header.reference
    found = existing_treaty(reference, slug)
    if found is not None:
        if found.depositary_reference and found.depositary_reference.upper() != reference.upper():
            raise PageRejected(
                [f"the treaty {found.slug!r} is {found.depositary_reference} at the depositary; this page is {reference}"]
            )
        return Treaty.objects.select_for_update().get(pk=found.pk), False
    header = page.header
    treaty = Treaty(
        slug=slug or slugify(f"untc-{reference}"),
        short_title=short_title(header.title),
        title=header.title,
        depositary_reference=reference,
        depositary_url=url if url.startswith(("http://", "https://")) else canonical_url(page, url),
        adopted_on=header.adopted_on,
        adoption_place=header.adopted_place,
        subject=header.chapter_title,
    )
    return save_valid(treaty, reason=reason), True


def short_title(title: str, limit: int = 200) -> str:
    """The name of an imported treaty until staff give the one people use: the title, or,
    when it is longer than ``limit``, its first clause (before a ";" or a ":"), which names
    the treaty whole ("United Nations Convention against Cybercrime"). Only a title with no
    such clause short enough is cut on a word, with "…"; the pages show the full title too."""
    if len(title) <= limit:
        return title
    for mark in (";", ":"):
        head = title.split(mark, 1)[0].strip()
        if head and len(head) <= limit:
            return head
    return title[: limit - 1].rsplit(" ", 1)[0] + "…"


# The header facts the depositary owns: every page sets them.
HEADER_FIELDS = ("entry_into_force_stated_on", "entry_into_force_stated_article", "registration", "depositary_as_at")


def update_treaty(treaty: Treaty, page: StatusPage, url: str, reason: str, user) -> list[str]:
    """Set the header facts the page states; fill, never overwrite, what staff may have
    written (title, adoption, reference, address)."""
    header = page.header
    wanted = {
        "entry_into_force_stated_on": header.entry_into_force_on,
        "entry_into_force_stated_article": header.entry_into_force_article,
        "registration": header.registration,
        "depositary_as_at": header.as_at,
    }
    filled = {
        "title": header.title,
        "depositary_reference": header.reference,
        "adopted_on": header.adopted_on,
        "adoption_place": header.adopted_place,
        "subject": header.chapter_title,
        "depositary_url": url if url.startswith(("http://", "https://")) else "",
    }
    if treaty.title == treaty.slug:  # a treaty set_rule created before its page was imported
        wanted["title"] = header.title
        wanted["short_title"] = short_title(header.title)
    wanted.update({name: value for name, value in filled.items() if value and not getattr(treaty, name)})
    changed = [name for name, value in wanted.items() if getattr(treaty, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(treaty, name, wanted[name])
    save_valid(treaty, reason=reason, user=user)
    shown = [name for name in changed if name != "depositary_as_at"]
    return [f"treaty: {', '.join(shown)} updated"] if shown else []


def page_source(page: StatusPage, url: str, reason: str) -> Source:
    """The source every fact of the page cites: the treaty's status page at the depositary."""
    address = canonical_url(page, url)
    source = Source.objects.filter(url=address).first()
    # The full title, never cut; one too long for the field is left out (the treaty has it).
    title = f"Status of treaty {page.header.reference}: {page.header.title}"
    if len(title) > Source._meta.get_field("title").max_length:
        title = f"Status of treaty {page.header.reference}"
    if source is None:
        return save_valid(
            Source(url=address, publisher=PUBLISHER, title=title, published_on=page.header.as_at.date()),
            reason=reason,
        )
    if source.published_on is None or source.published_on < page.header.as_at.date():
        source.published_on = page.header.as_at.date()
        save_valid(source, reason=reason)
    return source


def record_figures(treaty: Treaty, page: StatusPage, source: Source, reason: str) -> list[str]:
    """The page's "Signatories" and "Parties", as figures reported on its "as at" day."""
    day, made = page.header.as_at.date(), []
    for figure, value in (("signatories", page.header.signatories), ("parties", page.header.parties)):
        if value is None:
            continue
        known = ReportedFigure.objects.filter(treaty=treaty, figure=figure, reported_on=day, source=source).first()
        if known is not None and known.value == value:
            continue
        row = known or ReportedFigure(treaty=treaty, figure=figure, reported_on=day, source=source)
        row.value, row.note = value, f"Depositary status as at {page.header.as_at_text}"
        save_valid(row, reason=reason)
        made.append(f"reported {figure}: {value} on {day}")
    return made


# -- the participants' actions ----------------------------------------------------------


@dataclass
class Held:
    """One instrument of a participant, read from the table or from an end note."""

    on: date
    kind: InstrumentKind
    line: int
    bracketed: bool = False
    note: str = ""
    withdrawal: Withdrawal | None = None


def import_rows(page: StatusPage, treaty: Treaty, url: str, index: ParticipantIndex, report: PageImport):
    """The page as rows of the status-table import: a signature row and one row per
    instrument (the table's and those its end notes give), each instrument with the
    withdrawal that ended it. Returns the rows and the problems (unknown names)."""
    rows, problems = [], []
    withdrawals, earlier = by_participant(page.withdrawals), by_participant(page.earlier_instruments)
    next_line, seen = len(page.participants), first_seen_withdrawn(treaty)
    for entry in page.participants:
        participant = index.get(entry.name)
        if participant is None:
            problems.append(f"row {entry.row}: {index.unknown_message(entry.name)}")
            continue
        key = name_key(entry.name)
        held = instruments_of(entry, earlier.get(key, []), next_line)
        next_line += len(held)
        report.warnings += assign_withdrawals(held, withdrawals.get(key, []), entry.name)
        rows += participant_rows(entry, participant.pk, held, treaty, url, page, seen)
    for name in set(withdrawals) | set(earlier):
        if not any(name_key(entry.name) == name for entry in page.participants):
            report.warnings.append(f"an end note names {name!r}, which is not in the table")
    return rows, problems


def by_participant(records) -> dict[str, list]:
    grouped = defaultdict(list)
    for record in records:
        grouped[name_key(record.participant)].append(record)
    return grouped


def instruments_of(entry, noted, next_line: int) -> list[Held]:
    """The participant's instruments by date: the table's, then those only its notes give."""
    held = []
    if entry.instrument is not None and entry.instrument.kind != InstrumentKind.DEFINITIVE_SIGNATURE:
        held.append(Held(entry.instrument.on, entry.instrument.kind, entry.row, entry.instrument.bracketed))
    for offset, record in enumerate(noted, start=1):
        if any(h.on == record.on and h.kind == record.kind for h in held):
            continue  # the note repeats the table's instrument
        held.append(Held(record.on, record.kind, next_line + offset, note=f"from end note {record.note}"))
    return sorted(held, key=lambda h: h.on)


def assign_withdrawals(held: list[Held], withdrawals: list[Withdrawal], name: str) -> list[str]:
    """Give each withdrawal the instrument it ended: the latest deposited before its
    notification and not yet withdrawn. (A State that denounces and re-accedes on one day
    withdraws the earlier instrument, not the new one.)"""
    warnings = []
    for withdrawal in sorted(withdrawals, key=lambda w: w.notified_on or w.effective_on or date.min):
        notified = withdrawal.notified_on or withdrawal.effective_on
        free = [h for h in held if h.withdrawal is None and (notified is None or h.on < notified)]
        if not free:
            warnings.append(f"{name}: the withdrawal of end note {withdrawal.note} matches no instrument")
            continue
        free[-1].withdrawal = withdrawal
    return warnings


def withdrawal_effect(held: Held, treaty: Treaty, undated: date) -> tuple[date | None, str]:
    """The day the instrument's withdrawal takes effect, and a note when it is inferred.

    ``undated`` stands for a withdrawal the page shows (a date in brackets) but no note
    dates: the day it was first seen so (see ``first_seen_withdrawn``).
    """
    withdrawal = held.withdrawal
    if withdrawal is None:
        if held.bracketed:  # the depositary no longer counts it, and no note says since when
            return undated, "Shown in brackets by the depositary; no note dates its end: counted until it was first seen so."
        return None, ""
    if withdrawal.effective_on:
        return withdrawal.effective_on, f"{withdrawal.kind.capitalize()}: end note {withdrawal.note}."
    if withdrawal.notified_on and treaty.withdrawal_delay:
        effect = rules.Delay.parse(treaty.withdrawal_delay).after(withdrawal.notified_on)
        return effect, (
            f"{withdrawal.kind.capitalize()} notified on {withdrawal.notified_on} (end note {withdrawal.note}); "
            f"takes effect {treaty.withdrawal_delay} later under the treaty's article."
        )
    return withdrawal.notified_on, (
        f"{withdrawal.kind.capitalize()} notified on {withdrawal.notified_on} (end note {withdrawal.note}); the note "
        "gives no day of effect and the treaty has no withdrawal delay: counted until the notification."
    )


def first_seen_withdrawn(treaty: Treaty) -> dict[tuple[int, str, date], date]:
    """The withdrawals already recorded, by participant, kind and date: an undated one
    keeps the day it was first seen, rather than moving with each page's "as at" time."""
    rows = treaty.actions.exclude(withdrawn_on=None).values_list("participant_id", "kind", "date", "withdrawn_on")
    return {(participant, kind, day): withdrawn for participant, kind, day, withdrawn in rows}


def participant_rows(
    entry, participant_pk: int, held: list[Held], treaty: Treaty, url: str, page: StatusPage, seen: dict
) -> list[ImportRow]:
    """The import rows of one table row: its signature, and each of its instruments."""
    common = {"participant": entry.name, "source_url": url, "confidence": Confidence.DEPOSITARY.value}
    as_at, rows, ended = page.header.as_at.date(), [], []
    for instrument in held:
        kind = ACTION_KINDS[instrument.kind]
        undated = seen.get((participant_pk, kind.value, instrument.on), as_at)
        effect, note = withdrawal_effect(instrument, treaty, undated)
        ended.append(effect)
        withdrawal = instrument.withdrawal
        rows.append(ImportRow(
            line=instrument.line,
            deposit_kind=kind,
            deposit_date=instrument.on,
            deposit_precision="exact",
            withdrawn_on=effect,
            withdrawal_notified_on=withdrawal.notified_on if withdrawal else None,
            withdrawal_kind=withdrawal.kind.value if withdrawal else "",
            note=" ".join(part for part in (instrument.note, note) if part),
            **common,
        ))
    definitive = entry.instrument is not None and entry.instrument.kind == InstrumentKind.DEFINITIVE_SIGNATURE
    if entry.signature_on or definitive:
        day = entry.instrument.on if definitive else entry.signature_on
        kind = rules.ActionKind.DEFINITIVE_SIGNATURE if definitive else rules.ActionKind.SIGNATURE
        withdrawn = None
        if entry.signature_bracketed or (definitive and entry.instrument.bracketed):
            # A signature in brackets ended with the instrument that followed it, if that was withdrawn.
            withdrawn = next((e for e in reversed(ended) if e), None) or seen.get((participant_pk, kind.value, day), as_at)
        rows.insert(0, ImportRow(line=entry.row, signature_date=day, signature_kind=kind,
                                 signature_precision="exact", withdrawn_on=withdrawn, **common))
    return rows


def absent_from_page(treaty: Treaty, page: StatusPage, index: ParticipantIndex) -> list[str]:
    """Participants with an action recorded here but no row on the page: kept, and named,
    so that staff can review them (a press report the depositary has not recorded yet)."""
    on_page = {index.get(entry.name).pk for entry in page.participants if index.get(entry.name)}
    missing = (
        treaty.actions.exclude(participant_id__in=on_page)
        .select_related("participant")
        .order_by("participant__name")
    )
    names = sorted({action.participant.name for action in missing})
    return [f"recorded here but not on the depositary's page (kept): {', '.join(names)}"] if names else []


# -- what the page says besides dates ---------------------------------------------------


def resolve_records(page: StatusPage, index: ParticipantIndex):
    """Each table row's and statement's participant; problems for the statements' unknown names."""
    found, problems = {}, []
    for entry in page.participants:
        participant = index.get(entry.name)
        if participant is not None:
            found[entry.name] = participant
    for statement in page.statements:
        participant = index.get(statement.participant)
        if participant is None:
            problems.append(f"{statement.section}: {index.unknown_message(statement.participant)}")
        else:
            found[statement.participant] = participant
    return found, problems


def sync_rows(model, treaty: Treaty, wanted: dict, fields: list[str], source: Source, as_at, reason: str) -> tuple[int, int, int]:
    """Make ``model``'s rows of ``treaty`` what ``wanted`` says ({key: {field: value}}, by
    the model's ``sync_key``): create, update and delete in bulk, with their history."""
    existing = {model.sync_key(row): row for row in model.objects.filter(treaty=treaty)}
    create, update = [], []
    for key, values in wanted.items():
        row = existing.pop(key, None)
        if row is None:
            create.append(model(treaty=treaty, source=source, as_at=as_at, **values))
        elif any(getattr(row, name) != values[name] for name in fields):
            for name in fields:
                setattr(row, name, values[name])
            row.source, row.as_at = source, as_at
            update.append(row)
    if create:
        bulk_create_with_history(create, model, default_change_reason=reason)
    if update:
        bulk_update_with_history(update, model, [*fields, "source", "as_at"], default_change_reason=reason)
    for row in existing.values():
        row._change_reason = reason
        row.delete()
    return len(create), len(update), len(existing)


def counted(what: str, numbers: tuple[int, int, int]) -> list[str]:
    created, updated, deleted = numbers
    if not any(numbers):
        return []
    return [f"{what}: {created} created, {updated} updated, {deleted} removed"]


def sync_entries(treaty, page, source, participants, reason) -> list[str]:
    """The footnotes and extra columns of each table row (rows with neither are not kept)."""
    wanted = {}
    for entry in page.participants:
        participant = participants[entry.name]
        extra = [
            {"column": c.column, "text": c.text, "on": c.on.isoformat() if c.on else None, "marker": c.marker}
            for c in entry.extra
        ]
        if entry.footnotes or extra:
            wanted[participant.pk] = {"participant": participant, "footnotes": list(entry.footnotes), "extra_columns": extra}
    numbers = sync_rows(DepositaryEntry, treaty, wanted, ["footnotes", "extra_columns"], source, page.header.as_at, reason)
    return counted("table footnotes and columns", numbers)


def sync_statements(treaty, page, source, participants, reason) -> list[str]:
    """Declarations, reservations, objections: one row per participant and section."""
    wanted: dict[tuple[int, str], dict] = {}
    for statement in page.statements:
        participant = participants[statement.participant]
        key = (participant.pk, statement.section[:300])
        dates = [day.isoformat() for day in statement.dates]
        if key in wanted:  # the same section twice on a page: one text
            wanted[key]["text"] += "\n\n" + statement.text
            wanted[key]["dates"] += dates
            continue
        wanted[key] = {"participant": participant, "section": key[1], "text": statement.text, "dates": dates}
    numbers = sync_rows(Statement, treaty, wanted, ["text", "dates"], source, page.header.as_at, reason)
    return counted("declarations, reservations and objections", numbers)


def sync_notes(treaty, page, source, reason) -> list[str]:
    wanted = {note.number: {"number": note.number, "text": note.text} for note in page.notes}
    numbers = sync_rows(EndNote, treaty, wanted, ["text"], source, page.header.as_at, reason)
    return counted("end notes", numbers)
