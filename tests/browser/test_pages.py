"""The public pages in a real Chromium: what a visitor sees, types, clicks and tabs through.

The clock is 2026-11-22 in New York (see conftest.py): 68 signatories, no instrument
deposited, threshold 40, 39 days until the signature deadline of 2026-12-31.
"""

import re
from datetime import date

import pytest
from django.db.models import Q

from signatories.models import SIGNATURE_VALUES, Action, Participant

pytestmark = pytest.mark.integration

TREATY = "/treaties/hanoi-convention/"
PHONE = {"width": 390, "height": 844}


def stat(scope, key: str) -> str:
    """The text of the first ``data-stat`` element named ``key`` inside ``scope``."""
    element = scope.locator(f'[data-stat="{key}"]').first
    assert element.count() == 1, f"no data-stat={key!r} on {getattr(scope, 'url', 'the page')}"
    return element.inner_text().strip()


def number(scope, key: str) -> int:
    text = stat(scope, key)
    assert re.fullmatch(r"\d+", text), f"data-stat={key!r} reads {text!r}, not a number"
    return int(text)


def participants_with_actions(treaty, as_of: date, **filters):
    """The participants that signed or deposited an instrument by ``as_of``, from the database."""
    ids = Action.objects.filter(treaty=treaty, date__lte=as_of).values("participant")
    return Participant.objects.filter(id__in=ids, **filters)


def table_iso3(page) -> list[str]:
    """The ISO codes of the participants table's rows (the EU has none, so it is left out)."""
    codes = page.locator("table#participants tbody tr[data-iso3]").evaluate_all(
        "rows => rows.map(row => row.dataset.iso3)"
    )
    return sorted(code for code in codes if code)


def assert_no_script_errors(page):
    assert page.js_errors == [], f"the page's scripts failed: {page.js_errors}"


def test_the_home_page_shows_the_numbers_of_each_treaty(page, site, snap):
    assert page.goto("/").ok
    card = page.locator('section.treaty-card[data-treaty="hanoi-convention"]')
    assert card.count() == 1, "no treaty card for the Hanoi Convention on the home page"
    assert card.is_visible()

    assert number(card, "instruments_counted") == 0
    assert number(card, "threshold") == 40
    assert number(card, "signatories") == 68
    assert number(card, "remaining") == 40
    assert number(card, "days_until_signature_closes") == 39
    assert stat(card, "entry_into_force_on"), "the entry into force says nothing"

    progress = card.locator("progress")
    assert progress.count() >= 1 and progress.first.is_visible()
    assert progress.first.evaluate("p => [p.value, p.max]") == [0, 40]

    snap("home")
    link = card.locator(f'a[href$="{TREATY}"]').first
    assert link.is_visible(), "the card does not link to the treaty page"
    link.click()
    page.wait_for_url(f"**{TREATY}")
    assert number(page, "signatories") == 68
    assert_no_script_errors(page)


def test_filtering_the_table_by_group_and_by_a_search_word_narrows_the_rows(page, site, snap):
    treaty, today = site.treaty, date(2026, 11, 22)
    assert page.goto(TREATY).ok
    everyone = table_iso3(page)
    assert everyone == sorted(p.iso_alpha3 for p in participants_with_actions(treaty, today) if p.iso_alpha3)
    assert len(everyone) >= 60

    form = page.locator("form#participant-filters")
    form.locator('select[name="group"]').select_option("eastern_european")
    form.locator('button[type="submit"], input[type="submit"], button:not([type])').first.click()
    page.wait_for_url(re.compile(r"[?&]group=eastern_european"))
    snap("by-group")
    eastern = table_iso3(page)
    expected = participants_with_actions(treaty, today, un_regional_group="eastern_european")
    assert eastern == sorted(p.iso_alpha3 for p in expected)
    assert {"CZE", "BLR", "SVK", "SVN", "POL"} <= set(eastern)
    assert len(eastern) < len(everyone)
    names = page.locator("table#participants tbody").inner_text()
    for name in ("Czech Republic", "Belarus", "Slovakia", "Slovenia", "Poland"):
        assert name in names

    form = page.locator("form#participant-filters")
    form.locator('select[name="group"]').select_option("eastern_european")
    form.locator('input[name="q"]').fill("slov")
    form.locator('button[type="submit"], input[type="submit"], button:not([type])').first.click()
    page.wait_for_url(re.compile(r"[?&]q=slov"))
    word = table_iso3(page)
    expected = expected.filter(Q(name__icontains="slov") | Q(aliases__name__icontains="slov")).distinct()
    assert word == sorted(p.iso_alpha3 for p in expected) == ["SVK", "SVN"]
    assert_no_script_errors(page)


def test_as_of_shows_the_numbers_of_an_earlier_day(page, site, snap):
    treaty = site.treaty
    assert page.goto(TREATY).ok
    assert number(page, "signatories") == 68
    snap("today")

    form = page.locator("form#time-travel")
    form.locator('input[type="date"][name="as_of"]').fill("2025-10-25")
    form.locator('button[type="submit"], input[type="submit"], button:not([type])').first.click()
    page.wait_for_url(re.compile(r"[?&]as_of=2025-10-25"))

    signed_first_day = (
        Action.objects.filter(treaty=treaty, kind__in=SIGNATURE_VALUES, date__lte=date(2025, 10, 25))
        .values("participant")
        .distinct()
        .count()
    )
    assert 0 < signed_first_day < 68
    assert number(page, "signatories") == signed_first_day
    assert number(page, "instruments_counted") == 0
    assert number(page, "days_until_signature_closes") == (date(2026, 12, 31) - date(2025, 10, 25)).days
    assert_no_script_errors(page)


def test_the_treaty_page_at_phone_width_has_no_horizontal_scroll(page, site):
    page.set_viewport_size(PHONE)
    assert page.goto(TREATY).ok
    sizes = page.evaluate(
        """() => ({
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: window.innerWidth,
            // What sticks out, leaving aside what scrolls inside its own box (a wide table's wrapper).
            wider: [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .filter(e => {
                    for (let up = e.parentElement; up && up !== document.body; up = up.parentElement) {
                        if (getComputedStyle(up).overflowX !== 'visible') return false;
                    }
                    return true;
                })
                .slice(0, 5)
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                    + (e.getAttribute('class') ? '.' + e.getAttribute('class') : '')
                    + ' "' + (e.textContent || '').trim().slice(0, 50) + '"'),
        })"""
    )
    assert sizes["innerWidth"] == PHONE["width"]
    assert sizes["scrollWidth"] <= sizes["innerWidth"], (
        f"the page is {sizes['scrollWidth']}px wide on a {sizes['innerWidth']}px phone; wider: {sizes['wider']}"
    )
    assert number(page, "signatories") == 68
    assert page.locator("svg.world-map").is_visible()
    assert_no_script_errors(page)
