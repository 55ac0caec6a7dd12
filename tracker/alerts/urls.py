"""The subscription pages, under /alerts/."""

from django.urls import path

from tracker.alerts import views

app_name = "alerts"
urlpatterns = [
    path("subscribe/", views.subscribe_view, name="subscribe"),
    path("confirm/<str:token>/", views.confirm_view, name="confirm"),
    path("manage/<str:token>/", views.manage_view, name="manage"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
]
