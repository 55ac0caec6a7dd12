"""Public pages. Until the dashboard exists, the home page lists each treaty's status."""

from django.shortcuts import render

from tracker.models import Treaty
from tracker.selectors import cached_status_dict


def home(request):
    """Every tracked treaty with its status today."""
    treaties = [(treaty, cached_status_dict(treaty)) for treaty in Treaty.objects.all()]
    return render(request, "tracker/home.html", {"treaties": treaties})
