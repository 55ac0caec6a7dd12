"""The README's backups restore: a dump taken while the tracker runs, restored into a
fresh database, gives the same statuses and the same audit history.

PostgreSQL: ``pg_dump -Fc`` of the test database, ``pg_restore`` into a database created
for the test (``backup_restore_<random>``, dropped after it). SQLite: the online backup
API (``sqlite3.Connection.backup``, what the sqlite3 shell's ``.backup`` does) and
``VACUUM INTO``, of a database in WAL mode with a connection open on it. The PostgreSQL
client programs are required: the test fails without them, it never skips.
"""

import io
import json
import secrets
import shutil
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from signatories.models import Action, Participant
from signatories.services import record_action
from tests.helpers import MANAGE, child_env
from tracker.models import Treaty
from tracker.services import delete_valid, save_valid

AS_OF = ["2026-03-01", "2026-11-22", "2027-06-30"]
LAST_ROWS = 5


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: the backup test needs PostgreSQL's client programs (apt-get install postgresql-client)")
    return path


def historical_tables() -> list[str]:
    return sorted(model._meta.db_table for model in apps.get_models() if model.__name__.startswith("Historical"))


def history_of(cursor, tables: list[str]) -> dict[str, tuple]:
    """Each historical table's row count and its last rows, as the database gives them."""
    found = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        count = cursor.fetchone()[0]
        cursor.execute(
            f'SELECT history_id, history_type, history_change_reason, history_date, history_user_id, id '
            f'FROM "{table}" ORDER BY history_id DESC LIMIT {LAST_ROWS}'
        )
        found[table] = (count, [tuple(str(value) for value in row) for row in cursor.fetchall()])
    return found


def statuses_here() -> dict[tuple[str, str], dict]:
    found = {}
    for slug in Treaty.objects.values_list("slug", flat=True):
        for day in AS_OF:
            out = io.StringIO()
            call_command("treaty_status", slug, "--as-of", day, "--json", stdout=out)
            found[slug, day] = json.loads(out.getvalue())
    return found


