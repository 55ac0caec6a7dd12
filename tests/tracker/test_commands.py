"""`manage.py treaty_status` and `manage.py seed`, run as a user runs them."""

import json
import subprocess

import pytest
from django.core.management import call_command

from tests.helpers import MANAGE, child_env
from tracker.selectors import STATUS_KEYS


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*MANAGE, *args], env=child_env(), capture_output=True, text=True, timeout=120)


@pytest.mark.django_db(transaction=True)
def test_treaty_status_json_prints_exactly_the_pinned_keys(seeded):
    result = run("treaty_status", "hanoi-convention", "--as-of", "2026-11-22", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == list(STATUS_KEYS)
    # The keys outside scripts pin come first, in this order; keys added since come after them.
    pinned = {
        "treaty": "hanoi-convention",
        "as_of": "2026-11-22",
        "threshold": 40,
        "signatories": 68,
        "instruments_deposited": 0,
        "instruments_counted": 0,
        "remaining": 40,
        "threshold_reached_on": None,
        "entry_into_force_on": None,
        "in_force": False,
        "parties": 0,
        "signature_closes_on": "2026-12-31",
        "days_until_signature_closes": 39,
        "days_until_entry_into_force": None,
        "threshold_reached_precision": None,
        "entry_into_force_precision": None,
    }
    assert list(data)[: len(pinned)] == list(pinned)
    assert data == pinned | {
        # No date stated by the depositary, none computed from the records yet.
        "entry_into_force_stated_on": None,
        "entry_into_force_computed_on": None,
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "args, message",
    [
        (["treaty_status", "no-such-treaty"], "no treaty with slug 'no-such-treaty' (known: hanoi-convention)"),
        (["treaty_status", "hanoi-convention", "--as-of", "22/11/2026"], "'22/11/2026' is not a date"),
        (["treaty_status", "hanoi-convention", "--as-of", "2026-02-30"], "'2026-02-30' is not a date"),
    ],
)
def test_treaty_status_reports_bad_input_in_one_line_without_traceback(seeded, args, message):
    result = run(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_treaty_status_defaults_to_today_in_new_york(seeded, capsys, time_machine):
    # 03:00 UTC on 24 November is still the 23rd in New York.
    time_machine.move_to("2026-11-24T03:00:00+00:00")
    call_command("treaty_status", "hanoi-convention", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["as_of"] == "2026-11-23"
    assert data["days_until_signature_closes"] == 38


def test_treaty_status_without_json_prints_a_readable_summary(seeded, capsys):
    call_command("treaty_status", "hanoi-convention", "--as-of", "2026-12-31")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Hanoi Convention (hanoi-convention) as of 2026-12-31"
    assert "  days until signature closes: 0" in out
    assert "  entry into force on: —" in out


@pytest.mark.django_db(transaction=True)
def test_seed_command_runs_twice_and_says_what_it_created(pinned_today):
    first, second = run("seed"), run("seed")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "hanoi-convention signatures: 68 created, 0 already there" in first.stdout
    assert "hanoi-convention signatures: 0 created, 68 already there" in second.stdout
