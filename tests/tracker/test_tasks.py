"""Tasks sent through a real Celery worker on the real Redis."""

import subprocess
import sys
import uuid
from datetime import date

import pytest
from django.conf import settings
from django.core.cache import cache

from config.celery import app
from tests.helpers import child_env
from tracker.models import Treaty
from tracker.dataversion import current_version
from tracker.selectors import status_dict, treaty_status
from tracker.services import seed
from tracker.tasks import refresh_statuses

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    """A Celery worker process on the test database and Redis, stopped after the test."""
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "the worker test runs on Redis"
    app.control.purge()
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"test-{uuid.uuid4().hex}@%h"],
            cwd=settings.BASE_DIR,
            env=child_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    yield process, log
    process.terminate()
    process.wait(timeout=30)


def test_refresh_statuses_runs_in_a_worker_and_caches_what_the_pages_read(worker):
    process, log = worker
    seed()  # the real clock: the seed's dates all lie in the past
    treaty = Treaty.objects.get(slug="hanoi-convention")

    result = refresh_statuses.delay()
    try:
        statuses = result.get(timeout=60)
    except Exception:
        pytest.fail(f"the worker did not answer; its log:\n{log.read_text()}")

    status = statuses["hanoi-convention"]
    as_of = date.fromisoformat(status["as_of"])
    assert status == status_dict(treaty, treaty_status(treaty, as_of))
    assert status["signatories"] == 68
    # The worker wrote the status into the shared cache, under the current data version.
    assert cache.get(f"tracker:status:hanoi-convention:{as_of}:{current_version()}") == status
    assert process.poll() is None, "the worker is still running"