def statuses_in(database_url: str, slugs) -> dict[tuple[str, str], dict]:
    """``manage.py treaty_status SLUG --as-of DAY --json`` run against another database."""
    found = {}
    for slug in slugs:
        for day in AS_OF:
            result = subprocess.run(
                [*MANAGE, "treaty_status", slug, "--as-of", day, "--json"],
                env=child_env(DATABASE_URL=database_url), capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            found[slug, day] = json.loads(result.stdout)
    return found


def a_few_writes(treaty: Treaty) -> None:
    """Made-up writes through the services, each with its reason in the audit history: two
    deposits, a correction and a deletion."""
    austria, bahamas = Participant.objects.get(name="Austria"), Participant.objects.get(name="Bahamas")
    record_action(treaty=treaty, participant=austria, kind="ratification", date=date(2026, 2, 1), note="=1+1",
                  reason="backup test: deposit")  # fmt: skip
    accession = record_action(treaty=treaty, participant=bahamas, kind="accession", date=date(2026, 4, 1),
                              reason="backup test: deposit")  # fmt: skip
    accession.date = date(2026, 4, 2)
    save_valid(accession, "backup test: corrected")
    delete_valid(Action.objects.get(participant=austria, kind="ratification"), "backup test: deleted")
    record_action(treaty=treaty, participant=austria, kind="ratification", date=date(2026, 2, 3),
                  reason="backup test: deposited again")  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_restored_into_a_fresh_database_gives_the_same_statuses_and_history(seeded, tmp_path):
    pg_dump, pg_restore, createdb, dropdb = (tool(name) for name in ("pg_dump", "pg_restore", "createdb", "dropdb"))
    a_few_writes(seeded)
    db = connection.settings_dict
    server = ["--host", db["HOST"] or "127.0.0.1", "--port", str(db["PORT"] or 5432), "--username", db["USER"]]
    env = child_env() | ({"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {})
    dump = tmp_path / "tracker.dump"
    subprocess.run([pg_dump, *server, "-Fc", "--file", str(dump), db["NAME"]], env=env, check=True, timeout=300)
    fresh = f"backup_restore_{secrets.token_hex(4)}"
    subprocess.run([createdb, *server, fresh], env=env, check=True, timeout=60)
    try:
        subprocess.run([pg_restore, *server, "--no-owner", "--dbname", fresh, str(dump)], env=env, check=True,
                       timeout=300)  # fmt: skip
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        restored_url = f"postgres://{db['USER']}{password}@{server[1]}:{server[3]}/{fresh}"
        slugs = list(Treaty.objects.values_list("slug", flat=True))
        assert statuses_in(restored_url, slugs) == statuses_here()
        import psycopg

        tables = historical_tables()
        with connection.cursor() as cursor:
            expected = history_of(cursor, tables)
        with psycopg.connect(restored_url.replace("postgres://", "postgresql://")) as restored:
            assert history_of(restored.cursor(), tables) == expected
        assert expected["signatories_historicalaction"][0] > 0
        reasons = [row[2] for row in expected["signatories_historicalaction"][1]]
        assert "backup test: deposited again" in reasons and "backup test: deleted" in reasons
    finally:
        subprocess.run([dropdb, *server, "--if-exists", "--force", fresh], env=env, check=False, timeout=60)


def sqlite_manage(database: Path, *args: str) -> str:
    result = subprocess.run(
        [*MANAGE, *args], env=child_env(DATABASE_URL=f"sqlite:///{database}"), capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_sqlite_backup_taken_while_the_database_is_open_gives_the_same_statuses_and_history(tmp_path):
    live = tmp_path / "tracker.sqlite3"
    sqlite_manage(live, "migrate", "--no-input")
    sqlite_manage(live, "seed")
    table = tmp_path / "deposits.csv"
    table.write_text(
        "participant,signature_date,action,action_date,note\n"
        "Austria,,ratification,2026-02-01,=1+1\nBahamas,,accession,2026-04-01,\n"
    )  # made up for the test
    sqlite_manage(live, "import_status", "hanoi-convention", str(table), "--reason", "backup test")
    running = sqlite3.connect(live)  # the app, still running: a connection holds the file open
    assert running.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    running.execute("BEGIN")
    running.execute("SELECT count(*) FROM signatories_action").fetchone()  # a read in progress
    try:
        online = tmp_path / "online-backup.sqlite3"
        with sqlite3.connect(online) as target:
            sqlite3.connect(live).backup(target)
        vacuumed = tmp_path / "vacuum-into.sqlite3"
        sqlite3.connect(live).execute("VACUUM INTO ?", (str(vacuumed),))
    finally:
        running.rollback()
        running.close()
    tables = historical_tables()
    with sqlite3.connect(live) as source:
        expected = history_of(source.cursor(), tables)
        slugs = [row[0] for row in source.execute("SELECT slug FROM tracker_treaty ORDER BY slug")]
    expected_statuses = {
        (slug, day): json.loads(sqlite_manage(live, "treaty_status", slug, "--as-of", day, "--json"))
        for slug in slugs for day in AS_OF
    }  # fmt: skip
    assert expected_statuses["hanoi-convention", "2026-11-22"]["instruments_deposited"] == 2
    for copy in (online, vacuumed):
        with sqlite3.connect(copy) as restored:
            assert restored.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert history_of(restored.cursor(), tables) == expected
        statuses = {
            (slug, day): json.loads(sqlite_manage(copy, "treaty_status", slug, "--as-of", day, "--json"))
            for slug in slugs for day in AS_OF
        }  # fmt: skip
        assert statuses == expected_statuses
    assert expected["signatories_historicalaction"][0] > 0
    assert any("import of deposits.csv: backup test" == row[2] for row in expected["signatories_historicalaction"][1])
