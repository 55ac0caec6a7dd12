"""Tolerant matching of participant names, with no Django import.

The depositary's pages spell the same participant in ways that drift over time and
between pages: "Saint Lucia" and "St. Lucia", "Bahamas" and "Bahamas (The)",
"Türkiye" and "Turkiye", and names followed by footnote numbers ("France 3").
``name_key`` folds those differences away so that two spellings of one name compare
equal; anything more (Czech Republic and Czechia) is an alias stored with the
participant.
"""

import difflib
import re
import unicodedata
from functools import lru_cache

_FOOTNOTES = re.compile(r"(?:[\s,]*(?:\d+|\[\d+\]|\(\d+\)|[*†‡]+))+$")
_TRAILING_THE = re.compile(r"\s*\(\s*the\s*\)$")
_ST = re.compile(r"\bst\b\.?")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def strip_footnotes(name: str) -> str:
    """Drop footnote markers that follow a name: "France 3", "Chile*", "Peru [2]"."""
    return _FOOTNOTES.sub("", name.strip())


@lru_cache(maxsize=1024)  # an index computes each name's key twice in a row; a file repeats names
def name_key(name: str) -> str:
    """Return the comparison key of a participant name.

    Case, accents, punctuation, footnote numbers, a trailing "(The)" and "St." for
    "Saint" make no difference to the key.
    """
    text = strip_footnotes(name)
    if not text.isascii():  # ASCII has no accents to take off: most names, and much faster
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("’", "'").replace("'", "")
    text = _TRAILING_THE.sub("", text)
    text = _ST.sub("saint", text)
    return _NON_WORD.sub(" ", text).strip()


def closest_names(name: str, candidates: dict[str, str], limit: int = 3) -> list[str]:
    """Suggest the display names nearest to ``name`` (for "did you mean" messages).

    ``candidates`` maps name keys to the display names to suggest.
    """
    keys = difflib.get_close_matches(name_key(name), list(candidates), n=limit, cutoff=0.75)
    return list(dict.fromkeys(candidates[key] for key in keys))
