"""Every public page in Chromium at 1280 and 390 pixels: no sideways scrolling on a phone,
no serious or critical accessibility fault found by axe-core, a way on from each page,
and a screenshot of each at both widths (test-artifacts/screenshots/every-page-*.png).

axe-core comes from npm (package.json; `make test` installs it into node_modules). It is
evaluated in the page through the DevTools protocol, which the pages' Content Security
Policy does not block, so the pages are checked as they are served.
"""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS

pytestmark = pytest.mark.integration

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def subscription_tokens():
    """A subscription of the seed's treaty, and the tokens of its links, as in its emails."""
    from tracker.alerts import emails
    from tracker.alerts.models import Subscription
    from tracker.models import Treaty

    subscription = Subscription.objects.create(
        email="reader@example.org", treaty=Treaty.objects.get(slug="hanoi-convention")
    )
    return emails.confirm_token(subscription), emails.unsubscribe_token(subscription)


def addresses() -> dict[str, str]:
    """The public pages by name. Pages that need a subscription get one."""
    confirm, unsubscribe = subscription_tokens()
    return {
        "home": reverse("home"),
        "treaty": reverse("treaty", args=["hanoi-convention"]),
        "treaty-projection": reverse("treaty", args=["hanoi-convention"]) + "?as_of=2027-06-30",
        "treaty-filtered": reverse("treaty", args=["hanoi-convention"]) + "?group=WEOG&ordering=-signature",
        "participant": reverse("participant", args=["vnm"]),
        "participant-eu": reverse("participant", args=["european-union"]),
        "subscribe": reverse("alerts:subscribe"),
        "confirm": reverse("alerts:confirm", args=[confirm]),
        "manage": reverse("alerts:manage", args=[unsubscribe]),
        "unsubscribe": reverse("alerts:unsubscribe", args=[unsubscribe]),
        "invalid-link": reverse("alerts:confirm", args=["not-a-token"]),
        "downloads": reverse("downloads"),
        "sources": reverse("sources"),
        "embed": reverse("treaty-embed", args=["hanoi-convention"]),
        "api-docs": reverse("api-docs"),
        "not-found": "/no-such-page/",
    }


NOT_FOUND = {"invalid-link", "not-found"}
PAGES = [
    "home",
    "treaty",
    "treaty-projection",
    "treaty-filtered",
    "participant",
    "participant-eu",
    "subscribe",
    "confirm",
    "manage",
    "unsubscribe",
    "invalid-link",
    "downloads",
    "sources",
    "api-docs",
    "not-found",
]
# A page made to be framed by other sites: its headline alone, no header or footer.
FRAMED = ["embed"]


def axe_faults(page) -> list[str]:
    """The serious and critical violations axe-core finds on the page, one line each."""
    assert AXE.is_file(), f"{AXE} is missing: `make test` installs it (npm ci)"
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))")
    faults = []
    for violation in json.loads(result)["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
            faults.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return faults


def sideways_overflow(page) -> dict:
    """How much wider than the window the page is, and the widest elements sticking out."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > width + 1)
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
            return {scroll: document.documentElement.scrollWidth, width, wide};
        }"""
    )


@pytest.mark.parametrize("name", PAGES + FRAMED)
def test_every_public_page_fits_a_phone_and_has_no_serious_accessibility_fault(browser, site, request, name):
    url = addresses()[name]
    faults = {}
    for label, viewport in (("1280", DESKTOP), ("390", PHONE)):
        context = browser.new_context(viewport=viewport, base_url=site.url)
        try:
            page = context.new_page()
            response = page.goto(url)
            expected = 404 if name in NOT_FOUND else 200
            assert response.status == expected, f"{url} answered {response.status}"
            page.wait_for_load_state("load")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"every-page-{name}-{label}.png"), full_page=True)
            if viewport is PHONE:
                overflow = sideways_overflow(page)
                assert overflow["scroll"] <= overflow["width"], (
                    f"{url} scrolls sideways at 390 px: {overflow['scroll']} px wide, "
                    f"sticking out: {overflow['wide']}"
                )
            faults[label] = axe_faults(page)
        finally:
            context.close()
    assert faults == {"1280": [], "390": []}, f"axe-core on {url}: {faults}"


@pytest.mark.parametrize("name", PAGES)
def test_every_public_page_leads_to_the_treaties_alerts_api_downloads_and_sources(page, site, name):
    page.goto(addresses()[name])
    hrefs = page.locator("header a, footer a, nav a").evaluate_all("links => links.map(a => a.pathname)")
    wanted = {
        "the treaties": reverse("home"),
        "alerts": reverse("alerts:subscribe"),
        "the API docs": reverse("api-docs"),
        "downloads": reverse("downloads"),
        "the data's sources": reverse("sources"),
    }
    missing = [what for what, path in wanted.items() if path not in hrefs]
    assert not missing, f"{page.url} has no header or footer link to {missing}; it has {sorted(set(hrefs))}"
