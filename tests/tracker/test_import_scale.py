"""The large-file import's shortcuts keep the import's guarantees: the model's checks without
a model instance per row, the audit history written in SQL, suggestions only where shown."""

import itertools
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from signatories.models import Action, Participant
from tracker import imports, writes
from tracker.imports import ActionChecker, ImportRejected, PlannedAction, import_status

pytestmark = pytest.mark.django_db
HEADER = "participant,signature_date,action,action_date,cn_reference,source_url,confidence,note\n"


def names(count: int) -> list[str]:
    """Seeded participants with no action yet, so that each row creates its actions."""
    free = Participant.objects.filter(actions__isnull=True).order_by("name").values_list("name", flat=True)
    chosen = [name for name in free if "," not in name][:count]
    assert len(chosen) == count
    return chosen


def full_clean_messages(treaty, values: dict) -> list[str]:
    """What the model's full_clean says of an action, as the import called it before."""
    action = Action(treaty=treaty, **{k: v for k, v in values.items() if k not in ("id", "participant_id", "treaty_id")})
    try:
        action.full_clean(exclude=["treaty", "participant"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return sorted(error.messages)
    return []


def test_the_imports_checks_find_what_the_models_full_clean_finds(seeded):
    checker, today = ActionChecker(seeded), seeded.local_date()
    days = [seeded.adopted_on - timedelta(days=1), seeded.adopted_on, today, today + timedelta(days=1)]
    if seeded.signature_closes_on:
        days.append(seeded.signature_closes_on + timedelta(days=1))
    grid = itertools.product(
        ["signature", "ratification", "definitive_signature", "nonsense"], days,
        ["C.N.1.2026.TREATIES-XVIII.16", "CN 1"], [None, today + timedelta(days=2)], ["exact", "roughly"],
    )  # fmt: skip
    for kind, day, cn_reference, notified_on, precision in grid:
        values = {
            **imports.NEW_DEFAULTS, "kind": kind, "date": day, "cn_reference": cn_reference,
            "withdrawal_notified_on": notified_on, "date_precision": precision,
        }  # fmt: skip
        found = checker.problems(PlannedAction(values))
        assert sorted(found) == full_clean_messages(seeded, values), (kind, day, cn_reference, notified_on, precision)


def test_only_the_first_shown_problems_name_the_nearest_participants(seeded, monkeypatch):
    monkeypatch.setattr(imports, "SHOWN_PROBLEMS", 3)
    text = HEADER + "".join(f"Austriaa{'a' * n},2025-10-25,,,,,,\n" for n in range(5))
    with pytest.raises(ImportRejected) as rejected:
        import_status(seeded, "typos.csv", text)
    problems = rejected.value.problems
    assert rejected.value.count == len(problems) == 5
    assert all("Did you mean 'Austria'" in problem for problem in problems[:3])
    assert all(problem.endswith("Unknown participant " + repr(f"Austriaa{'a' * n}") + ".")
               for n, problem in zip(range(3, 5), problems[3:], strict=True))


def tracked(record) -> dict:
    return {name: getattr(record, name) for name in imports.TRACKED}


def test_every_created_and_changed_action_has_one_history_record_of_its_values(seeded, admin_user):
    rows = names(6)
    first = HEADER + "".join(f"{name},2025-10-25,ratification,2026-02-01,,https://example.org/s,,\n" for name in rows)
    before = Action.history.count()
    summary = import_status(seeded, "first.csv", first, user=admin_user, reason="checked")
    assert Action.history.count() == before + summary.created
    changed = first.replace("2026-02-01", "2026-02-02")
    summary = import_status(seeded, "second.csv", changed, user=admin_user)
    assert Action.history.count() == before + 2 * len(rows) + summary.updated
    for action in Action.objects.filter(participant__name__in=rows):
        history = list(action.history.order_by("history_id"))
        assert tracked(history[-1]) == tracked(action)  # the last record is the action as it is
        assert {record.history_user for record in history} == {admin_user}
        assert history[0].history_type == "+" and history[0].history_change_reason == "import of first.csv: checked"
        if action.kind == "ratification":
            assert [r.history_type for r in history] == ["+", "~"] and history[0].date == date(2026, 2, 1)
        assert [s.url for s in action.sources.all()] == (["https://example.org/s"] if action.kind == "ratification" else [])


def test_an_import_bumps_the_data_version_and_queues_one_alert_check(seeded, monkeypatch, django_capture_on_commit_callbacks):
    bumps = []
    monkeypatch.setattr(writes.dataversion, "bump", lambda: bumps.append(1))
    text = HEADER + "".join(f"{name},2025-10-25,ratification,2026-02-01,,,,\n" for name in names(4))
    with django_capture_on_commit_callbacks() as callbacks:
        import_status(seeded, "four.csv", text)
    assert len(bumps) == 1
    assert [callback for callback in callbacks if callback is writes.enqueue_check] == [writes.enqueue_check]


def test_a_failing_write_leaves_nothing_behind(seeded, monkeypatch):
    text = HEADER + "".join(f"{name},2025-10-25,ratification,2026-02-01,,https://example.org/new,,\n" for name in names(3))
    before = (Action.objects.count(), Action.history.count())

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(imports, "link_sources", fail)  # after the actions and their history are written
    with pytest.raises(RuntimeError):
        import_status(seeded, "three.csv", text)
    assert (Action.objects.count(), Action.history.count()) == before


def test_the_number_of_queries_of_a_large_import_is_bounded(seeded, django_assert_max_num_queries):
    rows = names(40)
    text = HEADER + "".join(f"{name},2025-10-25,ratification,2026-02-01,,https://example.org/s,,\n" for name in rows)
    with django_assert_max_num_queries(20):  # COPY streams go around Django's count: two more
        import_status(seeded, "forty.csv", text)
