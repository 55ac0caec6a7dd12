"""Invalidate cached statuses whenever the data they are computed from changes."""

import time
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from tracker.selectors import DATA_VERSION_KEY

WATCHED = {
    "tracker": ("Treaty",),
    "signatories": ("Participant", "Action", "Membership"),
}


def bump_data_version(**kwargs) -> None:
    """Move the data version on once the write commits, so no reader caches stale data."""

    # A fresh random token, not a counter: an evicted counter could restart at a number
    # that older entries still use.
    transaction.on_commit(lambda: cache.set(DATA_VERSION_KEY, new_version(), timeout=None))


def new_version() -> str:
    """A random token with the time of the change, read back by selectors.data_changed_at."""
    return f"{uuid.uuid4().hex}:{time.time():.0f}"


def connect() -> None:
    from django.apps import apps

    for app_label, model_names in WATCHED.items():
        for model_name in model_names:
            model = apps.get_model(app_label, model_name)
            uid = f"tracker-data-version-{app_label}.{model_name}"
            post_save.connect(bump_data_version, sender=model, dispatch_uid=f"{uid}-save")
            post_delete.connect(bump_data_version, sender=model, dispatch_uid=f"{uid}-delete")
    m2m_changed.connect(bump_data_version, dispatch_uid="tracker-data-version-m2m")
