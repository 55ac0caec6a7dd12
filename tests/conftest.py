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


def pytest_configure(config):
    """Under pytest-xdist (`make test` runs two processes), give each process a Redis
    database of its own: the caches are emptied between tests, and the Celery workers a
    test starts must take only its own tasks. (PostgreSQL is already one test database
    per process, test_test_gw0 and so on.)"""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not settings.REDIS_URL:
        return
    base, _, number = settings.REDIS_URL.rpartition("/")
    url = f"{base}/{int(number or 0) - int(worker[2:])}"
    settings.REDIS_URL = settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = url
    settings.CACHES["default"]["LOCATION"] = url
    from django.core.cache import caches

    caches.__dict__.pop("settings", None)  # read CACHES again if anything read it already
    from config.celery import app

    app.conf.broker_url = app.conf.result_backend = url


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


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Hash the test users' passwords with MD5: the production hasher (PBKDF2, a million
    rounds) takes a third of a second for each user a test creates, and no test is about
    the strength of a hash. Logging in still checks the password."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def _flush_with_delete():
    """Empty the tables after a transactional test with DELETE rather than TRUNCATE.

    Django's flush truncates every table: on PostgreSQL that makes new files for each of
    some sixty tables and their indexes, and its commit waits for them to reach the disk
    (0.3 to 0.5 s a test). A DELETE of the few rows a test leaves takes milliseconds. The
    foreign keys are deferred to the end of the flush's transaction, so the order of the
    tables does not matter. A flush that resets sequences keeps TRUNCATE.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        delete = style.SQL_KEYWORD("DELETE FROM")
        return ["SET CONSTRAINTS ALL DEFERRED;", *(f"{delete} {self.quote_name(table)};" for table in tables)]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = truncate


@pytest.fixture(autouse=True)
def _clean_cache():
    from tests.helpers import clear_caches

    clear_caches()
    yield
    clear_caches()


# Noon in New York on TODAY: the instant the clock is pinned to.
NOON = datetime(2026, 11, 22, 12, 0, tzinfo=NEW_YORK)


@pytest.fixture
def pinned_today():
    """Pin the clock to noon in New York on TODAY."""
    with time_machine.travel(NOON, tick=False):
        yield TODAY


@pytest.fixture(scope="session")
def seed_snapshot(django_db_setup, django_db_blocker):
    """The tables as `seed()` leaves an empty database at NOON, taken once per session
    (see tests.helpers.TableSnapshot); None on SQLite, where ``seeded`` seeds each time."""
    from django.db import connection

    from tests.helpers import TableSnapshot
    from tracker.services import seed

    if connection.vendor != "postgresql":
        return None
    with django_db_blocker.unblock(), time_machine.travel(NOON, tick=False):
        return TableSnapshot.take(seed)


def load_seed(snapshot) -> None:
    """Bring the (empty) database to the state `manage.py seed` leaves it in: the rows
    seed() wrote once this session, loaded again, and a new data version as seed() gives
    (the restore writes around the services, so it says what they would have said)."""
    from tracker.services import seed
    from tracker.writes import data_changed

    if snapshot is None:
        seed()
        return
    snapshot.restore()
    data_changed()


@pytest.fixture
def seeded(db, pinned_today, seed_snapshot):
    """The database after `manage.py seed`."""
    from tests.helpers import ensure_roles
    from tracker.models import Treaty

    ensure_roles()
    load_seed(seed_snapshot)
    return Treaty.objects.get(slug="hanoi-convention")


@pytest.fixture
def make_treaty(db):
    """Create a treaty with the Hanoi Convention's rule, overriding any field (through
    the service, as every writer does)."""
    from tracker.models import Treaty
    from tracker.services import save_valid

    def make(**fields):
        values = {
            "slug": "test-treaty",
            "short_title": "Test Treaty",
            "title": "A treaty for the tests",
            "adopted_on": date(2024, 12, 24),
            "signature_opens_on": date(2025, 10, 25),
            "signature_closes_on": date(2026, 12, 31),
            "threshold": 40,
            "entry_into_force_delay": "90d",
            "later_joiner_delay": "30d",
        } | fields
        return save_valid(Treaty(**values), "test")

    return make


@pytest.fixture
def make_participant(db):
    from signatories.models import Participant
    from tracker.services import save_valid

    def make(name: str, **fields):
        slug = fields.pop("slug", name.lower().replace(" ", "-"))
        return save_valid(Participant(name=name, slug=slug, **fields), "test")

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


@pytest.fixture
def eager_tasks():
    """Run queued Celery tasks at once, in this process (emails go to mail.outbox)."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
