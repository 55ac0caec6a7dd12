"""Ways in and out: the header and footer of every public page, the pages every end page
leads to, the downloads and sources pages, and the favicon."""

import re
from html import unescape

import pytest
from django.urls import reverse

from signatories.models import Participant
from tracker.alerts import subscriptions
from tracker.alerts.emails import confirm_token, unsubscribe_token
from tracker.alerts.models import Subscription
from tracker.models import Source, Treaty

pytestmark = pytest.mark.django_db


def links(html: str, inside: str | None = None) -> set[str]:
    """The hrefs of the page, or of its first ``<inside …>…</inside>`` element."""
    if inside:
        html = html[html.index(f"<{inside}") : html.index(f"</{inside}>")]
    return {unescape(href) for href in re.findall(r'href="([^"]+)"', html)}


def site_links() -> set[str]:
    return {reverse(name) for name in ("home", "alerts:subscribe", "api-docs", "downloads", "sources")}


def public_pages(treaty: Treaty) -> list[str]:
    return [
        "/",
        f"/treaties/{treaty.slug}/",
        "/participants/aze/",
        "/participants/european-union/",
        "/alerts/subscribe/",
        "/downloads/",
        "/sources/",
    ]


def test_every_public_page_leads_to_the_treaties_alerts_api_downloads_and_sources(client, seeded):
    for path in public_pages(seeded):
        html = client.get(path).content.decode()
        assert site_links() <= links(html, "header"), path
        assert site_links() <= links(html, "footer"), path


def test_the_header_marks_the_page_it_is_on(client, seeded):
    html = client.get("/downloads/").content.decode()
    assert re.search(r'href="/downloads/" aria-current="page"', html)
    assert 'href="/sources/" aria-current' not in html


def test_every_page_names_the_favicon_and_favicon_ico_is_answered(client, seeded):
    assert 'rel="icon" href="/static/tracker/favicon.svg"' in client.get("/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/tracker/favicon.svg"
    from django.contrib.staticfiles import finders

    assert "<svg" in open(finders.find("tracker/favicon.svg"), encoding="utf-8").read()


def subscription_for(treaty: Treaty, email="reader@example.org", participant=None) -> Subscription:
    pk = subscriptions.subscribe(email, treaty, participant)
    return Subscription.objects.get(pk=pk)


def test_the_confirmed_page_leads_to_the_treaty_the_participant_and_every_treaty(client, seeded):
    azerbaijan = Participant.objects.get(iso_alpha3="AZE")
    subscription = subscription_for(seeded, participant=azerbaijan)
    html = client.post(f"/alerts/confirm/{confirm_token(subscription)}/").content.decode()
    assert "<h1>Confirmed</h1>" in html
    main = links(html, "main")
    assert {f"/treaties/{seeded.slug}/", "/participants/aze/", "/"} <= main


def test_the_unsubscribed_page_leads_to_the_treaty_and_to_subscribing_again(client, seeded):
    subscription = subscription_for(seeded)
    html = client.post(f"/alerts/unsubscribe/{unsubscribe_token(subscription)}/").content.decode()
    assert "<h1>Unsubscribed</h1>" in html
    assert {f"/treaties/{seeded.slug}/", "/alerts/subscribe/", "/"} <= links(html, "main")


def test_an_invalid_link_and_check_your_inbox_lead_back_to_the_treaties(client, seeded):
    invalid = client.get("/alerts/confirm/not-a-token/")
    assert invalid.status_code == 404
    assert {"/alerts/subscribe/", "/"} <= links(invalid.content.decode(), "main")
    inbox = client.post("/alerts/subscribe/", {"email": "reader@example.org", "treaty": seeded.slug})
    assert "Check your inbox" in inbox.content.decode()
    assert {"/alerts/subscribe/", "/"} <= links(inbox.content.decode(), "main")


def test_the_lockout_page_leads_to_the_public_pages(client, seeded, settings):
    from django.template.loader import render_to_string

    html = render_to_string("tracker/lockout.html", {"failure_limit": 5, "username": "editor"})
    assert {"/", "/downloads/", reverse("api-docs")} <= links(html[html.index("<h1>Login locked") :])


def test_the_downloads_page_lists_every_treaty_s_files_and_the_api_s_csv(client, seeded, make_treaty):
    make_treaty(slug="second-treaty", short_title="Second Treaty")
    html = client.get("/downloads/").content.decode()
    found = links(html, "main")
    for slug in Treaty.objects.values_list("slug", flat=True):
        for name in ("participants-csv", "participants-json", "actions-feed", "key-dates-calendar"):
            assert reverse(name, args=[slug]) in found, (slug, name)
    assert reverse("treaty-list") + "?format=csv" in found
    assert reverse("action-list") + "?format=csv" in found
    for link in sorted(found):
        if link.startswith("/treaties/second-treaty/") or link.endswith("?format=csv"):
            assert client.get(link).status_code == 200, link


def test_the_downloads_page_reads_the_treaties_in_one_query(
    client, seeded, make_treaty, django_assert_num_queries
):
    for number in range(5):
        make_treaty(slug=f"treaty-{number}", short_title=f"Treaty {number}")
    with django_assert_num_queries(2):  # the data version, and the treaties
        assert client.get("/downloads/").status_code == 200


def cited_facts(source: Source) -> int:
    """The facts a source backs, counted relation by relation (the page counts them in one query)."""
    return (
        source.actions.count()
        + source.domestic_steps.count()
        + source.citations.count()
        + source.reported_figures.count()
    )


def test_the_sources_page_names_each_source_by_title_and_counts_the_facts_it_backs(client, seeded):
    html = client.get("/sources/").content.decode()
    table = html[html.index("<tbody>") : html.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    assert len(rows) == Source.objects.count()
    most_cited = max(Source.objects.all(), key=cited_facts)
    first = rows[0]
    assert re.search(r'data-stat="facts_cited">(\d+)<', first).group(1) == str(cited_facts(most_cited))
    for source in Source.objects.exclude(seed_article=""):
        assert source.seed_article not in html  # a title, never the file's name
    for source in Source.objects.exclude(url=""):
        assert f">{source.url}<" not in html  # the link's text is short: its title or publisher
    titled = Source.objects.exclude(title="").first()
    assert f">{titled.title}<" in html
    untitled = re.search(r'<a href="https://www.trend.az/azerbaijan/politics/4151684.html">([^<]+)</a>', html)
    assert untitled.group(1) == "trend.az/azerbaijan/politics/4151684.html"  # no scheme, no "www."


def test_the_sources_page_is_one_query_however_many_sources(client, seeded, django_assert_num_queries):
    for number in range(20):
        Source.objects.create(url=f"https://example.org/report-{number}", title=f"Report {number}")
    with django_assert_num_queries(2):  # the data version, and the sources with their counts
        html = client.get("/sources/").content.decode()
    assert "Report 19" in html


@pytest.mark.parametrize("path", ["/no-such-page/", "/treaties/atlantis/", "/participants/atlantis/"])
def test_a_page_not_found_leads_on_like_every_page(client, seeded, path):
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert site_links() <= links(html, "header")
    assert "/" in links(html, "main")
