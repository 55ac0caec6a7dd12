"""The machinery both apps' loaders share: reading the shipped CSV files, the ledger of
rows seeded once, the sources they cite, and the bulk creation of validated rows.

It sits below the services (tracker.services, signatories.services), which both import it,
and above the models: it knows no participant or action, only how to load rows of a model.
"""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.utils import bulk_create_with_history

from tracker.models import SeededRecord, Source

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
SEED_PREFIX = "seed"


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
    ``cited`` (a list per instance, through the model's ``sources``): five queries at most.

    Bulk inserts go around ``save_valid``: the caller validated the rows (``validate_new``)
    and says ``tracker.writes.data_changed`` once for them all.
    """
    if not instances:
        return
    bulk_create_with_history(instances, model, default_change_reason=reason)
    if cited:
        through = model.sources.through
        column = f"{model._meta.model_name}_id"
        pairs = zip(instances, cited, strict=True)
        links = dict.fromkeys((row.pk, source.pk) for row, sources in pairs for source in sources)
        through.objects.bulk_create([through(**{column: pk, "source_id": source}) for pk, source in links])


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


def load_rows(
    path: Path,
    ledger: SeedLedger,
    plan: Callable[[dict[str, str]], SeedRow],
    model,
    sources: SourceResolver | None = None,
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
