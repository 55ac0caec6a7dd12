"""What other sites embed: the badge (an SVG image, "N of M") and the headline in an iframe."""

import re
import xml.etree.ElementTree as ET
from datetime import date
from html import unescape

import pytest

from signatories.models import Participant
from signatories.services import record_action
from tracker.rules import ActionKind

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return [element.text for element in root.iter(f"{SVG}text")]


def test_the_badge_says_how_many_instruments_of_the_threshold(client, seeded):
    counted = seeded.actions.filter(kind__in=["ratification", "acceptance", "approval", "accession"]).count()
    response = client.get("/treaties/hanoi-convention/badge.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert texts(response.content) == ["Hanoi Convention", f"{counted} of {seeded.threshold}"]


@pytest.mark.django_db(transaction=True)  # the page cache moves on when a write commits
def test_the_badge_follows_a_new_deposit(client, seeded):
    before = texts(client.get("/treaties/hanoi-convention/badge.svg").content)[1]
    record_action(
        treaty=seeded,
        participant=Participant.objects.get(name="Austria"),
        kind=ActionKind.RATIFICATION,
        date=date(2026, 11, 1),
    )
    after = client.get("/treaties/hanoi-convention/badge.svg")
    assert (before, texts(after.content)[1]) == ("0 of 40", "1 of 40")


def test_a_treaty_in_force_has_a_badge_that_says_so(client, seeded, make_treaty):
    treaty = make_treaty(slug="small-treaty", short_title="Small Treaty", threshold=1)
    record_action(
        treaty=treaty,
        participant=Participant.objects.get(name="Austria"),
        kind=ActionKind.RATIFICATION,
        date=date(2026, 1, 5),
    )
    assert texts(client.get("/treaties/small-treaty/badge.svg").content) == ["Small Treaty", "in force"]


def test_the_badge_is_a_plain_image_named_for_screen_readers(client, seeded):
    svg = client.get("/treaties/hanoi-convention/badge.svg").content.decode()
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "Hanoi Convention: 0 of 40"
    assert root.find(f"{SVG}title").text == "Hanoi Convention: 0 of 40"
    # Nothing a Content-Security-Policy or an <img> would block: no script, style or outside link.
    assert not re.search(r"<script|<style|style=|href=|<foreignObject", svg)
    assert float(root.get("width")) > 0 and root.get("height") == "20"


def test_a_long_title_is_shortened_on_the_badge_and_the_text_fits_its_box(client, seeded, make_treaty):
    make_treaty(
        slug="long-treaty", short_title="Convention on the Law of the Non-navigational Uses of Watercourses"
    )
    root = ET.fromstring(client.get("/treaties/long-treaty/badge.svg").content)
    label = root.find(f"{SVG}g/{SVG}text")
    assert label.text.endswith("…") and len(label.text) <= 40
    first_box = root.find(f"{SVG}rect")
    assert float(label.get("textLength")) < float(first_box.get("width"))


def test_the_badge_may_be_cached_and_shown_anywhere(client, seeded):
    response = client.get("/treaties/hanoi-convention/badge.svg")
    assert re.fullmatch(r"public, max-age=\d+", response["Cache-Control"])
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors *" in response["Content-Security-Policy"]


def test_an_unknown_treaty_has_no_badge_and_no_embed(client, seeded):
    assert client.get("/treaties/atlantis/badge.svg").status_code == 404
    assert client.get("/treaties/atlantis/embed/").status_code == 404


def test_the_embed_is_the_headline_alone(client, seeded):
    html = client.get("/treaties/hanoi-convention/embed/").content.decode()
    assert 'data-stat="instruments_counted">0<' in html
    assert 'data-stat="threshold">40<' in html
    assert 'class="world-map"' not in html and 'id="participants"' not in html
    assert "<header" not in html and "<nav" not in html
    assert '<base target="_blank">' in html  # its links open the tracker, never inside the frame


@pytest.mark.django_db(transaction=True)
def test_only_the_embed_may_be_framed_and_it_is_served_from_the_page_cache(client, seeded):
    first = client.get("/treaties/hanoi-convention/embed/")
    second = client.get("/treaties/hanoi-convention/embed/")
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    for response in (first, second):
        assert "X-Frame-Options" not in response
        assert "frame-ancestors *" in response["Content-Security-Policy"]
        assert response["Cache-Control"].startswith("public, max-age=")
    page = client.get("/treaties/hanoi-convention/")
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_the_treaty_page_offers_the_code_to_embed_it(client, seeded, settings):
    settings.SITE_URL = "https://tracker.example.org"
    html = client.get("/treaties/hanoi-convention/").content.decode()
    details = html[html.index('<details class="embed-code">') :]
    details = unescape(details[: details.index("</details>")])
    assert '<iframe src="https://tracker.example.org/treaties/hanoi-convention/embed/"' in details
    assert 'title="Hanoi Convention: where it stands"' in details
    assert '<img src="https://tracker.example.org/treaties/hanoi-convention/badge.svg"' in details
