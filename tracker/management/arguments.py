"""Argument parsing shared by the tracker's commands."""

from datetime import date

from django.core.management.base import CommandError

from tracker.models import Treaty


def iso_date(value: str, option: str = "--as-of") -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not a date of the form YYYY-MM-DD") from None


def get_treaty(slug: str) -> Treaty:
    """The treaty with ``slug``, or a one-line error naming the known ones."""
    treaty = Treaty.objects.filter(slug=slug).first()
    if treaty is None:
        known = ", ".join(Treaty.objects.values_list("slug", flat=True)) or "none yet; run `manage.py seed`"
        raise CommandError(f"no treaty with slug {slug!r} (known: {known})")
    return treaty
