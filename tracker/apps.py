from django.apps import AppConfig


class TrackerConfig(AppConfig):
    """Treaties, their status and (later) the pages and alerts built on it."""

    name = "tracker"

    def ready(self) -> None:
        from tracker import signals

        signals.connect()
