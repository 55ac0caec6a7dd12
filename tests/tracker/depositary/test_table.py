"""The participants table: names and footnotes, signatures, instruments, other columns."""

import re
from datetime import date

import pytest

from tracker.depositary import InstrumentKind, parse_status_page

from . import page_text, parsed


def row(page, name):
    return next(r for r in page.participants if r.name == name)


def test_the_first_row_gives_the_columns():
    assert parsed("ottawa.html").columns == (
        "Participant",
        "Signature",
        "Ratification, Acceptance(A), Approval(AA), Accession(a), Succession(d)",
    )


def test_footnote_numbers_after_a_header_are_taken_off():
    # ICCPR-OP1's first header is "Participant 4, 5".
    assert parsed("iccpr_op1.html").columns[0] == "Participant"


def test_a_footnote_number_after_a_name_goes_into_footnotes():
    poland = row(parsed("ottawa.html"), "Poland")
    assert poland.footnotes == ("8",)
    ukraine = row(parsed("ottawa.html"), "Ukraine")
    assert ukraine.footnotes == ("10", "11")


def test_a_footnote_number_in_plain_text_is_taken_off_too():
    html, replaced = re.subn(r">Poland</a>\s*<sup>.*?</sup>", ">Poland</a> 8", page_text("ottawa.html"), count=1, flags=re.S)
    assert replaced == 1  # the fixture still has the <sup> this test replaces
    poland = row(parse_status_page(html), "Poland")
    assert poland.footnotes == ("8",)


def test_a_name_in_parentheses_is_kept_whole():
    netherlands = row(parsed("iccpr_op1.html"), "Netherlands (Kingdom of the)")
    assert netherlands.footnotes == ("9",)


def test_rows_are_numbered_from_one_in_the_pages_order():
    names = [(r.row, r.name) for r in parsed("ottawa.html").participants[:3]]
    assert names == [(1, "Afghanistan"), (2, "Albania"), (3, "Argentina")]


def test_a_date_with_a_tab_inside_and_the_suffix_a_is_an_accession():
    afghanistan = row(parsed("ottawa.html"), "Afghanistan")  # "11 Sep\t 2002 a"
    assert afghanistan.signature_on is None
    assert (afghanistan.instrument.on, afghanistan.instrument.kind) == (date(2002, 9, 11), InstrumentKind.ACCESSION)


def test_a_date_without_suffix_is_a_ratification_and_nbsp_around_it_does_not_matter():
    algeria_like = row(parsed("ottawa.html"), "Argentina")  # " &nbsp;4 Dec\t 1997 "
    assert algeria_like.signature_on == date(1997, 12, 4)
    assert algeria_like.instrument.kind == InstrumentKind.RATIFICATION
    assert algeria_like.instrument.on == date(1999, 9, 14)


def test_a_date_in_brackets_is_an_instrument_that_no_longer_counts():
    estonia = row(parsed("ottawa.html"), "Estonia")  # "[12 May\t 2004 a]"
    assert estonia.instrument.bracketed
    assert (estonia.instrument.on, estonia.instrument.kind) == (date(2004, 5, 12), InstrumentKind.ACCESSION)
    assert not row(parsed("ottawa.html"), "Poland").instrument.bracketed


def test_a_signature_in_brackets_is_marked_as_such():
    jamaica = row(parsed("iccpr_op1.html"), "Jamaica")  # "[19 Dec 1966 ]", "[ &nbsp;3 Oct 1975 ]"
    assert (jamaica.signature_on, jamaica.signature_bracketed) == (date(1966, 12, 19), True)
    assert (jamaica.instrument.on, jamaica.instrument.bracketed) == (date(1975, 10, 3), True)


def test_the_european_unions_formal_confirmation_is_read_from_the_suffix_c():
    eu = row(parsed("crpd.html"), "European Union")
    assert (eu.instrument.on, eu.instrument.kind) == (date(2010, 12, 23), InstrumentKind.FORMAL_CONFIRMATION)


def test_approval_and_acceptance_are_told_apart_by_case():
    att = parsed("att.html")
    assert row(att, "Denmark").instrument.kind == InstrumentKind.APPROVAL  # "AA"
    assert row(att, "Japan").instrument.kind == InstrumentKind.ACCEPTANCE  # "A"


