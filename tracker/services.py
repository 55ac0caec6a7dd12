"""Writes for treaties, sources and reported figures, the generic write services every
writer above them uses, and the seeding of all shipped data.

``save_valid()`` and ``delete_valid()`` are how the admin, the API and the commands write
one row: validated, with the audit reason and user, the data version changed and (for an
action or a treaty) the alert check queued after the commit, in one transaction. A change
of an action's or a domestic step's sources is kept in its history record too.
``delete_sources()`` is the one way a source is deleted: a source that any record still
cites is kept.

``seed()`` loads everything under ``fixtures/`` in one transaction. It can run any number
of times: what it created once it never creates again (a ``SeededRecord`` remembers it),
and it never overwrites a row, so what staff corrected or deleted since stays so. Like the
import, it reads and writes in bulk (``bulk_create_with_history``, so the audit history
still records every row): a few dozen queries, whatever the number of rows. The loaders of
participants and their actions are signatories.services'; the machinery both share is
tracker.loading's.
"""

import json
from functools import partial
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from signatories import services as signatories_services
from signatories.models import Action, DomesticStep
from signatories.selectors import ParticipantIndex
from tracker import writes
from tracker.loading import (  # noqa: F401  (FIXTURES_DIR, error_text and the like: used from here too)
    FIXTURES_DIR,
    SEED_PREFIX,
    LoadSummary,
    SeedLedger,
    SeedRow,
    SourceResolver,
    create_in_bulk,
    error_text,
    load_rows,
    parse_date,
    read_rows,
    validate_new,
)
from tracker.models import Citation, ReportedFigure, Source, Treaty
from tracker.writes import audit, changes_actions, data_changed


@transaction.atomic
def save_valid(instance, reason: str = "", *, user=None, actions: bool | None = None, relations=None):
    """``tracker.writes.save_valid`` (validate, save with the audit reason and user, set the
    many-to-many ``relations``, say ``data_changed``), and for a row whose history keeps its
    sources (``SourcesHistory``), how they changed, in the history record of this save:
    simple-history would show a change of sources alone as a change of nothing."""
    change = sources_change(instance, relations or {})
    writes.save_valid(instance, reason, user=user, actions=actions, relations=relations)
    if change:
        latest = instance.history.order_by("-history_id").values_list("history_id", flat=True)[:1]
        instance.history.filter(history_id__in=list(latest)).update(history_sources_change=change)
    return instance


def sources_change(instance, relations) -> str:
    """How saving ``relations["sources"]`` changes the sources of ``instance``, in words:
    "added “A”, “B”; removed “C”", or "" (no change, or a model whose history does not keep it)."""
    history = getattr(type(instance), "history", None)
    if "sources" not in relations or history is None or not hasattr(history.model, "history_sources_change"):
        return ""
    wanted = {getattr(value, "pk", value) for value in relations["sources"]}
    cited = set(instance.sources.values_list("pk", flat=True)) if instance.pk else set()
    names = {source.pk: history_label(source) for source in Source.objects.filter(pk__in=wanted ^ cited)}
    labels = {pk: names.get(pk, f"source {pk}") for pk in wanted ^ cited}
    parts = [
        f"{verb} {', '.join(f'“{labels[pk]}”' for pk in sorted(pks, key=labels.get))}"
        for verb, pks in (("added", wanted - cited), ("removed", cited - wanted))
        if pks
    ]
    return "; ".join(parts)


def history_label(source: Source) -> str:
    """A source as the audit history names it: as the pages do, and with its address when
    that name leaves it out (a page's host alone does not say which page it was)."""
    name = str(source)
    return name if not source.url or source.url in name else f"{name}, {source.url}"


