"""Pages that cannot be read: a clear PageError (or NotAStatusPage), never another exception."""

import re

import pytest

from tracker.depositary import NotAStatusPage, PageError, parse_status_page

from . import page_bytes, page_text


def test_a_page_that_is_not_a_status_page_is_refused_as_such():
    with pytest.raises(NotAStatusPage) as raised:
        parse_status_page(page_bytes("not_a_status_page.html"))
    message = str(raised.value)
    assert "not a UN Treaty Collection status page" in message
    assert "STATUS AS AT" in message and "tblgrid" in message


@pytest.mark.parametrize("source", ["", "   \n", b"", "<html><body><p>Service unavailable</p></body></html>"])
def test_an_empty_or_unrelated_page_is_not_a_status_page(source):
    with pytest.raises(NotAStatusPage):
        parse_status_page(source)


def test_a_page_cut_short_before_the_table_says_the_table_is_missing():
    html = page_text("ottawa.html")
    cut = html[: html.index("_tblgrid")]
    with pytest.raises(PageError, match=r"no participants table \(…_tblgrid\) found") as raised:
        parse_status_page(cut)
    assert not isinstance(raised.value, NotAStatusPage)


def test_a_page_cut_short_inside_the_table_reads_the_rows_before_the_cut():
    html = page_text("ottawa.html")
    cut = html[: html.index("Finland")]
    page = parse_status_page(cut)
    assert [r.name for r in page.participants] == ["Afghanistan", "Albania", "Argentina", "Austria", "Estonia"]
    assert page.notes == ()


def test_a_page_cut_anywhere_raises_page_error_or_reads():
    html = page_text("iccpr_op1.html")
    for end in range(0, len(html), 197):
        try:
            parse_status_page(html[:end])
        except PageError:
            pass  # anything else (IndexError, AttributeError, …) fails the test


def test_a_missing_status_as_at_line_is_a_page_error():
    html = re.sub(r"STATUS AS AT : 03-02-2026 10:16:18 EDT", "", page_text("ottawa.html"))
    with pytest.raises(PageError, match="no 'STATUS AS AT' line"):
        parse_status_page(html)


def test_a_status_as_at_line_without_a_real_date_is_a_page_error():
    html = page_text("ottawa.html").replace("03-02-2026 10:16:18", "31-02-2026 10:16:18")
    with pytest.raises(PageError, match="holds no date and time"):
        parse_status_page(html)


def test_a_missing_status_line_leaves_the_figures_empty_with_a_warning():
    html = re.sub(r"Signatories :\s*132\.\s*Parties :\s*162", "", page_text("ottawa.html"))
    page = parse_status_page(html)
    assert (page.header.signatories, page.header.parties) == (None, None)
    assert any(w.startswith("no Status line") for w in page.warnings)


def test_a_missing_title_is_a_page_error():
    html = page_text("ottawa.html").replace("rptTreaty_ctl00_tcTreaty", "rptTreaty_ctl00_gone")
    with pytest.raises(PageError, match="no treaty title"):
        parse_status_page(html)


def test_a_table_without_an_instrument_column_is_a_page_error():
    html = page_text("ottawa.html").replace(
        "Ratification, Acceptance(A), Approval(AA), Accession(a), Succession(d)", "Remarks"
    )
    with pytest.raises(PageError, match="no ratification/accession column"):
        parse_status_page(html)


def test_bytes_that_are_not_utf_8_do_not_break_the_reader():
    data = page_bytes("ottawa.html").replace(b"Oslo", b"Osl\xff")
    assert parse_status_page(data).header.adopted_place == "Osl\ufffd"