def test_consent_to_be_bound_and_a_table_without_signature_column():
    page = parsed("ccw_p4.html")
    assert page.columns == ("Participant", "Consent to be bound(P), Succession(d)")
    afghanistan = row(page, "Afghanistan")
    assert afghanistan.signature_on is None
    assert afghanistan.instrument.kind == InstrumentKind.CONSENT_TO_BE_BOUND
    assert row(page, "Montenegro").instrument.kind == InstrumentKind.SUCCESSION


def test_a_d_in_the_signature_column_is_a_succession_to_signature():
    montenegro = row(parsed("cat_op.html"), "Montenegro")  # "23 Oct 2006 d" under "Signature, Succession to signature(d)"
    assert (montenegro.signature_on, montenegro.signature_kind) == (date(2006, 10, 23), "succession")
    assert montenegro.instrument.kind == InstrumentKind.RATIFICATION


def test_a_signature_without_instrument_leaves_the_instrument_empty():
    # The Russian Federation revoked its ratification in 2023: the page shows its signature only.
    russia = row(parsed("ctbt.html"), "Russian Federation")
    assert russia.signature_on == date(1996, 9, 24)
    assert russia.instrument is None


def test_an_s_in_the_signature_column_is_a_definitive_signature_and_an_instrument():
    html = page_text("crpd.html").replace("<td>\xa0</td>\n<td>18 Sep\t 2012 a<br></td>", "<td>18 Sep\t 2012 s<br></td><td></td>")
    assert "18 Sep\t 2012 s" in html  # the fixture still has Afghanistan's row as this test expects
    afghanistan = row(parse_status_page(html), "Afghanistan")
    assert afghanistan.signature_on == date(2012, 9, 18)
    assert afghanistan.instrument.kind == InstrumentKind.DEFINITIVE_SIGNATURE
    assert afghanistan.instrument.on == date(2012, 9, 18)


def test_a_provisional_application_column_gives_extra_cells_with_their_marker():
    page = parsed("att.html")
    assert page.columns[2] == "Provisional application under article 23(n)"
    (cell,) = row(page, "Austria").extra
    assert (cell.column, cell.text, cell.on, cell.marker) == (
        "Provisional application under article 23(n)",
        "3 Jun 2014 n",
        date(2014, 6, 3),
        "n",
    )
    assert row(page, "Austria").instrument.on == date(2014, 6, 3)
    assert row(page, "Japan").extra == ()  # an empty cell is no extra cell


@pytest.mark.parametrize("bad", ["31 Feb\t 2014", "soon", "3 Jun 2014 xyz", "[3 Jun 2014"])
def test_a_date_that_is_not_a_date_is_a_warning_and_leaves_the_cell_empty(bad):
    html = page_text("att.html").replace("<td>19 Mar\t 2014 <br></td>", f"<td>{bad}<br></td>", 1)
    assert bad in html
    page = parse_status_page(html)
    albania = row(page, "Albania")
    assert albania.instrument is None
    assert albania.signature_on == date(2013, 6, 3)
    assert any(warning.startswith("Albania, column 'Approval(AA)") for warning in page.warnings)


def test_an_unknown_instrument_suffix_is_a_warning_not_a_ratification():
    html = page_text("att.html").replace("<td>19 Mar\t 2014 <br></td>", "<td>19 Mar\t 2014 x<br></td>", 1)
    page = parse_status_page(html)
    assert row(page, "Albania").instrument is None
    assert any("unknown instrument type 'x'" in warning for warning in page.warnings)


def test_a_cell_with_two_dates_is_read_by_the_first_and_warned_about():
    html = page_text("att.html").replace(
        "<td>19 Mar\t 2014 <br></td>", "<td>19 Mar\t 2014 <br>2 Apr\t 2015 a<br></td>", 1
    )
    page = parse_status_page(html)
    assert row(page, "Albania").instrument.on == date(2014, 3, 19)
    assert any("several dates" in warning and warning.startswith("Albania") for warning in page.warnings)
