"""The invariants of actions, shared by every entry path (clean() and the database)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from signatories.models import Action, DomesticStep, Membership, Participant, ParticipantAlias
from signatories.services import record_action
from tracker.rules import ActionKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def treaty(make_treaty, pinned_today):
    return make_treaty()


@pytest.fixture
def france(make_participant):
    return make_participant("France", iso_alpha3="FRA")


def messages(error: ValidationError, field: str) -> str:
    return " ".join(error.value.message_dict[field])


def test_a_valid_signature_is_recorded(treaty, france):
    action = record_action(treaty=treaty, participant=france, kind=ActionKind.SIGNATURE, date=date(2025, 10, 25))
    assert Action.objects.get() == action
    assert action.is_signature and not action.is_deposit


def test_a_deposit_before_adoption_is_refused_in_the_users_terms(treaty, france):
    with pytest.raises(ValidationError) as error:
        record_action(treaty=treaty, participant=france, kind=ActionKind.RATIFICATION, date=date(2024, 1, 5))
    assert messages(error, "date") == "Ratification on 2024-01-05 is before the treaty's adoption on 2024-12-24."
    assert not Action.objects.exists()


def test_a_signature_before_the_window_opens_is_refused(treaty, france):
    with pytest.raises(ValidationError) as error:
        record_action(treaty=treaty, participant=france, kind=ActionKind.SIGNATURE, date=date(2025, 1, 10))
    assert "before the treaty opened for signature on 2025-10-25" in messages(error, "date")


def test_a_signature_after_the_deadline_is_refused(treaty, france, make_treaty):
    closed = make_treaty(slug="closed", signature_closes_on=date(2026, 6, 30))
    with pytest.raises(ValidationError) as error:
        record_action(treaty=closed, participant=france, kind=ActionKind.SIGNATURE, date=date(2026, 7, 1))
    assert "after the signature deadline of 2026-06-30" in messages(error, "date")


def test_a_signature_on_the_deadline_day_is_accepted(france, make_treaty):
    closed = make_treaty(slug="closed", signature_closes_on=date(2026, 6, 30))
    record_action(treaty=closed, participant=france, kind=ActionKind.SIGNATURE, date=date(2026, 6, 30))
    assert Action.objects.count() == 1


def test_a_date_in_the_future_is_refused(treaty, france):
    with pytest.raises(ValidationError) as error:
        record_action(treaty=treaty, participant=france, kind=ActionKind.RATIFICATION, date=date(2026, 11, 23))
    assert "is in the future (today is 2026-11-22 in America/New_York)" in messages(error, "date")


def test_today_is_the_treatys_calendar_date_not_utc(treaty, france, time_machine):
    # 02:00 UTC on 23 November is still 22 November in New York.
    time_machine.move_to("2026-11-23T02:00:00+00:00")
    with pytest.raises(ValidationError):
        record_action(treaty=treaty, participant=france, kind=ActionKind.RATIFICATION, date=date(2026, 11, 23))
    time_machine.move_to("2026-11-23T06:00:00+00:00")
    record_action(treaty=treaty, participant=france, kind=ActionKind.RATIFICATION, date=date(2026, 11, 23))


def test_a_second_signature_of_the_same_participant_is_refused(treaty, france):
    record_action(treaty=treaty, participant=france, kind=ActionKind.SIGNATURE, date=date(2025, 10, 25))
    with pytest.raises(ValidationError) as error:
        record_action(
            treaty=treaty, participant=france, kind=ActionKind.DEFINITIVE_SIGNATURE, date=date(2025, 10, 26)
        )
    assert "already has a signature under this treaty" in str(error.value)


def test_the_database_refuses_a_second_signature_that_skipped_validation(treaty, france):
    Action.objects.create(treaty=treaty, participant=france, kind="signature", date=date(2025, 10, 25))
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.create(treaty=treaty, participant=france, kind="signature", date=date(2025, 10, 26))


def test_a_second_counted_deposit_is_refused(treaty, france):
    record_action(treaty=treaty, participant=france, kind=ActionKind.RATIFICATION, date=date(2026, 2, 1))
    with pytest.raises(ValidationError) as error:
        record_action(treaty=treaty, participant=france, kind=ActionKind.ACCESSION, date=date(2026, 3, 1))
    assert "already has a deposited instrument" in str(error.value)


def test_a_new_deposit_is_accepted_once_the_earlier_one_was_withdrawn(treaty, france):
    first = record_action(
        treaty=treaty, participant=france, kind=ActionKind.RATIFICATION, date=date(2026, 2, 1)
    )
    first.withdrawn_on = date(2026, 2, 10)
    first.full_clean()
    first.save()
    record_action(treaty=treaty, participant=france, kind=ActionKind.RATIFICATION, date=date(2026, 3, 1))
    assert Action.objects.filter(participant=france).count() == 2


def test_a_withdrawal_before_its_deposit_is_refused(treaty, france):
    with pytest.raises(ValidationError) as error:
        record_action(
            treaty=treaty,
            participant=france,
            kind=ActionKind.RATIFICATION,
            date=date(2026, 2, 1),
            withdrawn_on=date(2026, 1, 1),
        )
    assert "can only be withdrawn on or after its date" in str(error.value)


@pytest.mark.parametrize("kind", [ActionKind.SIGNATURE, ActionKind.DEFINITIVE_SIGNATURE])
def test_a_signature_can_be_withdrawn_on_or_after_its_date(treaty, france, kind):
    signed = record_action(
        treaty=treaty, participant=france, kind=kind, date=date(2025, 10, 25), withdrawn_on=date(2026, 1, 1)
    )
    assert signed.history.get().withdrawn_on == date(2026, 1, 1)  # the audit history keeps it too


def test_the_database_refuses_a_withdrawal_before_the_signature_that_skipped_validation(treaty, france):
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.create(
            treaty=treaty, participant=france, kind="signature", date=date(2025, 10, 25), withdrawn_on=date(2025, 10, 24)
        )


# (case, kind, withdrawn on, day, in effect that day, consent to be bound)
IN_EFFECT_CASES = [
    ("a signature the day before it is made", "signature", None, "2025-10-24", False, False),
    ("a signature on its day", "signature", None, "2025-10-25", True, False),
    ("a signature the day before its withdrawal", "signature", "2026-01-01", "2025-12-31", True, False),
    ("a signature on the day of its withdrawal", "signature", "2026-01-01", "2026-01-01", False, False),
    ("a definitive signature binds", "definitive_signature", None, "2026-01-01", True, True),
    ("a ratification binds until its withdrawal", "ratification", "2026-01-01", "2025-12-31", True, True),
]


@pytest.mark.parametrize(
    "kind, withdrawn_on, day, in_effect, binds", [c[1:] for c in IN_EFFECT_CASES], ids=[c[0] for c in IN_EFFECT_CASES]
)
def test_an_action_is_in_effect_from_its_date_until_the_day_before_its_withdrawal(
    treaty, france, kind, withdrawn_on, day, in_effect, binds
):
    withdrawn = date.fromisoformat(withdrawn_on) if withdrawn_on else None
    action = Action(treaty=treaty, participant=france, kind=kind, date=date(2025, 10, 25), withdrawn_on=withdrawn)
    assert action.in_effect_on(date.fromisoformat(day)) is in_effect
    assert action.binds is binds


def test_a_malformed_cn_reference_is_refused(treaty, france):
    with pytest.raises(ValidationError) as error:
        record_action(
            treaty=treaty, participant=france, kind=ActionKind.SIGNATURE, date=date(2025, 10, 25), cn_reference="CN 12"
        )
    assert "C.N.196.2025.TREATIES-XVIII.16" in messages(error, "cn_reference")


def test_a_domestic_step_in_the_future_is_refused(treaty, france):
    step = DomesticStep(treaty=treaty, participant=france, date=date(2027, 1, 1), step="Parliament voted")
    with pytest.raises(ValidationError) as error:
        step.full_clean()
    assert "Parliament voted on 2027-01-01 is in the future" in messages(error, "date")


def test_an_alias_that_reads_as_another_participants_name_is_refused(france, make_participant):
    spain = make_participant("Spain", iso_alpha3="ESP")
    alias = ParticipantAlias(participant=spain, name="FRANCE 2")
    with pytest.raises(ValidationError) as error:
        alias.full_clean()
    assert "already names France" in messages(error, "name")


def test_a_membership_must_be_of_a_regional_organization(france, make_participant):
    spain = make_participant("Spain")
    with pytest.raises(ValidationError) as error:
        Membership(organization=spain, member=france, joined_on=date(1986, 1, 1)).full_clean()
    assert "not a regional organization" in messages(error, "organization")


def test_a_membership_cannot_end_before_it_began(france, make_participant):
    eu = make_participant("European Union", kind=Participant.Kind.REIO)
    with pytest.raises(ValidationError) as error:
        Membership(organization=eu, member=france, joined_on=date(1958, 1, 1), left_on=date(1957, 1, 1)).full_clean()
    assert "cannot end before it began" in str(error.value)
