"""The participants table's rows as tracker.table_rows writes them: escaped, each cell named
by its column, each date a <time>, the sources as numbered links; and the treaty page's
table in a fixed number of queries."""

import re
from datetime import date
from html.parser import HTMLParser

from signatories.models import Action, Participant
from signatories.services import record_action
from tracker.models import DatePrecision, Source
from tracker.rules import ActionKind, ParticipantStatus
from tracker.snapshots import ParticipantRow
from tracker.table_rows import rows_html

AS_OF = date(2026, 11, 22)


def made_up_row(
    name="Atlantis", iso3="ATL", status=ParticipantStatus.SIGNED, sources=(), **actions
) -> ParticipantRow:
    """A row of a made-up participant, its actions given by keyword (signature, deposit,
    withdrawal), each citing ``sources``; nothing is read from the database."""
    participant = Participant(name=name, slug=name.lower().replace(" ", "-"), iso_alpha3=iso3 or None)
    for action in actions.values():
        action.cited = list(sources)
    return ParticipantRow(participant=participant, status=status, as_of=AS_OF, **actions)


def signature(day="2025-10-25", **fields) -> Action:
    return Action(kind="signature", date=date.fromisoformat(day), **fields)


def cells(html: str) -> list[tuple[str, dict, str]]:
    """Each cell of ``html`` (th and td) as (tag, attributes, text without markup)."""

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found, self.open = [], None

        def handle_starttag(self, tag, attrs):
            if tag in ("td", "th"):
                self.open = [tag, dict(attrs), ""]

        def handle_data(self, data):
            if self.open is not None:
                self.open[2] += data

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.open is not None:
                self.found.append(tuple(self.open))
                self.open = None

    parser = Cells()
    parser.feed(html)
    return parser.found


def test_a_participant_s_name_with_markup_is_escaped_in_its_row():
    html = rows_html([made_up_row(name='<script>alert("x")</script> & Co', signature=signature())])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html
    assert cells(html)[0][2] == '<script>alert("x")</script> & Co'


def test_a_source_s_title_and_url_are_escaped_in_its_link():
    source = Source(
        pk=7, url="https://example.org/a?b=1&c=2", title='The "ratification" <today>', publisher="A & B"
    )
    html = rows_html([made_up_row(signature=signature(), sources=[source])])
    link = re.search(r'<td data-label="Sources" class="sources">(.*?)</td>', html).group(1)
    assert 'href="https://example.org/a?b=1&amp;c=2"' in link
    assert 'title="The &quot;ratification&quot; &lt;today&gt; (A &amp; B)"' in link
    assert "<today>" not in link


def test_each_source_is_a_numbered_link_named_by_its_title():
    first = Source(pk=1, url="https://example.org/one", title="One", publisher="Ministry")
    second = Source(pk=2, seed_article="000_article.txt", title="Two", publisher="Paper")
    html = rows_html([made_up_row(signature=signature(), sources=[first, second])])
    links = re.findall(r'<a href="([^"]*)" title="([^"]*)" aria-label="([^"]*)">(\d+)</a>', html)
    assert links == [
        ("https://example.org/one", "One (Ministry)", "Source 1: One (Ministry)", "1"),
        ("#", "Two (Paper)", "Source 2: Two (Paper)", "2"),  # no URL: a shipped article
    ]


def test_each_date_is_a_time_element_and_on_or_before_stays_outside_it():
    row = made_up_row(
        status=ParticipantStatus.DEPOSITED,
        signature=signature("2025-10-25"),
        deposit=Action(kind="ratification", date=date(2026, 2, 1), date_precision=DatePrecision.ON_OR_BEFORE),
    )
    html = rows_html([row])
    assert '<td data-label="Signed"><time class="date" datetime="2025-10-25">2025-10-25</time></td>' in html
    assert (
        '<td data-label="Deposited">on or before <time class="date" datetime="2026-02-01">2026-02-01</time></td>'
        in html
    )
    assert '<td data-label="Instrument">Ratification</td>' in html


def test_a_definitive_signature_is_marked_as_such():
    action = Action(kind=ActionKind.DEFINITIVE_SIGNATURE.value, date=date(2026, 1, 5))
    html = rows_html([made_up_row(status=ParticipantStatus.DEPOSITED, signature=action, deposit=action)])
    text = {cell[1]["data-label"]: cell[2] for cell in cells(html)}
    assert text["Signed"] == "2026-01-05 (definitive)"
    assert text["Instrument"] == "Definitive signature"


