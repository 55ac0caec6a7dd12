"""Writes for treaties, sources and reported figures, and the seeding of all shipped data.

``delete_sources()`` is the one way a source is deleted (the admin and the API call it): a
source that any record still cites is kept.

``seed()`` loads everything under ``fixtures/`` in one transaction. It can run any number
of times: what it created once it never creates again (a ``SeededRecord`` remembers it),
and it never overwrites a row, so what staff corrected or deleted since stays so. Like the
import, it reads and writes in bulk (``bulk_create_with_history``, so the audit history
still records every row): a few dozen queries, whatever the number of rows.
"""

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from simple_history.utils import bulk_create_with_history

from signatories.models import Action, DomesticStep
from tracker.models import Citation, ReportedFigure, SeededRecord, Source, Treaty
from tracker.signals import bump_data_version, queue_alert_check

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
SEED_PREFIX = "seed"


class SeedError(Exception):
    """The shipped data has errors; ``problems`` lists each with its file and row."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class LoadSummary:
    """How many rows a loader created, and how many it left as they were."""

    created: int = 0
    kept: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: "LoadSummary") -> None:
        self.created += other.created
        self.kept += other.kept
        self.problems += other.problems


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a CSV file as dicts, each with its line number (the header is line 1)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            yield reader.line_num, {key: (value or "").strip() for key, value in row.items()}


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date of the form YYYY-MM-DD") from None


def error_text(error: Exception) -> str:
    """An error as one line; a ValidationError as "field: message; other: message"."""
    if not isinstance(error, ValidationError):
        return str(error)
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


@dataclass
class SeedRow:
    """What seeding one row of a data file means: its ledger key, whether the row is
    already in the database, and the unsaved row to create (validated only if it is to be
    created), with the space-separated references of the sources it cites."""

    key: str
    exists: bool
    instance: models.Model
    cites: str = ""
    check: Callable[[], None] | None = None  # what full_clean cannot check without a query


def validate_new(instance: models.Model) -> None:
    """Every check of ``full_clean`` that needs no query.

    The foreign keys point to rows just read or written; the unique constraints are the
    natural keys each loader compares with the table (and the ledger keys with the file).
    """
    relations = [field.name for field in instance._meta.concrete_fields if field.is_relation]
    instance.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)


def create_in_bulk(model, instances: list, reason: str, cited: list[list] | None = None) -> None:
    """Insert ``instances`` with their audit history, and link each to the sources of
    ``cited`` (a list per instance, through the model's ``sources``): five queries at most."""
    if not instances:
        return
    bulk_create_with_history(instances, model, default_change_reason=reason)
    if cited:
        through = model.sources.through
        column = f"{model._meta.model_name}_id"
        pairs = zip(instances, cited, strict=True)
        links = dict.fromkeys((row.pk, source.pk) for row, sources in pairs for source in sources)
        through.objects.bulk_create([through(**{column: pk, "source_id": source}) for pk, source in links])


def load_rows(
    path: Path,
    ledger: "SeedLedger",
    plan: Callable[[dict[str, str]], SeedRow],
    model,
    sources: "SourceResolver | None" = None,
) -> LoadSummary:
    """Seed each row of a CSV file as ``plan`` describes it, collecting every bad row,
    then create the new rows in bulk (none if any row is bad: the seed is rolled back)."""
    summary, new = LoadSummary(), []
    for line, row in read_rows(path):
        try:
            item = plan(row)
            if item.exists or not ledger.should_create(item.key):
                summary.kept += 1
                continue
            validate_new(item.instance)
            if item.check is not None:
                item.check()
        except (ValueError, ValidationError) as error:
            summary.problems.append(f"{path.name} row {line}: {error_text(error)}")
            continue
        ledger.mark(item.key)  # a second row with the same key is kept, as if already created
        new.append((line, item))
    cited = []
    if sources is not None:
        reason = f"seed: {path.name}"
        sources.prepare([reference for _, item in new for reference in item.cites.split()], reason=reason)
        for line, item in new:
            try:
                cited.append(sources.resolve_all(item.cites))
            except (ValueError, ValidationError) as error:
                summary.problems.append(f"{path.name} row {line}: {error_text(error)}")
    if not summary.problems:
        create_in_bulk(model, [item.instance for _, item in new], f"seed: {path.name}", cited or None)
        summary.created += len(new)
    return summary


class SeedLedger:
    """Which seeded rows were already created once, by a stable key per row."""

    def __init__(self):
        self.done = set(SeededRecord.objects.values_list("key", flat=True))
        self.new: list[str] = []

    def should_create(self, key: str) -> bool:
        return key not in self.done

    def mark(self, key: str) -> None:
        self.done.add(key)
        self.new.append(key)

    def save(self) -> None:
        """Store the keys marked since the last save, in one query."""
        SeededRecord.objects.bulk_create([SeededRecord(key=key) for key in self.new])
        self.new = []


class SourceResolver:
    """Turns a source reference of the data files into a ``Source`` row.

    A reference is a URL, or ``seed <file>`` for one of the articles in fixtures/seeds.
    Sources are created on first use and never changed afterwards. ``prepare`` reads and
    creates the sources of many references in three queries; ``resolve`` then answers
    from memory.
    """

    def __init__(self):
        self._known: dict[tuple[str, str], Source] = {}

    @staticmethod
    def _key(reference: str) -> tuple[str, str]:
        """("seed", file) or ("url", URL); raises ValueError for anything else."""
        reference = reference.strip()
        for prefix in (f"{SEED_PREFIX} ", f"{SEED_PREFIX}:"):
            if reference.startswith(prefix):
                article = reference[len(prefix) :].strip()
                if not (FIXTURES_DIR / "seeds" / article).is_file():
                    raise ValueError(f"no seed article {article!r} in fixtures/seeds")
                return ("seed", article)
        if not reference.startswith(("http://", "https://")):
            raise ValueError(f"{reference!r} is neither a URL nor 'seed <file>'")
        return ("url", reference)

    @staticmethod
    def _new(key: tuple[str, str]) -> Source:
        kind, value = key
        if kind == "seed":
            source = Source(seed_article=value)
        else:
            source = Source(url=value, publisher=urlsplit(value).netloc.removeprefix("www."))
        source.full_clean(validate_unique=False, validate_constraints=False)
        return source

    def prepare(self, references, reason: str = "") -> None:
        """Read, and create those missing, the sources of ``references`` in bulk. A bad
        reference is skipped here: ``resolve`` reports it for its row."""
        wanted = {}  # in the order of first use, which the new sources' keys follow
        for reference in references:
            try:
                key = self._key(reference)
            except ValueError:
                continue
            if key not in self._known:
                wanted[key] = None
        if not wanted:
            return
        articles = [value for kind, value in wanted if kind == "seed"]
        urls = [value for kind, value in wanted if kind == "url"]
        for source in Source.objects.filter(models.Q(seed_article__in=articles) | models.Q(url__in=urls)):
            if source.seed_article:
                self._known[("seed", source.seed_article)] = source
            if source.url:
                self._known[("url", source.url)] = source
        missing = {}
        for key in (key for key in wanted if key not in self._known):
            try:
                missing[key] = self._new(key)
            except ValidationError:
                continue
        create_in_bulk(Source, list(missing.values()), reason)
        self._known.update(missing)

    def resolve(self, reference: str) -> Source:
        key = self._key(reference)
        if key not in self._known:
            self.prepare([reference])
        if key not in self._known:
            self._new(key)  # raises the ValidationError that kept prepare from creating it
        return self._known[key]

    def resolve_all(self, references: str) -> list[Source]:
        """Every source of a space-separated list of references."""
        return [self.resolve(ref) for ref in references.split()]


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
def delete_sources(sources, user=None) -> None:
    """Delete ``sources``, all or none: raises django.db.models.ProtectedError with the
    records that still cite any of them (``protected_objects``), and deletes nothing.

    Django itself protects only the sources of citations and reported figures; an action's
    or a domestic step's link to a source would silently go with it. ``user`` is recorded
    in the audit history (by default, the user of the current request).
    """
    # Locking the rows makes a concurrent write that links one of them wait until we are
    # done, so nothing can start citing a source between the check and the deletion.
    sources = list(Source.objects.select_for_update().filter(pk__in=[source.pk for source in sources]))
    citing = citing_records(sources)
    if citing:
        names = "; ".join(str(source) for source in sources)
        raise ProtectedError(f"{len(citing)} records still cite {names}: nothing was deleted.", citing)
    for source in sources:
        if user is not None:
            source._history_user = user
        source.delete()


def citing_names(records, limit: int = 5) -> str:
    """Up to ``limit`` of ``records`` (a ProtectedError's), by name, for a refusal."""
    return "; ".join(sorted({str(record) for record in records})[:limit])


def delete_source(source: Source, user=None) -> None:
    """Delete one source unless a record still cites it (see ``delete_sources``)."""
    delete_sources([source], user=user)


def save_valid(instance, reason: str = ""):
    """Validate a model instance with every invariant, then save it; ``reason`` goes
    into the audit history."""
    instance.full_clean()
    instance._change_reason = reason
    instance.save()
    return instance


def load_treaty_records(
    treaty: Treaty, fixtures: Path, sources: SourceResolver, ledger: SeedLedger, index=None
) -> dict:
    """Load the files named after a treaty's slug: ``<slug>-signatures.csv`` and the like.

    ``index`` (a ``ParticipantIndex``) finds the participants the files name.
    """
    from signatories import services as signatories_services
    from signatories.selectors import ParticipantIndex

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
    from signatories import services as signatories_services
    from signatories.selectors import ParticipantIndex

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
    bump_data_version()  # bulk inserts send no post_save signal…
    if any(summary.created for name, summary in report.items() if name.endswith(" signatures")):
        queue_alert_check()  # …so say what a saved action would have said
    return report
