from django.apps import AppConfig


class SignatoriesConfig(AppConfig):
    """Participants and what they did under each treaty."""

    name = "signatories"
