"""Settings: embedded defaults that need no server, production settings from the environment."""

import json
import os
import subprocess

from tests.helpers import MANAGE

SHOW = """
from django.conf import settings as s
print(json.dumps({"db": s.DATABASES["default"]["ENGINE"], "db_name": str(s.DATABASES["default"]["NAME"]),
  "broker": s.CELERY_BROKER_URL, "results": s.CELERY_RESULT_BACKEND, "email": s.EMAIL_BACKEND,
  "cache": s.CACHES["default"]["BACKEND"], "debug": s.DEBUG,
  "conn_max_age": s.DATABASES["default"]["CONN_MAX_AGE"]}))
"""
SERVICE_VARIABLES = (
    "DATABASE_URL", "DATABASE_CONN_MAX_AGE", "REDIS_URL",
    "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "EMAIL_URL",
)  # fmt: skip


def settings_with(env: dict[str, str]) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES and not k.startswith("DJANGO_")}
    result = subprocess.run(
        [*MANAGE, "shell", "--no-imports", "-c", "import json\n" + SHOW],
        env=base | env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_need_no_server(tmp_path):
    found = settings_with({"TRACKER_VAR_DIR": str(tmp_path)})
    assert found["db"] == "django.db.backends.sqlite3"
    assert found["db_name"] == str(tmp_path / "tracker.sqlite3")
    assert found["broker"] == "filesystem://"
    assert found["results"] == f"file://{tmp_path}/celery/results"
    assert found["email"] == "django.core.mail.backends.filebased.EmailBackend"
    assert (tmp_path / "celery" / "queue").is_dir()
    assert found["debug"] is False


def test_database_connections_are_kept_a_minute_unless_told_otherwise(tmp_path):
    postgres = "postgres://tracker@db.example.org:5432/tracker"
    assert settings_with({"TRACKER_VAR_DIR": str(tmp_path), "DATABASE_URL": postgres})["conn_max_age"] == 60
    closed = {"TRACKER_VAR_DIR": str(tmp_path), "DATABASE_URL": postgres, "DATABASE_CONN_MAX_AGE": "0"}
    assert settings_with(closed)["conn_max_age"] == 0
    in_url = {"TRACKER_VAR_DIR": str(tmp_path), "DATABASE_URL": f"{postgres}?conn_max_age=600"}
    assert settings_with(in_url | {"DATABASE_CONN_MAX_AGE": "0"})["conn_max_age"] == 600


def test_production_services_come_from_the_environment(tmp_path):
    found = settings_with(
        {
            "TRACKER_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://tracker:secret@db.internal:5432/tracker",
            "REDIS_URL": "redis://cache.internal:6379/0",
            "EMAIL_URL": "smtp+tls://mailer:secret@smtp.internal:587",
        }
    )
    assert found["db"] == "django.db.backends.postgresql"
    assert found["broker"] == found["results"] == "redis://cache.internal:6379/0"
    assert found["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert found["email"] == "django.core.mail.backends.smtp.EmailBackend"


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [*MANAGE, "check", "--deploy", "--fail-level", "WARNING"],
        env=base | env, capture_output=True, text=True, timeout=60,
    )


PRODUCTION = {
    "DJANGO_SECRET_KEY": "k" * 20 + "-a-long-random-production-key-0123456789",
    "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
    "DJANGO_SECURE_HTTPS": "true",
}


def test_check_deploy_passes_with_production_settings():
    result = check_deploy(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_with_the_development_secret_key():
    result = check_deploy({k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"})
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr
