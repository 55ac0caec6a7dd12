from django.apps import AppConfig


class TrackerConfig(AppConfig):
    """Treaties, their status and (later) the pages and alerts built on it."""

    name = "tracker"

    def ready(self) -> None:
        from tracker import signals
        from tracker.api import throttling  # noqa: F401  (registers the check of the API's rates)

        signals.connect()
