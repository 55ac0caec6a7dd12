"""The home page's list (tracker.overview): every treaty's status in a fixed number of
queries, and the same status as each treaty's own (tracker.selectors.treaty_status)."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signatories.models import Participant
from signatories.services import record_action
from tracker import overview
from tracker.rules import ActionKind
from tracker.selectors import treaty_status

DAY = date(2026, 11, 22)
SHOWN = ("threshold", "signatories", "instruments_deposited", "instruments_counted", "threshold_reached_on",
         "entry_into_force_on", "entry_into_force_on_or_before", "parties", "in_force", "days_until_signature_closes")


def summary_of(status) -> dict:
    """What the home page shows of a status (a rules.Status or an overview.Summary)."""
    return {name: getattr(status, name) for name in SHOWN}


def made_up_treaties(make_treaty, count: int, seeded) -> list:
    """``count`` made-up treaties, each with the first few signatories of the Hanoi
    Convention ratifying it, a protocol subject to the first, and one requiring Austria."""
    states = list(Participant.objects.filter(kind=Participant.Kind.STATE, iso_alpha3__isnull=False).order_by("name"))
    treaties = []
    for number in range(count):
        fields = {"slug": f"made-up-{number}", "short_title": f"Made-up treaty {number}", "threshold": 3}
        if number == 1:
            fields |= {"subject_to": treaties[0]}
        if number == 2:
            fields |= {"required_participants": "AUT"}
        treaty = make_treaty(**fields)
        for state in states[: number % 6]:
            record_action(treaty=treaty, participant=state, kind=ActionKind.RATIFICATION, date=date(2026, 1, 10))
        treaties.append(treaty)
    return treaties


def test_every_line_gives_the_status_the_treaty_s_own_computation_gives(seeded, make_treaty):
    made_up_treaties(make_treaty, 8, seeded)
    lines = overview.treaty_lines(DAY)
    assert len(lines) == 9 and lines[0].treaty.slug == "hanoi-convention"
    for line in lines:
        assert summary_of(line.status) == summary_of(treaty_status(line.treaty, DAY)), line.treaty.slug
    in_force = {line.treaty.slug for line in lines if line.status.in_force}
    assert {"made-up-3", "made-up-4", "made-up-5"} <= in_force  # 3 or more of a threshold of 3
    assert "made-up-2" not in in_force  # Austria, required, has not ratified it


@pytest.mark.parametrize("count", [1, 30])
def test_the_home_page_takes_the_same_queries_for_one_treaty_or_thirty(client, seeded, make_treaty, count):
    made_up_treaties(make_treaty, count, seeded)
    client.get("/")  # the data version, read once
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/?as_of=2026-11-22")  # not cached yet: computed
    assert response.status_code == 200 and response["X-Page-Cache"] == "miss"
    assert response.content.decode().count("<tr data-treaty=") == count + 1
    assert len(queries) <= 12, [query["sql"][:80] for query in queries]


def test_a_withdrawn_instrument_and_a_regional_organization_count_as_on_the_treaty_s_page(seeded):
    from tracker.models import Treaty

    hanoi = Treaty.objects.get(slug="hanoi-convention")
    eu = Participant.objects.get(slug="european-union")
    austria = Participant.objects.get(iso_alpha3="AUT")
    record_action(treaty=hanoi, participant=eu, kind=ActionKind.APPROVAL, date=date(2026, 3, 1))
    record_action(treaty=hanoi, participant=austria, kind=ActionKind.RATIFICATION, date=date(2026, 3, 2),
                  withdrawn_on=date(2026, 6, 1))  # fmt: skip
    [line] = [line for line in overview.treaty_lines(DAY) if line.treaty == hanoi]
    assert (line.status.instruments_deposited, line.status.instruments_counted) == (1, 0)  # the EU's, not counted
    assert summary_of(line.status) == summary_of(treaty_status(hanoi, DAY))


def test_after_a_write_only_the_written_treaty_is_read_and_computed_again(seeded, make_treaty):
    treaties = made_up_treaties(make_treaty, 5, seeded)
    before = {line.treaty.slug: line.status for line in overview.treaty_lines(DAY)}  # computed and kept
    written = treaties[2]
    newcomer = Participant.objects.get(iso_alpha3="ZWE")
    record_action(treaty=written, participant=newcomer, kind=ActionKind.RATIFICATION, date=date(2026, 2, 1))
    with CaptureQueriesContext(connection) as queries:
        after = {line.treaty.slug: line.status for line in overview.treaty_lines(DAY)}
    reads = [q["sql"] for q in queries if 'FROM "signatories_action"' in q["sql"]]
    assert len(reads) == 1 and f"IN ({written.pk})" in reads[0]
    assert after[written.slug].instruments_counted == before[written.slug].instruments_counted + 1
    assert {slug: s for slug, s in after.items() if slug != written.slug} == {
        slug: s for slug, s in before.items() if slug != written.slug
    }


def test_the_home_table_escapes_every_text_it_writes(client, seeded, make_treaty):
    make_treaty(slug="hostile", short_title="<script>alert(1)</script>", depositary_reference="<i>X</i>",
                threshold=None, entry_into_force_delay="", rule_out_of_scope="<b>not ours</b>")  # fmt: skip
    html = client.get("/").content.decode()
    row = html[html.index('<tr data-treaty="hostile">') :]
    row = row[: row.index("</tr>")]
    assert "<script>" not in row and "&lt;script&gt;alert(1)&lt;/script&gt;" in row
    assert "&lt;i&gt;X&lt;/i&gt;" in row and "Not computed: &lt;b&gt;not ours&lt;/b&gt;" in row


def test_the_hourly_refresh_computes_today_s_and_tomorrow_s_lines_ahead_of_the_visitors(seeded, make_treaty):
    import time_machine

    from tracker.tasks import refresh_statuses

    made_up_treaties(make_treaty, 3, seeded)
    with time_machine.travel("2026-11-22 23:30 -05:00", tick=False):  # the evening before, in New York
        refresh_statuses()
    for day in (date(2026, 11, 22), date(2026, 11, 23)):
        with CaptureQueriesContext(connection) as queries:
            lines = overview.treaty_lines(day)
        assert len(lines) == 4
        assert not [q for q in queries if 'FROM "signatories_action"' in q["sql"]], day


def action_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "signatories_action"' in q["sql"]]


def test_a_new_day_recomputes_only_the_treaties_for_which_something_is_dated_that_day(seeded, make_treaty):
    treaties = made_up_treaties(make_treaty, 4, seeded)
    newcomer = Participant.objects.get(iso_alpha3="ZWE")
    record_action(treaty=treaties[3], participant=newcomer, kind=ActionKind.RATIFICATION, date=date(2026, 3, 3))
    first = {line.treaty.slug: line.status for line in overview.treaty_lines(date(2026, 3, 1))}
    with CaptureQueriesContext(connection) as queries:
        quiet = {line.treaty.slug: line.status for line in overview.treaty_lines(date(2026, 3, 2))}
    assert action_reads(queries) == []  # nothing is dated on 2 March
    assert quiet["hanoi-convention"].as_of == date(2026, 3, 2)
    assert quiet["hanoi-convention"].days_until_signature_closes == first["hanoi-convention"].days_until_signature_closes - 1
    with CaptureQueriesContext(connection) as queries:
        busy = {line.treaty.slug: line.status for line in overview.treaty_lines(date(2026, 3, 3))}
    [read] = action_reads(queries)
    assert f"IN ({treaties[3].pk})" in read
    assert busy[treaties[3].slug].instruments_counted == first[treaties[3].slug].instruments_counted + 1
    for treaty in [*treaties, seeded]:
        for day, lines in ((date(2026, 3, 2), quiet), (date(2026, 3, 3), busy)):
            assert summary_of(lines[treaty.slug]) == summary_of(treaty_status(treaty, day))
