"""The participant page's summary: where a participant stands under each treaty, down to
the date a treaty is in force for it, as the treaty's own status computes that date."""

from datetime import date

from signatories.models import Participant
from signatories.services import record_action
from tracker.rules import ActionKind
from tracker.selectors import treaty_status


def test_the_summary_says_since_when_a_treaty_is_in_force_for_a_party_and_when_it_will_be_for_a_late_joiner(
    client, seeded, make_treaty
):
    treaty = make_treaty(slug="made-up", short_title="Made-up treaty", threshold=3)  # 90 days, later joiners 30
    first, second, third, late = Participant.objects.filter(kind="state").order_by("name")[:4]
    for state in (first, second, third):
        record_action(treaty=treaty, participant=state, kind=ActionKind.RATIFICATION, date=date(2026, 1, 10))
    record_action(treaty=treaty, participant=late, kind=ActionKind.ACCESSION, date=date(2026, 11, 1))
    status = treaty_status(treaty, date(2026, 11, 22))
    party_since, late_on = status.entry_into_force_for[first.slug], status.entry_into_force_for[late.slug]
    assert party_since <= date(2026, 11, 22) < late_on  # the oracle: the treaty's own status

    party = client.get(f"/participants/{first.iso_alpha3.lower()}/").content.decode()
    entry = party[party.index('data-treaty="made-up"') :]
    entry = entry[: entry.index("</li>")]
    assert 'data-standing="in_force"' in entry and "In force for it" in entry
    assert f'in force for it since <time class="date" datetime="{party_since.isoformat()}"' in entry

    joiner = client.get(f"/participants/{late.iso_alpha3.lower()}/").content.decode()
    entry = joiner[joiner.index('data-treaty="made-up"') :]
    entry = entry[: entry.index("</li>")]
    assert 'data-standing="deposited"' in entry
    assert f'enters into force for it on <time class="date" datetime="{late_on.isoformat()}"' in entry


def test_a_signatory_of_a_treaty_not_in_force_is_not_said_to_be_bound(client, seeded):
    page = client.get("/participants/vnm/").content.decode()
    entry = page[page.index('data-treaty="hanoi-convention"') :]
    entry = entry[: entry.index("</li>")]
    assert 'data-standing="signed"' in entry and "in force for it" not in entry
