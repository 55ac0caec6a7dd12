"""URLs of the tracker."""

from django.contrib import admin
from django.urls import include, path

from tracker import catalogue, downloads, embeds, feeds, views

urlpatterns = [
    path("", views.home, name="home"),
    path("treaties/<slug:slug>/", views.treaty_page, name="treaty"),
    path("treaties/<slug:slug>/participants.csv", downloads.participants_csv, name="participants-csv"),
    path("treaties/<slug:slug>/participants.json", downloads.participants_json, name="participants-json"),
    path("treaties/<slug:slug>/feed.atom", feeds.ActionsFeed(), name="actions-feed"),
    path("treaties/<slug:slug>/calendar.ics", feeds.key_dates_calendar, name="key-dates-calendar"),
    # For other sites: an image of the treaty's progress, and its headline to frame.
    path("treaties/<slug:slug>/badge.svg", embeds.badge, name="treaty-badge"),
    path("treaties/<slug:slug>/embed/", embeds.embed, name="treaty-embed"),
    path("participants/<str:key>/", views.participant_page, name="participant"),
    path("downloads/", catalogue.downloads, name="downloads"),
    path("sources/", catalogue.sources, name="sources"),
    path("favicon.ico", catalogue.favicon, name="favicon"),
    path("healthz/", views.healthz, name="healthz"),
    path("api/", include("tracker.api.urls")),
    path("alerts/", include("tracker.alerts.urls")),
    path("admin/", admin.site.urls),
]

# Under /api/, an unknown address is a JSON 404 like every other error of the API.
handler404 = "tracker.api.errors.not_found"
