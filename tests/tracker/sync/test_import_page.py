"""The depositary import: a saved status page (cut from the real ones under tests/) in,
treaty, actions, withdrawals, statements, notes and reported figures out, through one service.

The expected figures are read from the fixture pages by eye: the Ottawa fixture has 16
rows, four of them (Estonia, Finland, Latvia, Lithuania) withdrawn before 3 Feb 2026 and
Poland's withdrawal taking effect on 20 Feb 2026.
"""

from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from signatories.models import Action, DepositaryEntry, Statement
from tracker.depositary import parse_status_page
from tracker.models import EndNote, ReportedFigure, Source, Treaty
from tracker.selectors import status_dict, treaty_status
from tracker.sync.models import DepositarySync
from tracker.sync.services import PageRejected, import_page

PAGES = Path(__file__).resolve().parent.parent / "depositary" / "pages"
OTTAWA_URL = "https://treaties.un.org/Pages/ViewDetails.aspx?src=TREATY&mtdsg_no=XXVI-5&chapter=26&clang=_en"


def page(name: str, edit=None):
    html = (PAGES / name).read_text(encoding="utf-8")
    return parse_status_page(edit(html) if edit else html)


def status_on(slug: str, day: str) -> dict:
    treaty = Treaty.objects.get(slug=slug)
    return status_dict(treaty, treaty_status(treaty, date.fromisoformat(day)))


def set_ottawa_rule(slug="ottawa"):
    call_command("set_rule", slug, "--threshold", "40", "--delay", "6m,first-of-month",
                 "--later-delay", "6m,first-of-month")


def test_a_new_treaty_is_created_from_the_pages_header(seeded):
    report = import_page(page("ottawa.html"), slug="ottawa")
    treaty = report.treaty
    assert report.created_treaty
    assert treaty.depositary_reference == "XXVI-5"
    assert treaty.title.startswith("Convention on the Prohibition of the Use, Stockpiling, Production and Transfer")
    assert (treaty.adoption_place, treaty.adopted_on) == ("Oslo", date(1997, 9, 18))
    assert treaty.entry_into_force_stated_on == date(1999, 3, 1)
    assert treaty.entry_into_force_stated_article == "article 17(1)"
    assert treaty.depositary_as_at.date() == date(2026, 2, 3)
    figures = {(f.figure, f.value, f.reported_on) for f in ReportedFigure.objects.filter(treaty=treaty)}
    assert figures == {("signatories", 132, date(2026, 2, 3)), ("parties", 162, date(2026, 2, 3))}


def test_a_treaty_the_import_creates_has_no_rule_and_no_computed_date(seeded):
    import_page(page("ottawa.html"), slug="ottawa")
    status = status_on("ottawa", "2026-02-03")
    assert status["threshold"] is None and status["remaining"] is None
    assert status["entry_into_force_computed_on"] is None
    assert status["entry_into_force_stated_on"] == "1999-03-01"
    assert status["entry_into_force_on"] == "1999-03-01"  # the depositary's date stands


def test_the_status_follows_a_rule_given_after_the_import(seeded):
    import_page(page("ottawa.html"), slug="ottawa")
    set_ottawa_rule()
    status = status_on("ottawa", "2026-02-03")
    assert status["threshold"] == 40
    # The fixture's rows alone do not reach 40: the computed date needs the whole table.
    assert status["entry_into_force_computed_on"] is None
    assert status["instruments_deposited"] == 12


def test_a_rule_given_before_the_import_is_kept_and_the_import_fills_in_the_treaty(seeded):
    set_ottawa_rule()
    assert Treaty.objects.get(slug="ottawa").title == "ottawa"
    report = import_page(page("ottawa.html"), slug="ottawa")
    treaty = Treaty.objects.get(slug="ottawa")
    assert not report.created_treaty
    assert treaty.title.startswith("Convention on the Prohibition")
    assert (treaty.threshold, treaty.entry_into_force_delay) == (40, "6m,first-of-month")


