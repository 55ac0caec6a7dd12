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
    assert status.signatories == 68  # 67 of the 72 Hanoi signatories, and Canada in July 2026
    assert status.instruments_counted == 0
    assert status.remaining == 40
    assert status.days_until_signature_closes == 39


def test_seed_loads_every_participant_of_un_treaties(seeded):
    assert Participant.objects.count() == 199  # with the former Yugoslavia, in the depositary's records
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


def test_a_seed_article_s_title_is_one_the_article_itself_gives(seeded):
    sources = Source.objects.exclude(seed_article="")
    titled = [source for source in sources if source.title]
    assert len(titled) >= 3
    for source in titled:
        text = " ".join((FIXTURES_DIR / "seeds" / source.seed_article).read_text(encoding="utf-8").split())
        assert source.title in text, source.seed_article  # never an editor's description of it


def test_a_seed_article_is_named_by_its_title_or_publisher_never_by_its_file(seeded):
    for source in Source.objects.exclude(seed_article=""):
        assert source.title or source.publisher, source.seed_article
        assert source.seed_article not in str(source) and ".txt" not in str(source)
    untitled = Source.objects.get(seed_article="001_86185b8279e6290b.txt")
    assert (untitled.title, str(untitled)) == ("", "Vietnam Investment Review (VIR)")


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
        "Participant": 199, "ParticipantAlias": 62, "Membership": 28, "Treaty": 1, "Source": 42, "Citation": 15,
        "Action": 68, "DomesticStep": 5, "ReportedFigure": 19,
    }  # fmt: skip
    assert report["participants and aliases"].created == 199 + 62
    # The audit history records every row, with the file it came from.
    assert Participant.history.filter(history_change_reason="seed: participants.csv").count() == 199
    assert Action.history.filter(history_type="+", history_change_reason__startswith="seed: ").count() == 68
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


# The corrections of 2026-12-01 (shared/data/README.md) -------------------------------------

UNTC = "https://treaties.un.org/doc/Publication/MTDSG/Volume%20II/Chapter%20XVIII/XVIII-16.en.xml"
ADADERANA = "https://www.adaderana.lk/news/114202/sri-lanka-signs-un-convention-against-cybercrime"
MALDIVES_SOURCES = {"https://archive.mv/en/articles/NNWqmx", "https://edition.mv/news/45340", ADADERANA}
CANADA_SOURCES = {
    "https://www.canada.ca/en/global-affairs/news/2026/07/"
    "canada-signs-united-nations-convention-against-cybercrime.html",
    "https://www.michaelgeist.ca/2026/07/",
}
MACHINE_HERALD = (
    "https://machineherald-io.pages.dev/article/2026-05/"
    "21-un-cybercrime-convention-stalls-at-one-ratification-as-implementation-deadlock-deepens"
)
FBC_NEWS = "https://www.fbcnews.com.fj/news/fiji-signs-historic-un-cybercrime-convention"
TREND_74 = "https://www.trend.az/azerbaijan/politics/4151684.html"

# The three rows the corrections removed or replaced, as the fixtures held them before.
OLD_MALDIVES = {
    "participant": "Maldives", "signature_date": "2025-10-26", "date_precision": "on_or_before", "place": "Hanoi",
    "confidence": "press", "sources": ADADERANA,
    "note": "Sri Lankan Ministry statement: 'Sri Lanka and Maldives are the only South Asian countries that "
    "joined the UNCC' -> Maldives signed in Hanoi; date not stated",
}  # fmt: skip
OLD_STEPS = [
    {
        "participant": "Qatar", "date": "2026-05-21", "step": "Reported as ratified", "confidence": "press",
        "sources": MACHINE_HERALD,
        "note": "Article (citing Wikipedia) lists Qatar among three ratifiers; no deposit date found; the date is "
        "the report's date, not the ratification's",
    },
    {
        "participant": "Viet Nam", "date": "2026-05-21", "step": "Reported as ratified", "confidence": "press",
        "sources": MACHINE_HERALD,
        "note": "Article (citing Wikipedia) lists Viet Nam among three ratifiers; in Jan 2026 Viet Nam said it was "
        "still completing domestic procedures; no deposit date found",
    },
]  # fmt: skip
OLD_FIGURE_74 = {
    "reported_on": "2026-03-31", "figure": "signatories", "value": "74", "qualifier": "exactly", "source": FBC_NEWS,
    "note": "Fiji signed at UN Headquarters as the 74th signatory (exact date not found; '74 signatories as of "
    "March 2026' in a later article)",
}  # fmt: skip
# The rows the corrections added: (participant, date) of the steps, (date, value) of the figures.
NEW_STEPS = {("Maldives", "2025-10-15"), ("Russian Federation", "2026-01-28"), ("European Union", "2025-10-13")}
NEW_SIGNATORY_FIGURES = {("2025-10-25", "64"), ("2025-10-25", "68"), ("2025-10-28", "71"), ("2026-02-10", "74")}


