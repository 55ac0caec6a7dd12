"""Writes for participants and their actions, and the loaders of the shipped data files.

Below tracker.services (whose ``seed`` calls these loaders) and never importing it: the
machinery the loaders share is tracker.loading's, the validated save tracker.writes'.
"""

from pathlib import Path

import pycountry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from signatories.models import (
    SIGNATURE_VALUES,
    Action,
    DomesticStep,
    Membership,
    Participant,
    ParticipantAlias,
    RegionalGroup,
)
from signatories.names import name_key
from signatories.selectors import ParticipantIndex
from tracker.loading import (
    LoadSummary,
    SeedLedger,
    SeedRow,
    SourceResolver,
    error_text,
    load_rows,
    parse_date,
    read_rows,
)
from tracker.models import DatePrecision, Source, Treaty
from tracker.rules import ActionKind
from tracker.writes import save_valid

GROUPS_BY_LABEL = {
    "African": RegionalGroup.AFRICAN,
    "Asia-Pacific": RegionalGroup.ASIA_PACIFIC,
    "Eastern European": RegionalGroup.EASTERN_EUROPEAN,
    "Latin American and Caribbean": RegionalGroup.LATIN_AMERICAN_CARIBBEAN,
    "Western European and Others": RegionalGroup.WESTERN_EUROPEAN_OTHERS,
}


@transaction.atomic
def record_action(
    *,
    treaty: Treaty,
    participant: Participant,
    kind: ActionKind | str,
    date,
    sources: list[Source] = (),
    reason: str = "",
    **fields,
) -> Action:
    """Record one action after checking every invariant of the model; raises ValidationError
    and writes nothing then.

    ``reason`` is kept in the audit history; the data version changes and the alert check
    is queued after the commit (tracker.writes.save_valid).
    """
    action = Action(treaty=treaty, participant=participant, kind=ActionKind(kind).value, date=date, **fields)
    return save_valid(action, reason=reason, relations={"sources": sources})


def participant_from_row(row: dict[str, str]) -> Participant:
    """A new Participant from a row of fixtures/participants.csv; ISO codes from pycountry."""
    participant = Participant(
        name=row["untc_name"],
        slug=slugify(row["untc_name"]),
        kind=row["kind"],
        un_member=row["un_member"] == "yes",
        un_regional_group=GROUPS_BY_LABEL[row["un_regional_group"]] if row["un_regional_group"] else "",
        note=row["note"],
    )
    if row["iso_alpha3"]:
        country = pycountry.countries.get(alpha_3=row["iso_alpha3"])
        if country is None:
            raise ValueError(f"{row['iso_alpha3']!r} is not an ISO 3166 alpha-3 code")
        participant.iso_alpha2, participant.iso_alpha3, participant.iso_numeric = (
            country.alpha_2,
            country.alpha_3,
            country.numeric,
        )
    return participant


def load_participants(path: Path, ledger: SeedLedger) -> LoadSummary:
    """Create the participants of fixtures/participants.csv that do not exist yet, with their aliases.

    Every name and alias must read differently from all the others (after ``name_key``),
    or matching names would be ambiguous. Writes in two bulk inserts.
    """
    summary = LoadSummary()
    existing = {p.name: p for p in Participant.objects.all()}
    taken_codes = {code for p in existing.values() for code in (p.iso_alpha2, p.iso_alpha3, p.iso_numeric) if code}
    seen: dict[str, str] = {}
    new: list[Participant] = []
    aliases: dict[str, list[str]] = {}
    for line, row in read_rows(path):
        names = [row["untc_name"], *filter(None, (a.strip() for a in row["aliases"].split(";")))]
        for name in names:
            owner = seen.setdefault(name_key(name), row["untc_name"])
            if owner != row["untc_name"]:
                summary.problems.append(f"{path.name} row {line}: {name!r} already names {owner}")
        aliases[row["untc_name"]] = names[1:]
        key = f"participant:{row['untc_name']}"
        if row["untc_name"] in existing or not ledger.should_create(key):
            summary.kept += 1
            continue
        try:
            participant = participant_from_row(row)
            # Uniqueness is checked here against the file and the table, not row by row.
            participant.full_clean(validate_unique=False, validate_constraints=False)
            codes = {participant.iso_alpha2, participant.iso_alpha3, participant.iso_numeric} - {None}
            if codes & taken_codes:
                raise ValueError(f"ISO code {sorted(codes & taken_codes)[0]} belongs to another participant")
            taken_codes |= codes
        except (KeyError, ValueError, ValidationError) as error:
            summary.problems.append(f"{path.name} row {line}: {error_text(error)}")
            continue
        new.append(participant)
        ledger.mark(key)
    if not summary.problems:
        bulk_create_with_history(new, Participant, default_change_reason=f"seed: {path.name}")
        summary.created += len(new)
        summary.add(load_aliases(aliases, ledger, reason=f"seed: {path.name}"))
    return summary


