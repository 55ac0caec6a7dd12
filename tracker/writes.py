"""The one write path's primitives: what every write says after it changed the data, and
the validated save that the services build on.

The services (tracker.services, signatories.services, tracker.imports, tracker.sync) call
``data_changed`` inside the write's transaction. It gives the data a new version in that
same transaction (tracker.dataversion), so every cached page and status is recomputed once
it commits, and, when actions changed, queues one alert check after the commit, so
subscribers hear of a deposit at once rather than at the next beat. No signal does this: a
write that bypasses the services is a bug, not a hidden effect.

``save_valid`` is the write of one row: validated with every invariant, with its audit
reason and user, and ``data_changed`` said, all in one transaction. It lives here, below
both apps' services, so that each can use it without importing the other;
``tracker.services`` offers it to the writers above (the admin, the API, the commands).
"""

import logging
from collections.abc import Iterable, Mapping

from django.db import transaction

from tracker import dataversion, safe_cache

logger = logging.getLogger(__name__)

# Commits within this many seconds share one check: it runs after them all.
CHECK_DELAY = 2

# The models whose writes can change what the alerts see: an action, and a treaty (its
# rule fixes the threshold and the dates computed from the actions). By label, so this
# module imports no model.
ACTION_MODELS = frozenset({"signatories.Action", "tracker.Treaty"})


def data_changed(*, actions: bool = False) -> None:
    """Record that the data changed in the current transaction; ``actions``: a signature,
    an instrument or a withdrawal changed (or a treaty's rule did), so the alerts must be
    checked after the commit."""
    dataversion.bump()
    if actions:
        transaction.on_commit(enqueue_check)


def enqueue_check() -> None:
    """Queue one alert check for a burst of commits (a seed or an import saves many rows)."""
    # Imported when a check is queued: the task sits above the write path (it reads the
    # statuses through the alerts' selectors), which is the one edge from here upward.
    from tracker.alerts.tasks import check_alerts

    if safe_cache.add("tracker:alert-check-queued", 1, timeout=CHECK_DELAY) is False:
        return  # a check queued by an earlier commit runs after this one
    try:
        # Fail fast: a request must not hang on a broker that is down.
        check_alerts.apply_async(countdown=CHECK_DELAY, retry_policy={"max_retries": 1, "interval_start": 0.2})
    except Exception:  # the broker is down: the periodic check (config.schedule) catches up
        logger.exception("could not queue the alert check; the periodic check will run it")


def changes_actions(instance) -> bool:
    """Whether writing ``instance`` can change what the alerts see (see ACTION_MODELS)."""
    return instance._meta.label in ACTION_MODELS


def audit(instance, reason: str = "", user=None) -> None:
    """Give the history record the next save or delete of ``instance`` writes its reason and
    user (without a user, simple-history takes the current request's)."""
    instance._change_reason = reason
    if user is not None:
        instance._history_user = user


@transaction.atomic
def save_valid(
    instance,
    reason: str = "",
    *,
    user=None,
    actions: bool | None = None,
    relations: Mapping[str, Iterable] | None = None,
):
    """Validate a model instance with every invariant (``full_clean``: raises Django's
    ValidationError and writes nothing), save it with ``reason`` and ``user`` in its audit
    history, set its many-to-many ``relations`` (``{"sources": [...]}``) and say
    ``data_changed``, all in one transaction. ``actions`` (default: the instance is an
    action or a treaty) queues the alert check after the commit. Returns the instance."""
    instance.full_clean()
    audit(instance, reason, user)
    instance.save()
    for name, values in (relations or {}).items():
        getattr(instance, name).set(values)
    data_changed(actions=changes_actions(instance) if actions is None else actions)
    return instance
