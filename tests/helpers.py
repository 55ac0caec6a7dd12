"""Helpers for tests that start the project's own processes (manage.py, a Celery worker)."""

import os
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

MANAGE = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]


def test_database_url() -> str:
    """The URL of the database pytest-django created, for a child process to use."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process that shares the test database and Redis."""
    return os.environ | {"DATABASE_URL": test_database_url(), "REDIS_URL": settings.REDIS_URL} | extra


def clear_caches() -> None:
    """Empty the shared cache and this process's copies of pages and API responses, and
    the throttle's leases."""
    from django.core.cache import cache

    from tracker import pagecache
    from tracker.api import caching, throttling

    cache.clear()
    pagecache.forget_version()
    pagecache.pages.clear()
    caching.responses.clear()
    throttling.leases.clear()


def ensure_roles() -> None:
    """Create the editor and viewer groups as their migration does.

    A transactional test empties every table when it ends, groups included; the tests
    after it that need the roles make them again here.
    """
    import importlib

    from django.apps import apps

    roles = importlib.import_module("tracker.migrations.0003_roles")
    roles.create_roles(apps, None)