class SeedError(Exception):
    """The shipped data has errors; ``problems`` lists each with its file and row."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def load_seed_articles(directory: Path) -> LoadSummary:
    """Register the shipped articles (fixtures/seeds/index.csv) as sources."""
    summary, new = LoadSummary(), []
    rows = list(read_rows(directory / "index.csv"))
    files = [row["file"] for _, row in rows]
    existing = set(Source.objects.filter(seed_article__in=files).values_list("seed_article", flat=True))
    for line, row in rows:
        if not (directory / row["file"]).is_file():
            summary.problems.append(f"seeds/index.csv row {line}: no file {row['file']!r}")
            continue
        if row["file"] in existing:
            summary.kept += 1
            continue
        try:
            source = Source(
                seed_article=row["file"],
                publisher=row["publisher"],
                title=row["title"],
                published_on=parse_date(row["published_on"]) if row["published_on"] else None,
            )
            source.full_clean(validate_unique=False, validate_constraints=False)
        except (ValueError, ValidationError) as error:
            summary.problems.append(f"seeds/index.csv row {line}: {error_text(error)}")
            continue
        existing.add(row["file"])
        new.append(source)
    if not summary.problems:
        create_in_bulk(Source, new, "seed: seeds/index.csv")
        summary.created += len(new)
    return summary


def load_treaty(path: Path, sources: SourceResolver, ledger: SeedLedger) -> tuple[Treaty | None, LoadSummary]:
    """Create the treaty a JSON file defines, with the citations of its facts.

    Returns None for a treaty that staff deleted after an earlier seed.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    citations = data.pop("citations", [])
    summary = LoadSummary()
    key = f"treaty:{data['slug']}"
    treaty = Treaty.objects.filter(slug=data["slug"]).first()
    if treaty is None and not ledger.should_create(key):
        return None, summary
    if treaty is None:
        try:
            treaty = save_valid(Treaty(**data), reason=f"seed: {path.name}")
        except ValidationError as error:
            summary.problems.append(f"{path.name}: {error_text(error)}")
            return None, summary
        ledger.mark(key)
        summary.created += 1
        existing = set()
    else:
        summary.kept += 1
        existing = set(treaty.citations.values_list("fact", "source_id"))
    sources.prepare([citation["source"] for citation in citations], reason=f"seed: {path.name}")
    new = []
    for number, citation in enumerate(citations, start=1):
        try:
            source = sources.resolve(citation["source"])
            if (citation["fact"], source.pk) in existing:
                summary.kept += 1
                continue
            row = Citation(treaty=treaty, fact=citation["fact"], source=source, quote=citation["quote"])
            validate_new(row)
        except (ValueError, ValidationError) as error:
            summary.problems.append(f"{path.name} citation {number}: {error_text(error)}")
            continue
        existing.add((citation["fact"], source.pk))
        new.append(row)
    if not summary.problems:
        create_in_bulk(Citation, new, f"seed: {path.name}")
        summary.created += len(new)
    return treaty, summary


def load_reported_figures(treaty: Treaty, path: Path, sources: SourceResolver, ledger: SeedLedger) -> LoadSummary:
    """Create the totals sources reported (one CSV row each)."""
    # A figure's source is part of its key: read (or create) them all first.
    sources.prepare([row["source"] for _, row in read_rows(path)], reason=f"seed: {path.name}")
    figures = ReportedFigure.objects.filter(treaty=treaty)
    existing = set(figures.values_list("figure", "reported_on", "source_id"))

    def plan(row: dict[str, str]) -> SeedRow:
        figure = ReportedFigure(
            treaty=treaty,
            reported_on=parse_date(row["reported_on"]),
            figure=row["figure"],
            value=int(row["value"]),
            qualifier=row["qualifier"] or ReportedFigure.Qualifier.EXACTLY,
            source=sources.resolve(row["source"]),
            note=row["note"],
        )
        return SeedRow(
            key=f"figure:{treaty.slug}:{figure.figure}:{figure.reported_on}:{figure.source.pk}",
            exists=(figure.figure, figure.reported_on, figure.source.pk) in existing,
            instance=figure,
        )

    return load_rows(path, ledger, plan, ReportedFigure)


def citing_records(sources) -> list:
    """Every action, domestic step, citation and reported figure that cites any of
    ``sources`` (instances or a queryset), each once."""
    records = [
        *Action.objects.filter(sources__in=sources).select_related("participant", "treaty"),
        *DomesticStep.objects.filter(sources__in=sources).select_related("participant"),
        *Citation.objects.filter(source__in=sources).select_related("treaty", "source"),
        *ReportedFigure.objects.filter(source__in=sources),
    ]
    return list(dict.fromkeys(records))  # a record citing two of the sources comes back twice


@transaction.atomic
def delete_sources(sources, user=None, *, reason: str = "") -> None:
    """Delete ``sources``, all or none: raises django.db.models.ProtectedError with the
    records that still cite any of them (``protected_objects``), and deletes nothing.

    Django itself protects only the sources of citations and reported figures; an action's
    or a domestic step's link to a source would silently go with it. ``user`` and
    ``reason`` are recorded in the audit history (by default, the user of the current
    request).
    """
    # Locking the rows makes a concurrent write that links one of them wait until we are
    # done, so nothing can start citing a source between the check and the deletion.
    sources = list(Source.objects.select_for_update().filter(pk__in=[source.pk for source in sources]))
    citing = citing_records(sources)
    if citing:
        names = "; ".join(str(source) for source in sources)
        raise ProtectedError(f"{len(citing)} records still cite {names}: nothing was deleted.", citing)
    for source in sources:
        audit(source, reason, user)
        source.delete()
    if sources:
        data_changed()