def rewrite_csv(path, keep, extra=()) -> None:
    """Rewrite the CSV file ``path`` with the rows ``keep(row)`` accepts, then ``extra``."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames, [row for row in reader if keep(row)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows([*rows, *extra])


def fixtures_before_the_corrections(tmp_path):
    """A copy of fixtures/ with the three data files as they were before 2026-12-01."""
    fixtures = tmp_path / "fixtures"
    shutil.copytree(settings.BASE_DIR / "fixtures", fixtures)
    rewrite_csv(
        fixtures / "hanoi-convention-signatures.csv",
        keep=lambda row: row["participant"] not in ("Canada", "Maldives"),
        extra=[OLD_MALDIVES],
    )
    rewrite_csv(
        fixtures / "hanoi-convention-domestic-steps.csv",
        keep=lambda row: (row["participant"], row["date"]) not in NEW_STEPS,
        extra=OLD_STEPS,
    )
    rewrite_csv(
        fixtures / "hanoi-convention-reported-figures.csv",
        keep=lambda row: (
            row["figure"] != "signatories" or (row["reported_on"], row["value"]) not in NEW_SIGNATORY_FIGURES
        ),
        extra=[OLD_FIGURE_74],
    )
    return fixtures


def signature(name: str) -> Action:
    return Action.objects.get(participant__name=name, kind="signature")


def urls(record) -> set[str]:
    return set(record.sources.values_list("url", flat=True))


def test_a_fresh_seed_has_the_maldives_signed_in_hanoi_exactly_on_25_october_2025(seeded):
    maldives = signature("Maldives")
    assert (maldives.date, maldives.date_precision, maldives.place) == (date(2025, 10, 25), "exact", "Hanoi")
    assert maldives.confidence == "press"
    assert urls(maldives) == MALDIVES_SOURCES


def test_a_fresh_seed_has_canada_signed_in_new_york_on_or_before_31_july_2026_with_its_sources(seeded):
    canada = signature("Canada")
    assert (canada.date, canada.date_precision, canada.place) == (date(2026, 7, 31), "on_or_before", "New York")
    assert canada.confidence == "press"
    assert urls(canada) == CANADA_SOURCES
    assert treaty_status(seeded, date(2026, 8, 1)).signatories == 68
    assert treaty_status(seeded, date(2026, 7, 1)).signatories == 67  # before July's end, Canada is not counted yet


def test_a_fresh_seed_has_the_three_new_domestic_steps_with_their_sources(seeded):
    new = DomesticStep.objects.filter(participant__name__in=["Maldives", "Russian Federation", "European Union"])
    steps = {step.participant.name: (step.date, step.step, step.confidence, urls(step)) for step in new}
    assert steps == {
        "Maldives": (
            date(2025, 10, 15), "Legislature approved becoming a party", "press",
            {"https://archive.mv/en/articles/NNWqmx", "https://edition.mv/news/45340"},
        ),
        "Russian Federation": (
            date(2026, 1, 28), "Government said ratification procedures had begun", "press",
            {"https://news.mail.ru/society/69592849/"},
        ),
        "European Union": (
            date(2025, 10, 13), "Council authorised the signature (Decision (EU) 2025/2307)", "official",
            {
                "https://home-affairs.ec.europa.eu/policies/internal-security/cybercrime/"
                "international-cooperation-against-cybercrime_en",
                "https://www.wam.ae/en/article/bm6n72v-sign-convention-cybercrime",
            },
        ),
    }  # fmt: skip
    assert DomesticStep.objects.count() == 5  # and Azerbaijan's two


def test_a_fresh_seed_has_no_qatar_or_viet_nam_reported_as_ratified(seeded):
    assert not DomesticStep.objects.filter(step="Reported as ratified").exists()
    assert not DomesticStep.objects.filter(participant__name__in=["Qatar", "Viet Nam"]).exists()
    assert not DomesticStep.objects.filter(sources__url=MACHINE_HERALD).exists()
    # Their signatures stay (the depositary shows them), still without a deposit.
    assert signature("Qatar").date == signature("Viet Nam").date == date(2025, 10, 25)
    assert not Action.objects.filter(participant__name__in=["Qatar", "Viet Nam"]).exclude(kind="signature").exists()


def test_a_fresh_seed_has_the_new_reported_figures_and_74_signatories_on_10_february_2026(seeded):
    signatories = set(
        seeded.reported_figures.filter(figure="signatories").values_list("reported_on", "value", "source__url")
    )
    cand = "https://en.cand.com.vn/politics/highlights-of-the-signing-ceremony-of-the-hanoi-convention-i606865"
    efe = (
        "https://www.abc.com.py/internacionales/2025/10/25/"
        "mas-de-60-paises-firman-en-vietnam-la-convencion-de-la-onu-contra-el-cibercrimen/"
    )
    ria = "https://crimea.ria.ru/20251028/konventsiyu-oon-protiv-kiberprestupnosti-podpisala-71-strana-1150479935.html"
    assert {
        (date(2025, 10, 25), 64, cand),
        (date(2025, 10, 25), 68, efe),
        (date(2025, 10, 28), 71, ria),
        (date(2026, 2, 10), 74, TREND_74),
    } <= signatories
    assert [figure for figure in signatories if figure[1] == 74] == [(date(2026, 2, 10), 74, TREND_74)]
    assert FBC_NEWS in seeded.reported_figures.get(value=74).note  # the undated source, named
    # The rows taken from the seed articles stay beside them.
    assert seeded.reported_figures.filter(figure="delegations attending").count() == 2
    assert seeded.reported_figures.filter(figure="chapters in the Convention").count() == 2
    assert seeded.reported_figures.count() == 19


def test_a_database_seeded_before_the_corrections_takes_them_as_new_rows_only(db, pinned_today, tmp_path):
    seed(fixtures_before_the_corrections(tmp_path))
    assert (Action.objects.count(), DomesticStep.objects.count(), ReportedFigure.objects.count()) == (67, 4, 16)
    assert not Action.objects.filter(participant__name="Canada").exists()
    def as_it_stands(action: Action) -> tuple:
        return (action.pk, action.date, action.date_precision, action.note, action.updated_at, urls(action))

    before = as_it_stands(signature("Maldives"))
    assert before[1:3] == (date(2025, 10, 26), "on_or_before")

    report = seed()

    # Canada, the three steps, the three figures and the 74 of 10 Feb 2026: new rows.
    created_and_kept = {name: (summary.created, summary.kept) for name, summary in report.items()}
    assert created_and_kept["hanoi-convention signatures"] == (1, 67)
    assert created_and_kept["hanoi-convention domestic-steps"] == (3, 2)
    assert created_and_kept["hanoi-convention reported-figures"] == (4, 15)
    canada = signature("Canada")
    assert (canada.date, canada.date_precision, canada.place, urls(canada)) == (
        date(2026, 7, 31), "on_or_before", "New York", CANADA_SOURCES
    )
    assert {(step.participant.name, step.date.isoformat()) for step in DomesticStep.objects.all()} >= NEW_STEPS
    # Maldives: one signature still (the database allows no second), left as it was.
    assert Action.objects.filter(participant__name="Maldives").count() == 1
    assert as_it_stands(signature("Maldives")) == before
    # Seed deletes nothing: Qatar's and Viet Nam's steps and the 74 of 31 Mar 2026 stay.
    reported = DomesticStep.objects.filter(step="Reported as ratified")
    assert set(reported.values_list("participant__name", flat=True)) == {"Qatar", "Viet Nam"}
    assert set(ReportedFigure.objects.filter(value=74).values_list("reported_on", "source__url")) == {
        (date(2026, 3, 31), FBC_NEWS), (date(2026, 2, 10), TREND_74)
    }  # fmt: skip
    assert (Action.objects.count(), DomesticStep.objects.count(), ReportedFigure.objects.count()) == (68, 7, 20)
    assert Source.objects.count() == 43  # the 42 of a fresh seed, and the Fiji article the old 74 cites

    again = seed()
    assert sum(summary.created for summary in again.values()) == 0


def test_the_seed_command_names_an_article_whose_stored_title_is_not_the_shipped_one(seeded):
    from io import StringIO

    from django.core.management import call_command

    quiet = StringIO()
    call_command("seed", stdout=quiet)
    assert "shipped index now gives" not in quiet.getvalue()  # a fresh seed is up to date

    # As a database seeded before the titles were corrected holds it.
    Source.objects.filter(seed_article="001_86185b8279e6290b.txt").update(
        publisher="", title="Plenary session of the Hanoi Convention signing ceremony, 26 October 2025"
    )
    out = StringIO()
    call_command("seed", stdout=out)
    warnings = [line for line in out.getvalue().splitlines() if "shipped index now gives" in line]
    assert len(warnings) == 1
    assert "001_86185b8279e6290b.txt" in warnings[0] and "'Vietnam Investment Review (VIR)' and ''" in warnings[0]
    # Seed still overwrites nothing.
    assert Source.objects.get(seed_article="001_86185b8279e6290b.txt").publisher == ""
