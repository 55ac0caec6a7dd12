"""Admin of what the depositary sync brought: every read of a page (failures first to the
eye), the end notes, and, for the participants, the statements and table rows.

All of it is written by the import only and read-only here: a correction of the
depositary's record is made at the depositary, and the next sync brings it. Staff record
what the depositary does not hold (press reports, domestic steps) on the actions and
steps instead. A superuser may run a sync at once from the treaty list.
"""

from django.contrib import admin, messages
from django.utils.html import format_html

from signatories.models import DepositaryEntry, Statement
from tracker.admin_columns import AdminStyles, TreatyColumnWhenMany
from tracker.models import EndNote
from tracker.sync.models import DepositarySync
from tracker.sync.tasks import sync_depositary


class ReadOnlyAdmin(TreatyColumnWhenMany, AdminStyles, admin.ModelAdmin):
    """Shown, never edited by hand. (The treaty column as every list shows it: tracker.admin_columns.)"""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FailedFilter(admin.SimpleListFilter):
    title = "result"
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return [("yes", "Failed"), ("no", "Read")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(outcome__in=DepositarySync.FAILURES)
        if self.value() == "no":
            return queryset.exclude(outcome__in=DepositarySync.FAILURES)
        return queryset


@admin.register(DepositarySync)
class DepositarySyncAdmin(ReadOnlyAdmin):
    """Every read of a depositary page, with what it changed or why it wrote nothing."""

    list_display = ["started_at", "treaty", "result", "as_at", "created", "updated", "short_error"]
    list_filter = [FailedFilter, "outcome", "treaty"]
    list_select_related = ["treaty"]
    date_hierarchy = "started_at"
    search_fields = ["error", "changes", "source"]
    fields = ["treaty", "source", "started_at", "finished_at", "outcome", "as_at", "http_status", "etag",
              "last_modified", "created", "updated", "unchanged", "error", "changes"]

    @admin.display(description="outcome", ordering="outcome")
    def result(self, sync):
        label = sync.get_outcome_display()
        return format_html('<strong style="color:#b00020">{}</strong>', label) if sync.failed else label

    @admin.display(description="error")
    def short_error(self, sync):
        return (sync.error.splitlines() or [""])[0][:120]


@admin.register(EndNote)
class EndNoteAdmin(ReadOnlyAdmin):
    list_display = ["treaty", "number", "excerpt", "as_at"]
    list_filter = ["treaty"]
    list_select_related = ["treaty"]
    search_fields = ["text"]

    @admin.display(description="text")
    def excerpt(self, note):
        return note.text[:160]


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ["participant", "treaty", "section", "excerpt", "as_at"]
    list_filter = ["treaty", "section"]
    list_select_related = ["treaty", "participant"]
    search_fields = ["participant__name", "text"]

    @admin.display(description="text")
    def excerpt(self, statement):
        return statement.text[:160]


@admin.register(DepositaryEntry)
class DepositaryEntryAdmin(ReadOnlyAdmin):
    list_display = ["participant", "treaty", "footnotes", "extra_columns", "as_at"]
    list_filter = ["treaty"]
    list_select_related = ["treaty", "participant"]
    search_fields = ["participant__name"]


@admin.action(description="Sync the selected treaties from the depositary now", permissions=["sync"])
def sync_now(modeladmin, request, queryset):
    """Queue the sync of the selected treaties that have a depositary address."""
    slugs = list(queryset.exclude(depositary_url="").values_list("slug", flat=True))
    if not slugs:
        modeladmin.message_user(request, "None of these treaties has a depositary URL.", messages.WARNING)
        return
    try:
        sync_depositary.apply_async(args=[slugs], retry_policy={"max_retries": 1, "interval_start": 0.2})
    except Exception:  # the broker is down: say so rather than answer 500
        modeladmin.message_user(request, "The task queue is not reachable; the daily sync will run.", messages.ERROR)
        return
    modeladmin.message_user(request, f"Sync queued for {', '.join(slugs)}; see Depositary syncs for the outcome.")
