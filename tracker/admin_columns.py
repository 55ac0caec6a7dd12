"""What every list and form of the admin shares so that staff read it at a glance on a
1280-pixel screen: the treaty column only when there are several treaties (and then cut
short), the one treaty chosen already in forms, short source names, and the stylesheet.

A module of its own, below tracker.admin, so that the admins of the depositary sync (which
tracker.admin imports) can use it too.
"""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator

from tracker.models import Treaty


def only_treaty_id(request) -> int | None:
    """The id of the one treaty, when there is exactly one (read once per request)."""
    if not hasattr(request, "only_treaty_id"):
        ids = list(Treaty.objects.values_list("pk", flat=True)[:2])
        request.only_treaty_id = ids[0] if len(ids) == 1 else None
    return request.only_treaty_id


class OneTreatyPreselected:
    """Every form that asks for a treaty (an action, a step, a citation, a subscription, the
    rows of an inline) has it chosen already while the tracker follows a single treaty."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Treaty and "initial" not in kwargs:
            kwargs["initial"] = only_treaty_id(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TreatyColumnWhenMany:
    """Lists show their treaty column only when there is more than one treaty to tell apart
    (with one, it repeated the same title on every row and pushed the key columns aside),
    and then by its short title, cut short."""

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        if only_treaty_id(request) is not None:
            return [column for column in columns if column != "treaty"]
        return ["listed_treaty" if column == "treaty" else column for column in columns]

    @admin.display(description="treaty", ordering="treaty__short_title")
    def listed_treaty(self, obj):
        # A short title taken from a depositary page can run to 200 characters.
        treaty = obj.treaty
        return format_html('<span title="{}">{}</span>', treaty.title, Truncator(treaty.short_title).chars(32))


class AdminStyles:
    """The admin's own stylesheet on every page of the model (lists and forms)."""

    class Media:
        css = {"all": ["tracker/admin.css"]}


def short_source(source) -> str:
    """A source as a list names it: its publisher and title, else its address, cut short
    (the full name, with its URL, is on the source's own page)."""
    label = " — ".join(part for part in (source.publisher, source.title) if part)
    return Truncator(label or source.url or source.seed_article).chars(60)
