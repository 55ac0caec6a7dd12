"""Shared fixtures. The suite runs against the real PostgreSQL and Redis (see the Makefile)."""

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

NEW_YORK = ZoneInfo("America/New_York")
# The day the suite pretends it is: 39 days before the Hanoi Convention's signature deadline.
TODAY = date(2026, 11, 22)


def pytest_sessionstart(session):
    """Refuse to run, rather than skip, when the services the suite needs are not configured."""
    if os.environ.get("TRACKER_TESTS_ALLOW_SQLITE") == "1":
        return
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.exit(
            f"The tests run against PostgreSQL, but DATABASE_URL gives {engine}. "
            "Run `make test`, or set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test.",
            returncode=1,
        )
    if not settings.REDIS_URL:
        pytest.exit("The tests need Redis: run `make test`, or set REDIS_URL=redis://127.0.0.1:6379/15.", returncode=1)


@pytest.fixture(autouse=True)
def _clean_cache():
    from tests.helpers import clear_caches

    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def pinned_today():
    """Pin the clock to noon in New York on TODAY."""
    with time_machine.travel(datetime(2026, 11, 22, 12, 0, tzinfo=NEW_YORK), tick=False):
        yield TODAY


@pytest.fixture
def seeded(db, pinned_today):
    """The database after `manage.py seed`."""
    from tests.helpers import ensure_roles
    from tracker.services import seed

    ensure_roles()
    seed()
    from tracker.models import Treaty

    return Treaty.objects.get(slug="hanoi-convention")


@pytest.fixture
def make_treaty(db):
    """Create a treaty with the Hanoi Convention's rule, overriding any field."""
    from tracker.models import Treaty

    def make(**fields):
        values = {
            "slug": "test-treaty",
            "short_title": "Test Treaty",
            "title": "A treaty for the tests",
            "adopted_on": date(2024, 12, 24),
            "signature_opens_on": date(2025, 10, 25),
            "signature_closes_on": date(2026, 12, 31),
            "threshold": 40,
            "entry_into_force_delay_days": 90,
            "later_joiner_delay_days": 30,
        } | fields
        treaty = Treaty(**values)
        treaty.full_clean()
        treaty.save()
        return treaty

    return make


@pytest.fixture
def make_participant(db):
    from signatories.models import Participant

    def make(name: str, **fields):
        slug = fields.pop("slug", name.lower().replace(" ", "-"))
        return Participant.objects.create(name=name, slug=slug, **fields)

    return make


@pytest.fixture
def staff_member(client, django_user_model):
    """Log ``client`` in as a new staff user of a role ("editor" or "viewer"); returns the user."""
    from django.contrib.auth.models import Group

    from tests.helpers import ensure_roles

    ensure_roles()

    def make(role: str):
        user = django_user_model.objects.create_user(username=role, password="not-used", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return user

    return make


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Serve static files without collectstatic's manifest, which pages would need."""
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
