"""Under the Content-Security-Policy (config/settings.py), in a real Chromium: the pages,
the admin and the API reference report no violation, and still work (map, chart, filters,
login, the reference's stylesheet)."""

import re

import pytest

pytestmark = pytest.mark.integration

TREATY = "/treaties/hanoi-convention/"
# Runs in every document before its own scripts: keeps each violation the browser reports.
LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
    + ` at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched(page):
    """The page, listening for CSP violations (the event, and Chromium's console message)."""
    page.add_init_script(LISTEN)
    page.csp_console = []
    page.on(
        "console",
        lambda message: page.csp_console.append(message.text)
        if "Content Security Policy" in message.text or "Refused to" in message.text
        else None,
    )
    return page


def assert_no_violation(page):
    page.wait_for_timeout(200)  # a violation event is dispatched asynchronously
    violations = page.evaluate("() => window.__violations || []")
    assert violations == [], f"CSP violations on {page.url}: {violations}"
    assert page.csp_console == [], f"CSP messages on {page.url}: {page.csp_console}"
    assert page.js_errors == [], f"script errors on {page.url}: {page.js_errors}"


def test_the_public_pages_work_under_the_policy_with_no_violation(watched, site):
    page = watched
    response = page.goto("/")
    assert response.ok and "default-src 'self'" in response.headers["content-security-policy"]
    assert page.locator("section.treaty-card").count() >= 1
    assert_no_violation(page)

    assert page.goto(TREATY).ok
    world = page.locator("svg.world-map")
    assert world.is_visible()
    # The map's inline <style> applies (allowed by its hash): a signed country has its fill.
    fill = page.locator('svg.world-map path[data-iso3="FRA"]').first.evaluate("p => getComputedStyle(p).fill")
    assert fill not in ("", "none", "rgb(0, 0, 0)"), f"the map's style did not apply (fill {fill})"
    page.locator('svg.world-map path[data-iso3="BRA"]').first.hover()  # map.js runs
    page.wait_for_function("() => document.querySelector('#map-caption').textContent.includes('Brazil')")
    assert page.locator("svg.timeline-chart").is_visible()
    form = page.locator("form#participant-filters")
    form.locator('select[name="group"]').select_option("eastern_european")
    form.locator('button[type="submit"], input[type="submit"], button:not([type])').first.click()
    page.wait_for_url(re.compile(r"[?&]group=eastern_european"))
    assert page.locator('table#participants tbody tr[data-iso3="POL"]').count() == 1
    assert_no_violation(page)

    assert page.goto("/participants/fra/").ok
    assert "France" in page.locator("h1").first.inner_text()
    assert_no_violation(page)


def test_the_admin_logs_in_and_edits_a_treaty_under_the_policy_with_no_violation(watched, site, django_user_model):
    page = watched
    django_user_model.objects.create_superuser(username="root", password="a-long-test-password-1")
    assert page.goto("/admin/login/").ok
    assert_no_violation(page)
    page.fill("#id_username", "root")
    page.fill("#id_password", "a-long-test-password-1")
    page.locator('input[type="submit"]').click()
    page.wait_for_url("**/admin/")
    assert page.locator("#site-name").is_visible()
    assert_no_violation(page)

    assert page.goto(f"/admin/tracker/treaty/{site.treaty.pk}/change/").ok
    assert page.locator("form#treaty_form, #content-main form").first.is_visible()
    assert page.locator('input[name="short_title"]').input_value()
    assert_no_violation(page)

    assert page.goto("/admin/signatories/action/add/").ok  # select boxes, date widgets: admin scripts
    assert page.locator("#content-main form").first.is_visible()
    assert_no_violation(page)


def test_the_api_reference_renders_under_the_policy_with_no_violation(watched, site):
    page = watched
    response = page.goto("/api/docs/")
    assert response.ok and "nonce-" not in response.headers["content-security-policy"]
    assert page.locator("article.api-operation").count() > 10  # drawn on the server from the schema
    page.locator('.api-contents a[href="#op-treaties_status_retrieve"]').click()
    page.wait_for_url("**/api/docs/#op-treaties_status_retrieve")
    operation = page.locator('article[aria-labelledby="op-treaties_status_retrieve"]')
    operation.locator("summary").click()  # the browser's own disclosure: no script
    example = operation.locator(".api-example pre")
    assert example.is_visible() and "/api/v1/treaties/hanoi-convention/status/" in example.inner_text()
    # Its own stylesheet applies (a static file the policy allows): the examples are dark.
    background = example.evaluate("pre => getComputedStyle(pre).backgroundColor")
    assert background == "rgb(31, 38, 48)", f"api_docs.css did not apply (background {background})"
    assert_no_violation(page)
