"""`manage.py seed`: every shipped fact loads, with its source, and a second run changes nothing."""

import csv
import shutil
from datetime import date

import pytest
from django.conf import settings

from signatories.models import Action, DomesticStep, Membership, Participant, ParticipantAlias
from tracker.models import Citation, ReportedFigure, Source, Treaty
from tracker.selectors import treaty_status
from tracker.services import FIXTURES_DIR, SeedError, seed

pytestmark = pytest.mark.django_db
MODELS = (Participant, ParticipantAlias, Membership, Treaty, Source, Citation, Action, DomesticStep, ReportedFigure)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seeded_status_on_2026_11_22_matches_the_sources(seeded):
    status = treaty_status(seeded, date(2026, 11, 22))
    assert status.signatories == 67
    assert status.instruments_counted == 0
    assert status.remaining == 40
    assert status.days_until_signature_closes == 39


def test_seed_loads_every_participant_of_un_treaties(seeded):
    assert Participant.objects.count() == 198
    assert Participant.objects.filter(un_member=True).count() == 193
    for name in ("Holy See", "State of Palestine", "Cook Islands", "Niue"):
        assert Participant.objects.get(name=name).un_member is False
    czech = Participant.objects.get(name="Czech Republic")
    assert (czech.iso_alpha2, czech.iso_alpha3, czech.iso_numeric) == ("CZ", "CZE", "203")
    assert czech.get_un_regional_group_display() == "Eastern European States"


def test_the_european_union_is_an_organization_with_its_member_states(seeded):
    eu = Participant.objects.get(name="European Union")
    assert eu.is_reio and eu.iso_alpha3 is None
    current = eu.members.filter(left_on__isnull=True)
    assert current.count() == 27
    assert eu.members.get(member__iso_alpha3="GBR").left_on == date(2020, 1, 31)


def test_seed_twice_changes_nothing(seeded):
    before = counts()
    stamps = list(Action.objects.order_by("pk").values_list("pk", "updated_at"))
    seed()
    assert counts() == before
    assert list(Action.objects.order_by("pk").values_list("pk", "updated_at")) == stamps


def test_seed_again_keeps_what_staff_corrected(seeded):
    action = Action.objects.get(participant__name="Libya")
    action.note = "Corrected by staff"
    action.date = date(2025, 10, 25)
    action.save()
    seed()
    action.refresh_from_db()
    assert (action.note, action.date) == ("Corrected by staff", date(2025, 10, 25))


def test_seed_again_does_not_bring_back_what_staff_deleted(seeded):
    Action.objects.filter(participant__name="Libya").delete()
    ParticipantAlias.objects.filter(name="Czechia").delete()
    seed()
    assert not Action.objects.filter(participant__name="Libya").exists()
    assert not ParticipantAlias.objects.filter(name="Czechia").exists()


def test_every_seeded_record_cites_a_source(seeded):
    assert not Action.objects.filter(sources__isnull=True).exists()
    assert not DomesticStep.objects.filter(sources__isnull=True).exists()
    with (FIXTURES_DIR / "hanoi-convention-signatures.csv").open(encoding="utf-8") as rows:
        from_depositary = sum(1 for row in csv.DictReader(rows) if row["confidence"] == "depositary")
    assert Action.objects.filter(confidence="depositary").count() == from_depositary > 0
    assert DomesticStep.objects.filter(participant__name="Azerbaijan").count() == 2


def test_every_seed_article_is_a_source_cited_for_something(seeded):
    articles = sorted(p.name for p in (FIXTURES_DIR / "seeds").glob("*.txt"))
    sources = Source.objects.exclude(seed_article="")
    assert sorted(sources.values_list("seed_article", flat=True)) == articles
    for source in sources:
        assert source.citations.exists() or source.reported_figures.exists(), source.seed_article


def test_every_quote_from_a_seed_article_stands_in_the_article(seeded):
    quotes = Citation.objects.exclude(source__seed_article="").select_related("source")
    assert quotes.count() >= 6
    for citation in quotes:
        text = (FIXTURES_DIR / "seeds" / citation.source.seed_article).read_text(encoding="utf-8")
        # The articles use non-breaking spaces here and there; a quote may use plain ones.
        assert " ".join(citation.quote.split()) in " ".join(text.split()), citation


