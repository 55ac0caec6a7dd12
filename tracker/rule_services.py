"""Setting a treaty's rule of entry into force: the one write the `set_rule` command and
the admin share (both validate with ``Treaty.clean``, so they give the same errors)."""

import difflib
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from tracker.models import Treaty
from tracker.services import save_valid


def rule_values(
    *,
    threshold: int,
    delay: str,
    later_delay: str = "",
    later_after_entry_into_force: bool = False,
    not_before: date | None = None,
    subject_to: str = "",
    requires: str = "",
    reio_additional: bool | None = None,
    withdrawal_delay: str | None = None,
    out_of_scope: str | None = None,
) -> dict:
    """The fields of a whole rule, from the command's options: what is not given is cleared,
    except the REIO counting, the withdrawal delay and the out-of-scope note (None: kept)."""
    values = {
        "threshold": threshold,
        "entry_into_force_delay": delay.strip(),
        "later_joiner_delay": later_delay.strip(),
        "later_after_entry_into_force": later_after_entry_into_force,
        "not_before": not_before,
        "subject_to": find_convention(subject_to) if subject_to else None,
        "required_participants": ",".join(find_codes(requires)),
    }
    optional = {"reio_counts_as_additional": reio_additional, "withdrawal_delay": withdrawal_delay,
                "rule_out_of_scope": out_of_scope}
    values.update({name: value for name, value in optional.items() if value is not None})
    return values


def find_convention(slug: str) -> Treaty:
    found = Treaty.objects.filter(slug=slug).first()
    if found is None:
        nearest = difflib.get_close_matches(slug, list(Treaty.objects.values_list("slug", flat=True)), n=3)
        hint = f" Did you mean {', '.join(repr(n) for n in nearest)}?" if nearest else ""
        raise ValidationError({"subject_to": f"No treaty with slug {slug!r}.{hint}"})
    return found


def find_codes(requires: str) -> list[str]:
    """The ISO alpha-3 codes of ``requires``, upper-cased, once each, in order (``Treaty.clean``
    checks that each is a participant's, for the command as for the admin)."""
    return list(dict.fromkeys(code.strip().upper() for code in requires.split(",") if code.strip()))


@transaction.atomic
def set_rule(slug: str, values: dict, *, user=None, reason: str = "") -> tuple[Treaty, bool]:
    """Give the treaty ``slug`` the rule ``values`` (see ``rule_values``); a treaty not
    imported yet is created with its slug for a title, and the import fills it in.

    Returns the treaty and whether it was created. Raises ValidationError, writing nothing.
    """
    treaty = Treaty.objects.select_for_update().filter(slug=slug).first()
    created = treaty is None
    if created:
        treaty = Treaty(slug=slug, short_title=slug, title=slug)
    for name, value in values.items():
        setattr(treaty, name, value)
    save_valid(treaty, reason=reason or "set_rule command", user=user)
    return treaty, created