def load_aliases(aliases: dict[str, list[str]], ledger: SeedLedger, reason: str) -> LoadSummary:
    """Create the aliases, by participant name, that were never created before."""
    summary = LoadSummary()
    participants = {p.name: p for p in Participant.objects.filter(name__in=aliases)}
    known = set(ParticipantAlias.objects.values_list("name", flat=True))
    new = []
    for name, names in aliases.items():
        for alias in names:
            key = f"alias:{alias}"
            if alias in known or name not in participants or not ledger.should_create(key):
                summary.kept += 1
                continue
            new.append(ParticipantAlias(participant=participants[name], name=alias))
            ledger.mark(key)
    bulk_create_with_history(new, ParticipantAlias, default_change_reason=reason)
    summary.created += len(new)
    return summary


def load_memberships(path: Path, ledger: SeedLedger, index: ParticipantIndex | None = None) -> LoadSummary:
    """Create the memberships of regional organizations (fixtures/reio-memberships.csv)."""
    index = index or ParticipantIndex()
    existing = set(Membership.objects.values_list("organization_id", "member_id", "joined_on"))

    def plan(row: dict[str, str]) -> SeedRow:
        membership = Membership(
            organization=index.require(row["organization"]),
            member=index.require(row["member_iso_alpha3"]),
            joined_on=parse_date(row["joined_on"]),
            left_on=parse_date(row["left_on"]) if row["left_on"] else None,
            source_url=row["source"],
        )

        def check() -> None:  # the constraint membership_left_after_joined, without a query
            if membership.left_on and membership.left_on < membership.joined_on:
                raise ValidationError("A membership cannot end before it began.")

        return SeedRow(
            key=f"membership:{membership.organization.slug}:{membership.member.slug}:{membership.joined_on}",
            exists=(membership.organization.pk, membership.member.pk, membership.joined_on) in existing,
            instance=membership,
            check=check,
        )

    return load_rows(path, ledger, plan, Membership)


def load_signatures(
    treaty: Treaty,
    path: Path,
    sources: SourceResolver,
    ledger: SeedLedger,
    index: ParticipantIndex | None = None,
) -> LoadSummary:
    """Create the signatures of ``<slug>-signatures.csv`` not recorded yet."""
    index = index or ParticipantIndex()
    signed = set(
        Action.objects.filter(treaty=treaty, kind__in=SIGNATURE_VALUES).values_list("participant_id", flat=True)
    )

    def plan(row: dict[str, str]) -> SeedRow:
        participant = index.require(row["participant"])
        action = Action(
            treaty=treaty,
            participant=participant,
            kind=ActionKind.SIGNATURE.value,
            date=parse_date(row["signature_date"]),
            date_precision=row["date_precision"] or DatePrecision.EXACT,
            place=row["place"],
            confidence=row["confidence"],
            note=row["note"],
        )
        return SeedRow(
            key=f"action:{treaty.slug}:{participant.slug}:signature",
            exists=participant.pk in signed,  # one signature per participant (a constraint)
            instance=action,
            cites=row["sources"],
        )

    return load_rows(path, ledger, plan, Action, sources)


def load_domestic_steps(
    treaty: Treaty,
    path: Path,
    sources: SourceResolver,
    ledger: SeedLedger,
    index: ParticipantIndex | None = None,
) -> LoadSummary:
    """Create the domestic steps of ``<slug>-domestic-steps.csv`` not recorded yet."""
    index = index or ParticipantIndex()
    existing = set(DomesticStep.objects.filter(treaty=treaty).values_list("participant_id", "date", "step"))

    def plan(row: dict[str, str]) -> SeedRow:
        participant = index.require(row["participant"])
        step = DomesticStep(
            treaty=treaty,
            participant=participant,
            date=parse_date(row["date"]),
            step=row["step"],
            confidence=row["confidence"],
            note=row["note"],
        )
        return SeedRow(
            key=f"step:{treaty.slug}:{participant.slug}:{step.date}:{row['step']}",
            exists=(participant.pk, step.date, step.step) in existing,
            instance=step,
            cites=row["sources"],
        )

    return load_rows(path, ledger, plan, DomesticStep, sources)