def test_a_pending_withdrawal_is_written_with_its_date_as_a_time_element():
    instrument = Action(kind="ratification", date=date(2026, 2, 1), withdrawn_on=date(2027, 2, 20))
    row = made_up_row(status=ParticipantStatus.IN_FORCE, signature=signature(), deposit=instrument)
    row.withdrawal = instrument
    html = rows_html([row])
    assert (
        '<span class="withdrawal" data-withdrawal="pending">(withdrawal takes effect '
        '<time class="date" datetime="2027-02-20">2027-02-20</time>)</span>'
    ) in html


def test_a_row_without_group_dates_or_code_shows_dashes_and_links_by_slug():
    row = made_up_row(name="Holy See Made Up", iso3="", status=ParticipantStatus.NOT_SIGNED)
    html = rows_html([row])
    assert '<tr data-iso3="" data-status="not_signed">' in html
    assert 'href="/participants/holy-see-made-up/"' in html
    text = {cell[1]["data-label"]: cell[2] for cell in cells(html)}
    assert [
        text[label] for label in ("UN regional group", "Signed", "Instrument", "Deposited", "In force for it")
    ] == ["—"] * 5


def test_every_cell_of_the_page_s_table_is_named_by_its_column_header(client, seeded):
    html = client.get("/treaties/hanoi-convention/").content.decode()
    table = html[html.index('<table id="participants">') :]
    table = table[: table.index("</table>")]
    header = [text for tag, _, text in cells(table[: table.index("</thead>")])]
    body = cells(table[table.index("<tbody>") :])
    assert header[0] == "Participant" and header[-1] == "Sources"
    rows = [body[start : start + len(header)] for start in range(0, len(body), len(header))]
    assert len(rows) == len(re.findall(r"<tr data-iso3=", table)) > 60
    for row in rows:
        assert [attrs.get("data-label") for _, attrs, _ in row] == header
        assert row[0][0] == "th" and row[0][1]["scope"] == "row"


def test_every_date_of_the_page_s_table_is_a_time_element(client, seeded):
    html = client.get("/treaties/hanoi-convention/").content.decode()
    body = html[html.index('<table id="participants">') :]
    body = body[body.index("<tbody>") : body.index("</tbody>")]
    text = re.sub(r'<time class="date" datetime="(\d{4}-\d\d-\d\d)">\1</time>', "", body)
    assert re.search(r"\d{4}-\d\d-\d\d", text) is None
    assert body.count('<time class="date"') >= 68  # every signatory's signature at least


def test_the_treaty_page_s_queries_do_not_grow_with_the_sources_cited(
    client, seeded, django_assert_max_num_queries
):
    from tests.helpers import clear_caches

    with django_assert_max_num_queries(14):
        client.get("/treaties/hanoi-convention/")
    austria = Participant.objects.get(name="Austria")
    action = record_action(
        treaty=seeded, participant=austria, kind=ActionKind.RATIFICATION, date=date(2026, 2, 1)
    )
    sources = Source.objects.bulk_create(Source(url=f"https://example.org/made-up/{n}") for n in range(30))
    action.sources.add(*sources)
    for other in seeded.actions.exclude(pk=action.pk)[:30]:
        other.sources.add(*sources[:3])
    clear_caches()
    with django_assert_max_num_queries(14):
        html = client.get("/treaties/hanoi-convention/").content.decode()
    row = html[html.index('<tr data-iso3="AUT"') :]
    assert row[: row.index("</tr>")].count('aria-label="Source ') == len(austria_sources(seeded, austria))


def austria_sources(treaty, austria) -> set[int]:
    """The sources of Austria's actions under ``treaty``, from the database."""
    return set(
        Source.objects.filter(actions__treaty=treaty, actions__participant=austria).values_list(
            "pk", flat=True
        )
    )


def test_a_search_that_matches_nobody_says_so_in_the_table(client, seeded):
    html = client.get("/treaties/hanoi-convention/?q=no-such-participant").content.decode()
    table = html[html.index('<table id="participants">') :]
    table = table[: table.index("</table>")]
    assert '<tr><td colspan="8">No participant matches.</td></tr>' in table
    assert "<tr data-iso3=" not in table
    assert "0 participants shown." in html
