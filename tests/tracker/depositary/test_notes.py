"""End notes, and the withdrawals and earlier instruments read from them."""

from datetime import date

from tracker.depositary import InstrumentKind, Reaccession, Withdrawal, WithdrawalKind, parse_status_page

from . import page_text, parsed


def withdrawals_of(page, participant):
    return [w for w in page.withdrawals if w.participant == participant]


def test_an_end_note_has_its_number_apart_from_its_text():
    notes = {note.number: note.text for note in parsed("ottawa.html").notes}
    assert notes["1"].startswith("On 27 June 2025, the Government of the Republic of Estonia deposited")
    assert notes["6"] == (
        'See note 1 under "Montenegro" in the "Historical Information" section in the front matter of this volume.'
    )


def test_estonias_withdrawal_took_effect_on_27_december_2025():
    assert withdrawals_of(parsed("ottawa.html"), "Estonia") == [
        Withdrawal("Estonia", "1", WithdrawalKind.WITHDRAWAL, date(2025, 6, 27), date(2025, 12, 27))
    ]


def test_polands_withdrawal_takes_effect_on_20_february_2026():
    assert withdrawals_of(parsed("ottawa.html"), "Poland") == [
        Withdrawal("Poland", "8", WithdrawalKind.WITHDRAWAL, date(2025, 8, 20), date(2026, 2, 20))
    ]


def test_the_four_ottawa_withdrawals_of_2025_are_read_and_nothing_else():
    read = {(w.participant, w.effective_on) for w in parsed("ottawa.html").withdrawals}
    assert read == {
        ("Estonia", date(2025, 12, 27)),
        ("Finland", date(2026, 1, 10)),
        ("Latvia", date(2025, 12, 27)),
        ("Lithuania", date(2025, 12, 27)),
        ("Poland", date(2026, 2, 20)),
    }
    assert parsed("ottawa.html").warnings == ()


def test_trinidad_and_tobago_denounced_twice_and_re_acceded_once_in_between():
    page = parsed("iccpr_op1.html")
    assert withdrawals_of(page, "Trinidad and Tobago") == [
        Withdrawal("Trinidad and Tobago", "1", WithdrawalKind.DENUNCIATION, date(1998, 5, 26), date(1998, 8, 26)),
        Withdrawal("Trinidad and Tobago", "1", WithdrawalKind.DENUNCIATION, date(2000, 3, 27), date(2000, 6, 27)),
    ]
    # The note tells the story twice (once more after the objections): read once. Its first
    # accession, 14 Nov 1980, is the table's bracketed date and not an extra instrument.
    assert [r for r in page.earlier_instruments if r.participant == "Trinidad and Tobago"] == [
        Reaccession("Trinidad and Tobago", "1", date(1998, 8, 26), InstrumentKind.ACCESSION)
    ]


def test_guyanas_first_accession_was_denounced_and_its_re_accession_is_the_tables_date():
    page = parsed("iccpr_op1.html")
    assert withdrawals_of(page, "Guyana") == [
        Withdrawal("Guyana", "2", WithdrawalKind.DENUNCIATION, date(1999, 1, 5), date(1999, 4, 5))
    ]
    assert [r for r in page.earlier_instruments if r.participant == "Guyana"] == [
        Reaccession("Guyana", "2", date(1993, 5, 10), InstrumentKind.ACCESSION)
    ]
    guyana = next(r for r in page.participants if r.name == "Guyana")
    assert (guyana.instrument.on, guyana.instrument.bracketed) == (date(1999, 1, 5), False)


def test_jamaicas_denunciation_gives_only_the_notification_and_says_so_in_a_warning():
    page = parsed("iccpr_op1.html")
    assert withdrawals_of(page, "Jamaica") == [
        Withdrawal("Jamaica", "3", WithdrawalKind.DENUNCIATION, date(1997, 10, 23), None)
    ]
    assert any(w.startswith("end note 3: Jamaica") for w in page.warnings)


def test_belarus_denounced_with_effect_from_8_february_2023():
    assert withdrawals_of(parsed("iccpr_op1.html"), "Belarus") == [
        Withdrawal("Belarus", "6", WithdrawalKind.DENUNCIATION, date(2022, 11, 8), date(2023, 2, 8))
    ]


def test_germany_withdrawing_a_reservation_is_not_germany_withdrawing():
    page = parsed("iccpr_op1.html")
    assert "withdraws the reservation" in next(n.text for n in page.notes if n.number == "11")
    assert withdrawals_of(page, "Germany") == []


def test_denouncing_another_convention_is_not_a_withdrawal_from_this_one():
    # CEDAW note 44: New Zealand "denounced the Convention concerning the employment of women
    # on underground work in mines" (an ILO convention) and withdrew a reservation.
    page = parsed("cedaw.html")
    assert page.withdrawals == ()
    assert page.warnings == ()


def test_a_withdrawal_the_treaty_does_not_allow_is_a_warning_not_a_withdrawal():
    # ICCPR note 8: the DPRK's notification of withdrawal, which the Secretary-General holds
    # not possible; the DPRK is still a party.
    page = parsed("iccpr.html")
    assert page.withdrawals == ()
    (warning,) = page.warnings
    assert warning.startswith("end note 8: Democratic People's Republic of Korea notified a withdrawal")


def test_a_withdrawal_without_the_day_it_happened_is_a_warning_not_silence():
    html = page_text("ottawa.html").replace(
        "On 27 June 2025, the Government of the Republic of Estonia deposited",
        "The Government of the Republic of Estonia deposited",
    )
    page = parse_status_page(html)
    assert withdrawals_of(page, "Estonia") == []
    assert any(w.startswith("end note 1 mentions a withdrawal or denunciation that was not read") for w in page.warnings)


def test_a_withdrawal_note_no_row_points_to_is_matched_by_name_and_warned_about():
    html = page_text("ottawa.html").replace('href="#8" class="noteIndex">8</a>', "></a>")
    page = parse_status_page(html)
    assert next(r for r in page.participants if r.name == "Poland").footnotes == ()
    assert [w.participant for w in page.withdrawals if w.note == "8"] == ["Poland"]
    assert any(w.startswith("end note 8 is pointed to by no row") for w in page.warnings)


def test_the_participant_is_the_one_the_note_names_when_several_rows_point_to_it():
    # Give Latvia's footnote 3 to Estonia too: note 3 names Latvia, so the withdrawal is Latvia's.
    html = page_text("ottawa.html").replace('href="#1" class="noteIndex">1</a>', 'href="#1" class="noteIndex">1</a>, <a href="#3">3</a>', 1)
    page = parse_status_page(html)
    assert next(r for r in page.participants if r.name == "Estonia").footnotes == ("1", "3")
    assert [w.participant for w in page.withdrawals if w.note == "3"] == ["Latvia"]
