"""The API under /api/v1/, its OpenAPI schema and its reference page."""

from django.urls import include, path
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from tracker.api import docs, views

router = DefaultRouter()
router.register("treaties", views.TreatyViewSet)
router.register("participants", views.ParticipantViewSet)
router.register("actions", views.ActionViewSet)
router.register("domestic-steps", views.DomesticStepViewSet)
router.register("sources", views.SourceViewSet)
router.register("reported-figures", views.ReportedFigureViewSet)


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, JSON unless ``?format=yaml`` (or an Accept of YAML) asks otherwise."""

    renderer_classes = [OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer, OpenApiYamlRenderer2]


urlpatterns = [
    # What the depositary publishes under a treaty, read-only.
    path("v1/treaties/<slug:slug>/statements/", views.StatementViewSet.as_view({"get": "list"}), name="treaty-statements"),
    path("v1/treaties/<slug:slug>/end-notes/", views.EndNoteViewSet.as_view({"get": "list"}), name="treaty-end-notes"),
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", docs.api_docs, name="api-docs"),  # the schema as a page of the site
]
