"""The treaty page's world map in a real Chromium: every State on it, pointed at and
tabbed to, named with its status; small States as markers big enough to hit.

The clock is 2026-11-22 in New York (see conftest.py): 68 signatories, no instrument
deposited, so a State reads "X: signed" or "X: not signed".
"""

import re
from datetime import date

import pytest

from signatories.models import SIGNATURE_VALUES, Action, Participant
from tests.browser.conftest import screenshot_path

pytestmark = pytest.mark.integration

TREATY = "/treaties/hanoi-convention/"
TODAY = date(2026, 11, 22)
# The name of each of the map's keyboard stops reads like "France: signed".
MAP_LABEL = re.compile(r"^\S.*: \S.*$")


def expected_label(site, iso3: str) -> str:
    """What the map must say of a participant, from the database: no instrument is
    deposited yet, so it has signed or not."""
    participant = Participant.objects.get(iso_alpha3=iso3)
    signed = Action.objects.filter(
        treaty=site.treaty, participant=participant, kind__in=SIGNATURE_VALUES, date__lte=TODAY
    ).exists()
    return f"{participant.name}: {'signed' if signed else 'not signed'}"


def focused(page) -> dict:
    """What has the keyboard focus: its name (the <title>), whether it is a stop in the
    map, the ISO code of the shape inside, and that shape's outline width."""
    return page.evaluate(
        """() => {
            const element = document.activeElement;
            const map = element && element.closest('svg.world-map');
            const shape = element && element.querySelector('[data-iso3]');
            const title = element && element.querySelector(':scope > title');
            return {
                label: title ? title.textContent : null,
                inMap: !!(map && element !== map),
                iso3: shape ? shape.getAttribute('data-iso3') : null,
                stroke: shape ? parseFloat(getComputedStyle(shape).strokeWidth) : 0,
            };
        }"""
    )


def caption_shows(page, text: str) -> None:
    page.wait_for_function("text => document.querySelector('#map-caption').textContent === text", arg=text)


def shape(page, iso3: str):
    return page.locator(f'svg.world-map [data-iso3="{iso3}"]')


def test_every_state_is_a_named_shape_with_an_iso3_code(page, site):
    assert page.goto(TREATY).ok
    world = page.locator("svg.world-map")
    assert world.count() == 1 and world.is_visible(), "no world map on the treaty page"
    codes = world.locator("[data-iso3]").evaluate_all("shapes => shapes.map(s => s.dataset.iso3)")
    assert len(codes) == len(set(codes)), "a country is drawn twice"
    assert len(codes) >= 190, f"the map has shapes for {len(codes)} countries only"
    members = set(Participant.objects.filter(un_member=True).values_list("iso_alpha3", flat=True))
    assert len(members) == 193 and members <= set(codes), sorted(members - set(codes))
    # Each is inside a link named by its <title>, as the accessibility tree has it.
    brazil = expected_label(site, "BRA")
    assert page.get_by_role("link", name=brazil, exact=True).count() == 1
    assert page.get_by_role("link", name=expected_label(site, "TUV"), exact=True).count() == 1
    assert page.locator("svg.timeline-chart").is_visible(), "no timeline chart on the treaty page"
    assert page.js_errors == []


@pytest.mark.parametrize("iso3", ["TUV", "NRU", "BRA", "MCO", "KNA"])
def test_pointing_at_a_state_names_it_and_its_status_in_the_caption(page, site, iso3):
    assert page.goto(TREATY).ok
    target = shape(page, iso3)
    box = target.bounding_box()
    assert box and box["width"] >= 8 and box["height"] >= 8, f"{iso3} is {box} at 1280 px"
    target.hover()  # Playwright checks that nothing else catches the pointer there
    caption = page.locator("#map-caption")
    assert caption.get_attribute("aria-live") in {"polite", "assertive"}
    caption_shows(page, expected_label(site, iso3))
    assert page.js_errors == []


def test_no_marker_is_covered_by_a_neighbour(page, site):
    assert page.goto(TREATY).ok
    covered = page.evaluate(
        """() => [...document.querySelectorAll('svg.world-map circle[data-iso3]')].filter(circle => {
            // elementFromPoint sees the viewport only.
            circle.scrollIntoView({block: 'center', inline: 'center'});
            const box = circle.getBoundingClientRect();
            const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
            return hit !== circle;
        }).map(circle => circle.dataset.iso3)"""
    )
    assert page.locator("svg.world-map circle[data-iso3]").count() >= 29
    assert covered == [], f"markers under another shape: {covered}"


def test_the_keyboard_goes_through_the_map_by_name_to_tuvalu(page, site, request):
    assert page.goto(TREATY).ok
    seen = []
    for _ in range(500):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["inMap"]:
            assert now["label"] and MAP_LABEL.match(now["label"]), now
            seen.append(now)
            if now["iso3"] == "TUV":
                break
    else:
        pytest.fail(
            f"500 presses of Tab never reached Tuvalu; the map's stops: {[s['iso3'] for s in seen][:20]}"
        )
    names = [stop["label"].rsplit(":", 1)[0] for stop in seen]
    assert names[0] == "Afghanistan", names[:3]
    assert names == sorted(names, key=lambda name: name.casefold().replace("ô", "o").replace("ü", "u"))
    assert {"BRA", "NRU"} <= {stop["iso3"] for stop in seen}  # passed on the way
    tuvalu = expected_label(site, "TUV")
    assert seen[-1]["label"] == tuvalu
    caption_shows(page, tuvalu)
    # The focus shows: the shape's outline is far thicker than a border.
    assert seen[-1]["stroke"] >= 3
    page.locator(".map-section").screenshot(path=str(screenshot_path(request, "map")))
    assert page.js_errors == []


def test_a_skip_link_passes_the_maps_two_hundred_stops(page, site):
    assert page.goto(TREATY).ok
    skip = page.locator("a.map-skip")
    skip.focus()
    assert skip.is_visible() and skip.evaluate("a => a.getBoundingClientRect().left") >= 0
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    after = focused(page)
    assert not after["inMap"], "Tab after the skip link went into the map"


def test_without_script_every_shape_still_has_its_name(browser, site):
    context = browser.new_context(
        base_url=site.url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        page = context.new_page()
        assert page.goto(TREATY).ok
        assert page.get_by_role("link", name=expected_label(site, "NRU"), exact=True).count() == 1
        titles = page.locator("svg.world-map [data-iso3]").evaluate_all(
            "shapes => shapes.map(s => s.closest('a, [tabindex]')"
            ".querySelector(':scope > title').textContent)"
        )
        assert len(titles) >= 190 and all(MAP_LABEL.match(title) for title in titles)
    finally:
        context.close()
