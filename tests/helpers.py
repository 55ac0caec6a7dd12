"""Helpers for tests that start the project's own processes (manage.py, a Celery worker),
and the snapshot of the seeded tables that the ``seeded`` fixture loads."""

import os
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

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
    """Empty the shared cache and this process's copies of pages and API responses, the
    throttle's leases, and Django's cache of content types (a content type created in a
    test's transaction, which is rolled back, would otherwise stay in it for the next)."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache

    from tracker import pagecache
    from tracker.api import caching, throttling

    cache.clear()
    pagecache.forget_version()
    pagecache.pages.clear()
    caching.responses.clear()
    throttling.leases.clear()
    ContentType.objects.clear_cache()


def ensure_roles() -> None:
    """Create the editor and viewer groups as their migration does.

    A transactional test empties every table when it ends, groups included; the tests
    after it that need the roles make them again here. When both groups are there with
    their permissions (as the migration left them), that costs one query, not a hundred.
    """
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    roles = importlib.import_module("tracker.migrations.0003_roles")
    granted = Group.objects.filter(name__in=roles.ROLES, permissions__isnull=False).values("name").distinct()
    if len(granted) == len(roles.ROLES):
        return
    roles.create_roles(apps, None)


class TableSnapshot:
    """The rows that a function writes into an empty test database, copied out once per
    session and copied back in for each test that needs them.

    ``take(write)`` runs ``write`` in a transaction it rolls back, after keeping, with
    PostgreSQL's COPY, every table that was empty before and has rows after (audit
    history, many-to-many links and the seed's ledger included). ``restore()`` loads them
    again with COPY, in a fifth of the time that writing them anew takes (most of it is
    PostgreSQL's own work on the indexes). The rows are the same, primary keys and
    timestamps included.
    """

    # Written by every write, but not data: a restore moves it on as a write would.
    SKIPPED = ("tracker_dataversion",)

    def __init__(self, tables: dict[str, bytes], resync_sequences: str):
        self.tables = tables
        self.resync_sequences = resync_sequences

    @classmethod
    def take(cls, write) -> "TableSnapshot":
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            names = [name for name in connection.introspection.table_names(cursor) if name not in cls.SKIPPED]
            empty = [name for name in names if not has_rows(cursor, name)]
            write()
            tables = {}
            for name in empty:
                if has_rows(cursor, name):
                    with cursor.copy(f"COPY {quote(name)} TO STDOUT") as copy:
                        tables[name] = b"".join(bytes(chunk) for chunk in copy)
            # The sequences of those tables' keys; a restore makes each of them stand past
            # the rows it loads (they only ever stand there already, unless reset).
            cursor.execute(
                "SELECT table_name, column_name, "
                "pg_get_serial_sequence(quote_ident(table_name), column_name) "
                "FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = ANY(%s) AND (is_identity = 'YES' OR column_default LIKE 'nextval%%')",
                [list(tables)],
            )
            resync = [
                f"setval('{sequence}', GREATEST((SELECT MAX({quote(column)}) FROM {quote(table)}), "
                f"(SELECT last_value FROM {sequence})))"
                for table, column, sequence in cursor.fetchall()
            ]
            transaction.set_rollback(True)
        return cls(tables, "SELECT " + ", ".join(resync) if resync else "")

    def restore(self) -> None:
        """Load the rows again (in one transaction: the foreign keys are checked at its end)."""
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            for name, rows in self.tables.items():
                with cursor.copy(f"COPY {quote(name)} FROM STDIN") as copy:
                    copy.write(rows)
            if self.resync_sequences:
                cursor.execute(self.resync_sequences)

    def counts(self) -> dict[str, int]:
        """The number of rows of each table."""
        return {name: rows.count(b"\n") for name, rows in self.tables.items()}


def has_rows(cursor, table: str) -> bool:
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)})")
    return cursor.fetchone()[0]