def test_withdrawals_travel_in_time(seeded):
    import_page(page("ottawa.html"), slug="ottawa")
    assert status_on("ottawa", "2025-12-26")["instruments_deposited"] == 16
    assert status_on("ottawa", "2026-02-03")["instruments_deposited"] == 12
    assert status_on("ottawa", "2026-02-19")["instruments_deposited"] == 12
    assert status_on("ottawa", "2026-02-20")["instruments_deposited"] == 11  # Poland's takes effect
    poland = Action.objects.get(treaty__slug="ottawa", participant__name="Poland", kind="ratification")
    assert (poland.withdrawal_notified_on, poland.withdrawn_on) == (date(2025, 8, 20), date(2026, 2, 20))
    assert poland.withdrawal_kind == "withdrawal"


def test_importing_the_same_page_again_changes_nothing(seeded):
    import_page(page("ottawa.html"), slug="ottawa")
    history = Action.history.count(), Statement.history.count(), EndNote.history.count(), Treaty.history.count()
    again = import_page(page("ottawa.html"), slug="ottawa")
    assert not again.changed
    assert (again.actions.created, again.actions.updated) == (0, 0)
    assert history == (Action.history.count(), Statement.history.count(), EndNote.history.count(), Treaty.history.count())


def test_a_later_page_changes_what_changed_and_the_history_names_the_page(seeded):
    import_page(page("ottawa.html"), slug="ottawa")

    def later(html):  # Austria's ratification date corrected, a day later at the depositary
        austria = html.index(">Austria<")
        corrected = html[austria:].replace("29 Jun\t 1998", "30 Jun\t 1998", 1)
        return (html[:austria] + corrected).replace("03-02-2026 10:16:18", "04-02-2026 09:00:00")

    report = import_page(page("ottawa.html", later), slug="ottawa")
    assert report.actions.updated == 1
    austria = Action.objects.get(treaty__slug="ottawa", participant__name="Austria", kind="ratification")
    assert austria.date == date(1998, 6, 30)
    reason = austria.history.first().history_change_reason
    assert reason == "depositary page XXVI-5 as at 04-02-2026 09:00:00 EDT"
    assert [s.url for s in austria.sources.all()] == [OTTAWA_URL]


def test_every_fact_cites_the_page_at_depositary_confidence(seeded):
    import_page(page("ottawa.html"), slug="ottawa")
    actions = Action.objects.filter(treaty__slug="ottawa").prefetch_related("sources")
    assert actions.count() > 16
    assert {a.confidence for a in actions} == {"depositary"}
    assert all([s.url for s in a.sources.all()] == [OTTAWA_URL] for a in actions)
    assert Source.objects.get(url=OTTAWA_URL).published_on == date(2026, 2, 3)


def test_a_participant_that_matches_nobody_is_rejected_with_its_row_and_the_nearest_names(seeded):
    counts = Treaty.objects.count(), Action.objects.count()
    with pytest.raises(PageRejected) as rejected:
        import_page(page("ottawa.html", lambda html: html.replace(">Austria<", ">Austrai<", 1)), slug="ottawa")
    message = "\n".join(rejected.value.problems)
    assert "row 4" in message and "Austrai" in message and "Austria" in message
    assert (Treaty.objects.count(), Action.objects.count()) == counts  # nothing written, not even the treaty


def test_the_depositarys_facts_are_not_refused_for_the_trackers_own_invariants(seeded, make_treaty):
    # A window the page does not state, and an adoption date the tracker had wrong: the
    # depositary's signatures of 1997 are recorded all the same.
    make_treaty(slug="ottawa", depositary_reference="XXVI-5", adopted_on=date(2020, 1, 1),
                signature_opens_on=date(2020, 1, 1), signature_closes_on=date(2020, 12, 31))
    report = import_page(page("ottawa.html"), slug="ottawa")
    assert report.actions.created > 16
    assert Action.objects.filter(treaty__slug="ottawa", date__lt=date(2020, 1, 1)).exists()


def test_a_page_of_another_treaty_is_refused_for_a_treaty_with_another_reference(seeded):
    with pytest.raises(PageRejected, match="XVIII-16 at the depositary; this page is XXVI-5"):
        import_page(page("ottawa.html"), slug="hanoi-convention")


def test_a_dry_run_writes_nothing_but_says_what_it_would_do(seeded):
    counts = Treaty.objects.count(), Action.objects.count(), Source.objects.count()
    report = import_page(page("ottawa.html"), slug="ottawa", dry_run=True)
    assert report.dry_run and report.actions.created > 16
    assert (Treaty.objects.count(), Action.objects.count(), Source.objects.count()) == counts


