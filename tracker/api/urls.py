"""The API under /api/v1/, its OpenAPI schema and its interactive docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from tracker.api import views

router = DefaultRouter()
router.register("treaties", views.TreatyViewSet)
router.register("participants", views.ParticipantViewSet)
router.register("actions", views.ActionViewSet)
router.register("domestic-steps", views.DomesticStepViewSet)
router.register("sources", views.SourceViewSet)
router.register("reported-figures", views.ReportedFigureViewSet)

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
