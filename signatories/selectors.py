"""Reads about participants: finding one by any of its names."""

from signatories.models import Membership, Participant, ParticipantAlias, RegionalGroup
from signatories.names import closest_names, name_key


class UnknownParticipant(ValueError):
    """A name that matches no participant."""


class ParticipantIndex:
    """Every participant under every key a file may name it by: the depositary's name,
    its aliases and its ISO alpha-3 code, compared with ``name_key`` (so case, accents,
    "St.", "(The)" and footnote numbers do not matter).

    Built with two queries, then answers any number of look-ups from memory.
    """

    def __init__(self, participants=None):
        if participants is None:
            participants = Participant.objects.prefetch_related("aliases")
        self._by_key: dict[str, Participant] = {}
        self._display: dict[str, str] = {}
        for participant in participants:
            self._by_key[name_key(participant.name)] = participant
            self._display[name_key(participant.name)] = participant.name
            if participant.iso_alpha3:
                self._by_key[participant.iso_alpha3.casefold()] = participant
            for alias in participant.aliases.all():
                self._by_key.setdefault(name_key(alias.name), participant)
                self._display.setdefault(name_key(alias.name), participant.name)

    def get(self, name: str) -> Participant | None:
        """The participant ``name`` designates, or None."""
        return self._by_key.get(name_key(name))

    def require(self, name: str) -> Participant:
        """The participant ``name`` designates; raises UnknownParticipant with a suggestion."""
        participant = self.get(name)
        if participant is None:
            raise UnknownParticipant(self.unknown_message(name))
        return participant

    def suggest(self, name: str) -> list[str]:
        """The participants' names closest to an unknown ``name``."""
        return closest_names(name, self._display)

    def hint(self, name: str) -> str:
        """The sentence naming the participants nearest an unknown ``name``, ready to follow
        an error (' Did you mean …?'), or "" when none is near."""
        suggestions = self.suggest(name)
        return f" Did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""

    def unknown_message(self, name: str) -> str:
        """The error for a name that matches no participant, with a suggestion if one is near."""
        return f"Unknown participant {name!r}.{self.hint(name)}"


def participant_key_filter(key: str):
    """The Q that finds a participant by the keys the API and the pages accept: its ISO
    alpha-3 code or its slug (any case), its depositary name or one of its aliases (any case)."""
    from django.db.models import Q

    key = key.strip()
    return (
        Q(iso_alpha3=key.upper())
        | Q(slug=key.lower())
        | Q(name__iexact=key)
        | Q(aliases__name__iexact=key)
    )


def find_participant_by_key(key: str) -> tuple[Participant | None, str]:
    """The participant ``key`` designates (see ``participant_key_filter``), or None and a
    hint naming the closest names ("" without one). One query when it is found."""
    found = Participant.objects.filter(participant_key_filter(key)).distinct().first() if key.strip() else None
    if found is not None:
        return found, ""
    if "\x00" in key:
        return None, ""
    return None, ParticipantIndex().hint(key)


# The fields of a participant as the API lists them, in order (ParticipantSerializer's):
# ``key`` is the identifier every record uses (its ISO alpha-3 code, or its slug without
# one), ``iso3`` its ISO alpha-3 code (null without one).
PARTICIPANT_FIELDS = (
    "key", "iso3", "slug", "name", "kind", "un_member", "iso_alpha2", "iso_numeric",
    "un_regional_group", "un_regional_group_label", "aliases", "memberships", "note",
)  # fmt: skip
# The participant table's columns the rows are built from.
COLUMNS = ("id", "iso_alpha3", "slug", "name", "kind", "un_member", "iso_alpha2", "iso_numeric", "un_regional_group", "note")


def participant_values(participants):
    """``participants`` (a queryset) as the values ``participant_rows`` completes."""
    return participants.values(*COLUMNS)


def participant_rows(values) -> list[dict]:
    """The API's rows of the participants whose ``participant_values`` are given (a page of
    them, say), with their aliases and memberships: two more queries whatever their number.

    Plain values rather than model instances and a serializer per row: a page of 200 then
    takes a tenth of the time, which is what a researcher's script downloading the list
    waits for. The aliases and memberships of every participant are read, without a list
    of ids to match: both tables are small (a few hundred rows at most, there being fewer
    than 250 participants), and matching a long list of ids costs more than reading them.
    """
    rows = list(values)
    aliases: dict[int, list[str]] = {row["id"]: [] for row in rows}
    named = ParticipantAlias.objects.order_by("name").values_list("participant_id", "name")
    for member_id, name in named:
        if member_id in aliases:
            aliases[member_id].append(name)
    memberships: dict[int, list[dict]] = {row["id"]: [] for row in rows}
    held = Membership.objects.order_by("organization__name", "joined_on").values_list(
        "member_id", "organization__slug", "joined_on", "left_on"
    )
    for member_id, organization, joined_on, left_on in held:
        if member_id in memberships:
            membership = {"organization": organization, "joined_on": joined_on, "left_on": left_on}
            memberships[member_id].append(membership)
    labels = dict(RegionalGroup.choices)
    return [
        {
            "key": row["iso_alpha3"] or row["slug"],
            "iso3": row["iso_alpha3"] or None,
            "slug": row["slug"],
            "name": row["name"],
            "kind": row["kind"],
            "un_member": row["un_member"],
            "iso_alpha2": row["iso_alpha2"] or None,
            "iso_numeric": row["iso_numeric"] or None,
            "un_regional_group": row["un_regional_group"] or None,
            "un_regional_group_label": labels.get(row["un_regional_group"], row["un_regional_group"]) or None,
            "aliases": aliases[row["id"]],
            "memberships": memberships[row["id"]],
            "note": row["note"],
        }
        for row in rows
    ]
