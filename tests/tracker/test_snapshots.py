"""tracker.snapshots: a treaty on a date in a fixed number of queries, with each action's
sources in order and each participant's other names for the table's search."""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from signatories.models import Participant, ParticipantAlias
from signatories.services import record_action
from tracker import tables
from tracker.models import Source
from tracker.rules import ActionKind
from tracker.snapshots import snapshot

AS_OF = date(2026, 11, 22)


def queries_of(run) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


def test_a_snapshot_reads_in_the_same_number_of_queries_however_many_sources_are_cited(seeded):
    before = queries_of(lambda: snapshot(seeded, AS_OF))
    made_up = Source.objects.bulk_create(Source(url=f"https://example.org/made-up/{n}") for n in range(40))
    for action, source in zip(seeded.actions.all()[:40], made_up, strict=False):
        action.sources.add(source, made_up[0])
    assert queries_of(lambda: snapshot(seeded, AS_OF)) == before <= 6


def test_a_snapshot_cites_each_action_s_sources_in_the_sources_order_each_source_once(seeded):
    austria = Participant.objects.get(name="Austria")
    action = record_action(
        treaty=seeded, participant=austria, kind=ActionKind.RATIFICATION, date=date(2026, 2, 1)
    )
    later = Source.objects.create(url="https://example.org/z", publisher="Zeta ministry")
    earlier = Source.objects.create(url="https://example.org/a", publisher="Alpha news")
    action.sources.add(later, earlier)
    belgium = seeded.actions.filter(participant__name="Belgium").first()
    belgium.sources.add(later)

    snap = snapshot(seeded, AS_OF)
    rows = {row.participant.name: row for row in snap.rows}
    assert rows["Austria"].deposit.cited[:2] == [earlier, later]  # Source's order: publisher first
    shared = [s for s in rows["Belgium"].signature.cited if s.pk == later.pk]
    assert shared and shared[0] is rows["Austria"].deposit.cited[1]  # read once, shared


def test_a_snapshot_s_actions_share_its_participant_objects(seeded):
    snap = snapshot(seeded, AS_OF)
    for row in snap.rows:
        for action in row.actions:
            assert action.participant is row.participant


def test_the_table_s_search_finds_a_participant_by_an_alias_read_with_the_snapshot(seeded):
    czechia = Participant.objects.get(iso_alpha3="CZE")
    ParticipantAlias.objects.create(participant=czechia, name="Made-up Bohemian name")
    snap = snapshot(seeded, AS_OF)
    with CaptureQueriesContext(connection) as captured:
        found = tables.apply(snap.rows, tables.TableQuery(q="bohemian"))
    assert [row.participant.iso_alpha3 for row in found] == ["CZE"]
    assert len(captured) == 0  # the aliases came with the snapshot
    names = sorted(ParticipantAlias.objects.filter(participant=czechia).values_list("name", flat=True))
    assert next(row for row in snap.rows if row.participant.pk == czechia.pk).participant.alias_names == names
