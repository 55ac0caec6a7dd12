"""The pages that lead to the data itself: every download, and the sources behind the figures.

Both are read in one query each, however many treaties and sources there are, and cached
whole like the other pages (tracker.pagecache).
"""

from urllib.parse import unquote, urlsplit

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.templatetags.static import static

from signatories.models import Action, DomesticStep
from tracker.models import Citation, ReportedFigure, Source, Treaty
from tracker.pagecache import cached_page
from tracker.wording import site_of, source_name


@cached_page
def downloads(request):
    """Each treaty's participants table (CSV, JSON), its new actions (Atom) and key dates
    (iCalendar), and the API's tables: one query for the treaties."""
    treaties = Treaty.objects.only("slug", "short_title", "depositary_reference").order_by("short_title")
    return render(request, "tracker/downloads.html", {"treaties": list(treaties)})


def count_by_source(model) -> Subquery:
    """How many rows of ``model`` (with a ``source_id``) cite the outer source: 0 for none."""
    counted = (
        model.objects.filter(source_id=OuterRef("pk"))
        .order_by()
        .values("source_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def sources_with_counts():
    """Every source with the number of facts it backs, most cited first: one query.

    Correlated counts rather than joins: joining four tables would multiply their rows
    (a source behind 60 actions and 2 citations is 120 joined rows) before counting.
    """
    return (
        Source.objects.annotate(
            actions_cited=count_by_source(Action.sources.through),
            steps_cited=count_by_source(DomesticStep.sources.through),
            citations_cited=count_by_source(Citation),
            figures_cited=count_by_source(ReportedFigure),
        )
        .only("url", "seed_article", "publisher", "title", "published_on")
        .order_by("publisher", "title", "url")
    )


SHORT = 60


def shortened(text: str, length: int = SHORT) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def short_label(source: Source) -> str:
    """A source as a table cell names it, short: its title cut, else who it is
    (wording.source_name); never the name of a file the project ships."""
    return shortened(source.title) if source.title else source_name(source)


def short_address(url: str) -> str:
    """A page's address without its scheme, cut short: "trend.az/azerbaijan/politics/41…"."""
    parts = urlsplit(url)
    return shortened(site_of(url) + unquote(parts.path).rstrip("/"), 48)


def cited(sources) -> list[dict]:
    """Sources as a cell lists them: short labels, numbered where two would read the same
    ("trend.az", "trend.az (2)"), each with its address for the link and its hover."""
    seen: dict[str, int] = {}
    found = []
    for source in sources:
        label = short_label(source)
        seen[label] = seen.get(label, 0) + 1
        shown = f"{label} ({seen[label]})" if seen[label] > 1 else label
        found.append({"label": shown, "url": source.url, "title": str(source)})
    return found


@cached_page
def sources(request):
    """The sources behind the figures: title, publisher, link and how many facts each backs."""
    rows = []
    for source in sources_with_counts():
        facts = source.actions_cited + source.steps_cited + source.citations_cited + source.figures_cited
        label = (
            shortened(source.title, 120)
            if source.title
            else short_address(source.url)
            if source.url
            else short_label(source)
        )
        rows.append({"source": source, "label": label, "facts": facts})
    rows.sort(key=lambda row: -row["facts"])  # stable: publisher, title order within a count
    context = {"rows": rows, "facts": sum(row["facts"] for row in rows)}
    return render(request, "tracker/sources.html", context)


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the SVG icon."""
    response = redirect(static("tracker/favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