def test_statements_notes_and_the_tables_footnotes_are_kept_and_follow_the_page(seeded):
    import_page(page("ottawa.html"), slug="ottawa")
    poland = DepositaryEntry.objects.get(treaty__slug="ottawa", participant__name="Poland")
    assert poland.footnotes == ["8"]
    note = EndNote.objects.get(treaty__slug="ottawa", number="8")
    assert "will take effect for Poland on 20 February 2026" in note.text
    statements = Statement.objects.filter(treaty__slug="ottawa", participant__name="Poland")
    assert statements.exists()

    def corrected(html):
        return html.replace("will take effect for Poland on 20 February 2026", "took effect for Poland on 20 February 2026")

    report = import_page(page("ottawa.html", corrected), slug="ottawa")
    assert report.changes == ["end notes: 0 created, 1 updated, 0 removed"]
    assert "took effect for Poland" in EndNote.objects.get(treaty__slug="ottawa", number="8").text


def test_a_bracketed_instrument_and_notified_denunciations_stop_counting(seeded):
    """ICCPR-OP1: Trinidad and Tobago acceded, denounced, re-acceded, denounced again;
    Guyana denounced and re-acceded the same day; Jamaica's note gives only the
    notification (23 Oct 1997), and art. 12(1) three months."""
    call_command("set_rule", "op1", "--threshold", "10", "--delay", "3m", "--withdrawal-delay", "3m")
    import_page(page("iccpr_op1.html"), slug="op1")
    trinidad = Action.objects.filter(treaty__slug="op1", participant__name="Trinidad and Tobago").order_by("date")
    assert [(a.date, a.withdrawn_on) for a in trinidad if a.is_deposit] == [
        (date(1980, 11, 14), date(1998, 8, 26)), (date(1998, 8, 26), date(2000, 6, 27))]
    guyana = Action.objects.filter(treaty__slug="op1", participant__name="Guyana").order_by("date")
    assert [(a.date, a.withdrawn_on) for a in guyana] == [(date(1993, 5, 10), date(1999, 4, 5)), (date(1999, 1, 5), None)]
    jamaica = Action.objects.get(treaty__slug="op1", participant__name="Jamaica", kind="ratification")
    assert (jamaica.withdrawal_notified_on, jamaica.withdrawn_on) == (date(1997, 10, 23), date(1998, 1, 23))
    # Ten rows less Belarus, Jamaica and Trinidad and Tobago.
    assert status_on("op1", "2026-02-03")["instruments_deposited"] == 7
    # On 1 Jan 2000: Trinidad and Tobago back in and Belarus not yet out; Jamaica out, and
    # Montenegro (2006) not yet in.
    assert status_on("op1", "2000-01-01")["instruments_deposited"] == 8


def test_the_eus_formal_confirmation_is_an_instrument_that_does_not_count_toward_the_threshold(seeded):
    call_command("set_rule", "crpd", "--threshold", "20", "--delay", "30d", "--reio-not-additional")
    import_page(page("crpd.html"), slug="crpd")
    eu = Action.objects.exclude(kind="signature").get(treaty__slug="crpd", participant__name="European Union")
    assert eu.kind == "formal_confirmation"
    status = status_on("crpd", "2026-02-03")
    assert (status["instruments_deposited"], status["instruments_counted"]) == (5, 4)


def test_the_import_command_reports_and_a_second_run_changes_nothing(seeded, capsys):
    call_command("import_untc", str(PAGES / "ottawa.html"), "--slug", "ottawa")
    first = capsys.readouterr().out
    assert "ottawa: created" in first and "has no rule of entry into force yet" in first
    call_command("import_untc", str(PAGES / "ottawa.html"), "--slug", "ottawa")
    assert "0 created, 0 updated" in capsys.readouterr().out
    assert [s.outcome for s in DepositarySync.objects.order_by("started_at", "id")] == ["changed", "unchanged"]


def test_the_import_command_refuses_a_page_that_is_not_a_status_page(seeded, tmp_path):
    other = tmp_path / "other.html"
    other.write_text("<html><body><h1>United Nations</h1><p>Welcome</p></body></html>")
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_untc", str(other))
    assert not Treaty.objects.filter(depositary_reference="").exclude(slug="hanoi-convention").exists()


def test_the_import_command_refuses_a_missing_file(seeded):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_untc", "/nonexistent/page.html")
