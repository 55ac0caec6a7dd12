"""Addresses of many pages of one kind, reversed once: a table or a map of 600 treaties or
200 participants called reverse() for each, which took tens of milliseconds a page."""

from collections.abc import Callable
from urllib.parse import quote

from django.urls import reverse

# Stands for the key in the one reversed address, then is replaced by each key.
KEY = "key-of-the-page"


def reverse_once(name: str) -> Callable[[str], str]:
    """A function giving the address of the URL ``name`` for one key (a slug, a code)."""
    before, _, after = reverse(name, args=[KEY]).partition(KEY)
    return lambda key: f"{before}{quote(key, safe='-._~')}{after}"


def participant_links() -> Callable[[object], str]:
    """A function giving a participant's page, by its lower-cased ISO alpha-3 code (its
    slug for the EU, which has none)."""
    page = reverse_once("participant")
    return lambda participant: page((participant.iso_alpha3 or participant.slug).lower())