def test_the_facts_of_the_seed_articles_cite_their_article(seeded):
    def cited(fact: str) -> set[str]:
        return set(seeded.citations.filter(fact=fact).exclude(source__seed_article="").values_list("source__seed_article", flat=True))

    assert "003_5b4bc4d1596cd23d.txt" in cited("threshold")  # "once forty countries have deposited"
    assert "003_5b4bc4d1596cd23d.txt" in cited("signature_closes_on")  # "until December 31, 2026"
    assert {"002_d0276b75e2bad873.txt", "004_8ea4e350a9b841fa.txt"} <= cited("signature_opens_on")  # October 25-26

    def figures(figure: str) -> set[tuple[int, str]]:
        rows = seeded.reported_figures.filter(figure=figure, source__seed_article__gt="")
        return set(rows.values_list("value", "source__seed_article"))

    assert (60, "000_2bf9440d95628bcf.txt") in figures("countries expected to sign")
    assert (69, "001_86185b8279e6290b.txt") in figures("signatories")
    assert (70, "003_5b4bc4d1596cd23d.txt") in figures("signatories")  # "nearly 70"
    assert (9, "000_2bf9440d95628bcf.txt") in figures("chapters in the Convention")
    assert {(71, "000_2bf9440d95628bcf.txt"), (68, "001_86185b8279e6290b.txt")} <= figures("articles in the Convention")


def test_a_bad_row_rejects_the_whole_seed_with_its_row_number(db, pinned_today, tmp_path):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(settings.BASE_DIR / "fixtures", fixtures)
    path = fixtures / "hanoi-convention-signatures.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[4] = lines[4].replace("Austria,2025-10-25", "Austira,2025-10-25")
    lines[6] = lines[6].replace("2025-10-25", "2025-10-35")
    path.write_text("".join(lines), encoding="utf-8")

    with pytest.raises(SeedError) as error:
        seed(fixtures)

    assert error.value.problems == [
        "hanoi-convention-signatures.csv row 5: Unknown participant 'Austira'. Did you mean 'Austria' or 'Australia'?",
        "hanoi-convention-signatures.csv row 7: '2025-10-35' is not a date of the form YYYY-MM-DD",
    ]
    assert counts() == dict.fromkeys(counts(), 0)


def test_seed_writes_in_bulk_in_a_fixed_number_of_queries(db, pinned_today, django_assert_max_num_queries):
    # About 55 today, for some 1,300 rows (history, links and ledger included): a read and
    # a bulk insert or two per file, never a query per row (row by row, it took 1,900).
    with django_assert_max_num_queries(70):
        report = seed()
    assert counts() == {
        "Participant": 198, "ParticipantAlias": 61, "Membership": 28, "Treaty": 1, "Source": 35, "Citation": 15,
        "Action": 67, "DomesticStep": 4, "ReportedFigure": 16,
    }  # fmt: skip
    assert report["participants and aliases"].created == 198 + 61
    # The audit history records every row, with the file it came from.
    assert Participant.history.filter(history_change_reason="seed: participants.csv").count() == 198
    assert Action.history.filter(history_type="+", history_change_reason__startswith="seed: ").count() == 67
    assert not Action.objects.filter(sources__isnull=True).exists()
    with django_assert_max_num_queries(25):
        again = seed()  # a second run only reads: nothing to create
    assert sum(summary.created for summary in again.values()) == 0


def test_the_seeded_fixture_holds_the_rows_seed_writes(db, pinned_today, seed_snapshot):
    """``seeded`` loads a copy of the tables seed() wrote once (tests/helpers.TableSnapshot):
    the copy must hold what seed() writes now, table by table."""
    from django.db import connection

    seed()
    with connection.cursor() as cursor:
        for table, rows in seed_snapshot.counts().items():
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            assert cursor.fetchone()[0] == rows, table
