"""Tests of tracker.depositary, the reader of UNTC status pages. They read only the
fixtures in pages/ (cut from real pages saved on 3 February 2026 by cut.py), never the
network or a database."""

from functools import lru_cache
from pathlib import Path

from tracker.depositary import parse_status_page

PAGES = Path(__file__).parent / "pages"


def page_bytes(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def page_text(name: str) -> str:
    return page_bytes(name).decode("utf-8")


@lru_cache
def parsed(name: str):
    """The fixture's StatusPage, parsed once per test session (the records are frozen)."""
    return parse_status_page(page_bytes(name))
