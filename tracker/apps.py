from django.apps import AppConfig


class TrackerConfig(AppConfig):
    """Treaties, their status and (later) the pages and alerts built on it.

    No signal receivers: every write goes through the services, which say what changed
    themselves (tracker.writes.data_changed).
    """

    name = "tracker"

    def ready(self) -> None:
        from tracker.api import throttling  # noqa: F401  (registers the check of the API's rates)