def citing_names(records, limit: int = 5) -> str:
    """Up to ``limit`` of ``records`` (a ProtectedError's), by name, for a refusal."""
    return "; ".join(sorted({str(record) for record in records})[:limit])


def delete_source(source: Source, user=None, *, reason: str = "") -> None:
    """Delete one source unless a record still cites it (see ``delete_sources``)."""
    delete_sources([source], user=user, reason=reason)


def _delete(instance, reason: str, user) -> None:
    """Delete one row, refusing with a ProtectedError that names what still needs it."""
    audit(instance, reason, user)
    try:
        with transaction.atomic():  # a savepoint: a refusal leaves the outer transaction usable
            instance.delete()
    except ProtectedError as error:
        records = error.protected_objects
        raise ProtectedError(
            f"{len(records)} records still refer to {instance}: {citing_names(records)}; nothing was deleted.",
            records,
        ) from None


@transaction.atomic
def delete_valid(instance, reason: str = "", *, user=None) -> None:
    """Delete one row with ``reason`` and ``user`` in its audit history, and say
    ``data_changed`` (an action or a treaty queues the alert check after the commit).

    Raises django.db.models.ProtectedError, deleting nothing, when other records still
    need it (``protected_objects``): an action still citing a source, a participant's
    actions. A source goes through ``delete_sources``.
    """
    if isinstance(instance, Source):
        delete_sources([instance], user=user, reason=reason)
        return
    _delete(instance, reason, user)
    data_changed(actions=changes_actions(instance))


@transaction.atomic
def delete_all(instances, reason: str = "", *, user=None) -> None:
    """Delete every one of ``instances`` (a queryset, say, all of one model), all or none,
    as ``delete_valid`` deletes one: an audit record each, one new data version."""
    instances = list(instances)
    if not instances:
        return
    if all(isinstance(instance, Source) for instance in instances):
        delete_sources(instances, user=user, reason=reason)
        return
    for instance in instances:
        _delete(instance, reason, user)
    data_changed(actions=any(changes_actions(instance) for instance in instances))


def load_treaty_records(
    treaty: Treaty, fixtures: Path, sources: SourceResolver, ledger: SeedLedger, index=None
) -> dict:
    """Load the files named after a treaty's slug: ``<slug>-signatures.csv`` and the like.

    ``index`` (a ``ParticipantIndex``) finds the participants the files name.
    """
    index = index or ParticipantIndex()
    loaders = {
        "signatures": partial(signatories_services.load_signatures, index=index),
        "domestic-steps": partial(signatories_services.load_domestic_steps, index=index),
        "reported-figures": load_reported_figures,
    }
    report = {}
    for name, loader in loaders.items():
        path = fixtures / f"{treaty.slug}-{name}.csv"
        if path.is_file():
            report[f"{treaty.slug} {name}"] = loader(treaty, path, sources, ledger)
    return report


@transaction.atomic
def seed(fixtures: Path = FIXTURES_DIR) -> dict[str, LoadSummary]:
    """Load all shipped data: participants, the Hanoi Convention, its sources, signatures,
    domestic steps and reported figures. All or nothing: any bad row rolls it all back."""
    ledger, sources = SeedLedger(), SourceResolver()
    participants = signatories_services.load_participants(fixtures / "participants.csv", ledger)
    index = ParticipantIndex()  # every participant and alias, now: read once for all the files
    report = {
        "participants and aliases": participants,
        "memberships": signatories_services.load_memberships(
            fixtures / "reio-memberships.csv", ledger, index
        ),
        "sources": load_seed_articles(fixtures / "seeds"),
    }
    for definition in sorted((fixtures / "treaties").glob("*.json")):
        treaty, report[f"treaty {definition.stem} and citations"] = load_treaty(definition, sources, ledger)
        if treaty is not None:
            report.update(load_treaty_records(treaty, fixtures, sources, ledger, index=index))
    problems = [problem for summary in report.values() for problem in summary.problems]
    if problems:
        raise SeedError(problems)
    ledger.save()
    # The rows went in in bulk, around save_valid: say once what they changed.
    data_changed(actions=any(summary.created for name, summary in report.items() if name.endswith(" signatures")))
    return report
