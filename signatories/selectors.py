"""Reads about participants: finding one by any of its names."""

from signatories.models import Participant
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

    def unknown_message(self, name: str) -> str:
        """The error for a name that matches no participant, with a suggestion if one is near."""
        suggestions = self.suggest(name)
        hint = f" Did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        return f"Unknown participant {name!r}.{hint}"
