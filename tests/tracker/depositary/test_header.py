"""The header of a status page: reference, title, adoption, entry into force, status."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from tracker.depositary import parse_status_page

from . import page_bytes, page_text, parsed


def test_the_ottawa_header_gives_reference_chapter_title_and_adoption():
    header = parsed("ottawa.html").header
    assert header.reference == "XXVI-5"
    assert header.chapter == "XXVI"
    assert header.chapter_title == "DISARMAMENT"
    assert header.title == (
        "Convention on the Prohibition of the Use, Stockpiling, Production and Transfer of "
        "Anti-Personnel Mines and on their Destruction"
    )
    assert header.adopted_place == "Oslo"
    assert header.adopted_on == date(1997, 9, 18)


def test_entry_into_force_gives_the_date_and_the_article():
    header = parsed("ottawa.html").header
    assert header.entry_into_force_on == date(1999, 3, 1)
    assert header.entry_into_force_article == "article 17(1)"
    assert header.entry_into_force_text == "1 March 1999, in accordance with article 17(1)."


def test_an_article_of_another_instrument_is_named_in_full():
    assert parsed("ccw_p4.html").header.entry_into_force_article == "article 2 of the Additional Protocol"


def test_the_status_line_gives_signatories_and_parties():
    header = parsed("ottawa.html").header
    assert (header.signatories, header.parties) == (132, 162)
    assert header.registration == "1 March 1999, No. 35597"


def test_status_footnote_marks_do_not_change_the_parties_figure():
    # ICCPR-OP1 prints "Parties : 116. 1, 2, 3" (footnotes 1 to 3 after the figure).
    header = parsed("iccpr_op1.html").header
    assert (header.signatories, header.parties) == (35, 116)


def test_protocol_iv_of_the_ccw_has_no_signatories_figure():
    header = parsed("ccw_p4.html").header
    assert header.signatories is None
    assert header.parties == 111


def test_as_at_is_day_first_and_kept_at_new_york_wall_clock_time():
    header = parsed("ottawa.html").header
    assert header.as_at_text == "03-02-2026 10:16:18 EDT"
    assert header.as_at == datetime(2026, 2, 3, 10, 16, 18, tzinfo=ZoneInfo("America/New_York"))
    assert header.as_at.utcoffset().total_seconds() == -5 * 3600  # February: EST, whatever the page prints


def test_a_treaty_not_in_force_has_no_entry_into_force_date_but_keeps_the_sentence():
    header = parsed("ctbt.html").header
    assert header.entry_into_force_on is None
    assert header.entry_into_force_text.startswith("[see article XIV]. This Treaty will enter into force 180 days")
    assert header.entry_into_force_article == "article XIV"
    assert header.registration == ""  # not in force: not registered
    assert (header.signatories, header.parties) == (187, 178)


def test_a_lettered_treaty_has_its_letter_in_the_reference_and_not_in_the_title():
    header = parsed("cat_op.html").header
    assert header.reference == "IV-9-b"
    assert header.title.startswith("Optional Protocol to the Convention against Torture")


def test_the_reference_comes_from_chapter_and_title_when_the_page_has_no_mtdsg_no():
    for name, reference in [("ottawa.html", "XXVI-5"), ("cat_op.html", "IV-9-b"), ("ccw_p4.html", "XXVI-2-a")]:
        html = page_text(name).replace("mtdsg_no", "treaty_no")
        page = parse_status_page(html)
        assert page.header.reference == reference, name
        assert not page.warnings


def test_the_mtdsg_no_of_the_url_is_preferred_and_a_disagreement_is_warned_about():
    url = "https://treaties.un.org/Pages/ViewDetails.aspx?src=TREATY&mtdsg_no=XXVI-5-a&chapter=26&clang=_en"
    page = parse_status_page(page_bytes("ottawa.html"), url=url)
    assert page.header.reference == "XXVI-5-a"
    assert any("XXVI-5-a" in warning and "XXVI-5" in warning for warning in page.warnings)


def test_a_copy_that_declares_another_encoding_is_still_read_as_utf_8():
    declared = '<?xml version="1.0" encoding="iso-8859-1"?>\n' + page_text("crpd.html")
    eu = next(s for s in parse_status_page(declared).statements if s.participant == "European Union")
    assert eu.text.startswith("Declaration: “Article 44(1)")


def test_bytes_and_text_give_the_same_page():
    assert parse_status_page(page_bytes("iccpr_op1.html")) == parse_status_page(page_text("iccpr_op1.html"))


def test_a_title_footnote_is_not_part_of_the_place_or_the_date():
    # CEDAW prints "New York, 18 December 1979 1" (note 1 after the date).
    header = parsed("cedaw.html").header
    assert (header.adopted_place, header.adopted_on) == ("New York", date(1979, 12, 18))
