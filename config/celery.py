"""The Celery app of the tracker.

Workers and beat start with ``celery -A config worker`` and ``celery -A config beat``.
Configuration comes from the Django settings under the ``CELERY_`` prefix, so the broker
and result backend follow the same environment variables as everything else.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
