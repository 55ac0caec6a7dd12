"""Writes for treaties, sources and reported figures, and the seeding of all shipped data.

``delete_sources()`` is the one way a source is deleted (the admin and the API call it): a
source that any record still cites is kept.

``seed()`` loads everything under ``fixtures/`` in one transaction. It can run any number
of times: what it created once it never creates again (a ``SeededRecord`` remembers it),
and it never overwrites a row, so what staff corrected or deleted since stays so.
"""

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from signatories.models import Action, DomesticStep
from tracker.models import Citation, ReportedFigure, SeededRecord, Source, Treaty
from tracker.signals import bump_data_version

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
    already in the database, and how to validate and save it."""

    key: str
    exists: bool
    create: Callable[[], object]


def load_rows(path: Path, ledger: "SeedLedger", plan: Callable[[dict[str, str]], SeedRow]) -> LoadSummary:
    """Seed each row of a CSV file as ``plan`` describes it, collecting every bad row."""
    summary = LoadSummary()
    for line, row in read_rows(path):
        try:
            item = plan(row)
            if item.exists or not ledger.should_create(item.key):
                summary.kept += 1
                continue
            item.create()
        except (ValueError, ValidationError) as error:
            summary.problems.append(f"{path.name} row {line}: {error_text(error)}")
            continue
        ledger.mark(item.key)
        summary.created += 1
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
    Sources are created on first use and never changed afterwards.
    """

    def __init__(self):
        self._cache: dict[str, Source] = {}

    def resolve(self, reference: str) -> Source:
        reference = reference.strip()
        if reference not in self._cache:
            self._cache[reference] = self._get_or_create(reference)
        return self._cache[reference]

    def resolve_all(self, references: str) -> list[Source]:
        """Every source of a space-separated list of references."""
        return [self.resolve(ref) for ref in references.split()]

    @staticmethod
    def _get_or_create(reference: str) -> Source:
        for prefix in (f"{SEED_PREFIX} ", f"{SEED_PREFIX}:"):
            if reference.startswith(prefix):
                article = reference[len(prefix) :].strip()
                if not (FIXTURES_DIR / "seeds" / article).is_file():
                    raise ValueError(f"no seed article {article!r} in fixtures/seeds")
                return Source.objects.get_or_create(seed_article=article)[0]
        if not reference.startswith(("http://", "https://")):
            raise ValueError(f"{reference!r} is neither a URL nor 'seed <file>'")
        publisher = urlsplit(reference).netloc.removeprefix("www.")
        return Source.objects.get_or_create(url=reference, defaults={"publisher": publisher})[0]


def load_seed_articles(directory: Path) -> LoadSummary:
    """Register the shipped articles (fixtures/seeds/index.csv) as sources."""
    summary = LoadSummary()
    for line, row in read_rows(directory / "index.csv"):
        if not (directory / row["file"]).is_file():
            summary.problems.append(f"seeds/index.csv row {line}: no file {row['file']!r}")
            continue
        defaults = {
            "publisher": row["publisher"],
            "title": row["title"],
            "published_on": parse_date(row["published_on"]) if row["published_on"] else None,
        }
        _, created = Source.objects.get_or_create(seed_article=row["file"], defaults=defaults)
        summary.created += created
        summary.kept += not created
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
    else:
        summary.kept += 1
    for citation in citations:
        source = sources.resolve(citation["source"])
        _, created = Citation.objects.get_or_create(
            treaty=treaty, fact=citation["fact"], source=source, defaults={"quote": citation["quote"]}
        )
        summary.created += created
        summary.kept += not created
    return treaty, summary


def load_reported_figures(treaty: Treaty, path: Path, sources: SourceResolver, ledger: SeedLedger) -> LoadSummary:
    """Create the totals sources reported (one CSV row each)."""

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
        natural_key = {"treaty": treaty, "figure": figure.figure, "reported_on": figure.reported_on, "source": figure.source}
        return SeedRow(
            key=f"figure:{treaty.slug}:{figure.figure}:{figure.reported_on}:{figure.source.pk}",
            exists=ReportedFigure.objects.filter(**natural_key).exists(),
            create=lambda: save_valid(figure, reason=f"seed: {path.name}"),
        )

    return load_rows(path, ledger, plan)


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


def load_treaty_records(treaty: Treaty, fixtures: Path, sources: SourceResolver, ledger: SeedLedger) -> dict:
    """Load the files named after a treaty's slug: ``<slug>-signatures.csv`` and the like."""
    from signatories import services as signatories_services

    loaders = {
        "signatures": signatories_services.load_signatures,
        "domestic-steps": signatories_services.load_domestic_steps,
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

    ledger, sources = SeedLedger(), SourceResolver()
    report = {
        "participants and aliases": signatories_services.load_participants(fixtures / "participants.csv", ledger),
        "memberships": signatories_services.load_memberships(fixtures / "reio-memberships.csv", ledger),
        "sources": load_seed_articles(fixtures / "seeds"),
    }
    for definition in sorted((fixtures / "treaties").glob("*.json")):
        treaty, report[f"treaty {definition.stem} and citations"] = load_treaty(definition, sources, ledger)
        if treaty is not None:
            report.update(load_treaty_records(treaty, fixtures, sources, ledger))
    problems = [problem for summary in report.values() for problem in summary.problems]
    if problems:
        raise SeedError(problems)
    ledger.save()
    bump_data_version()  # bulk inserts send no post_save signal
    return report
