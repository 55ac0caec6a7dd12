"""Admin of the alerts: subscriptions, alerts (sent or suppressed) and every delivery's outcome.

None of these is tracked data (no page, download or API response shows them, so no data
version changes with them). Subscriptions are edited here through the subscriptions'
services, like the subscription pages; alerts and deliveries are written by the checks and
workers only, and are read-only here.
"""

from django.contrib import admin

from tracker.alerts import subscriptions
from tracker.alerts.models import Alert, Delivery, DeliveryAttempt, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "treaty", "participant", "confirmed_at", "unsubscribed_at", "created_at"]
    list_filter = ["treaty", ("confirmed_at", admin.EmptyFieldListFilter), ("unsubscribed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["treaty", "participant"]
    # A participant's followers can be found by its name: a participant is deleted only once
    # they are gone (Subscription.participant is PROTECT; its delete page names them).
    search_fields = ["email", "participant__name"]
    autocomplete_fields = ["participant"]

    def save_model(self, request, obj, form, change):
        subscriptions.save_subscription(obj)

    def delete_model(self, request, obj):
        subscriptions.delete_subscriptions([obj])

    def delete_queryset(self, request, queryset):
        subscriptions.delete_subscriptions(queryset)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["key", "treaty", "kind", "state", "created_at", "fanned_out_at"]
    list_filter = ["treaty", "kind", "state"]
    list_select_related = ["treaty"]
    search_fields = ["key"]
    readonly_fields = ["treaty", "key", "kind", "participant", "action", "facts", "state", "created_at", "fanned_out_at"]

    def has_add_permission(self, request):
        return False  # alerts come from the checks, never by hand


class DeliveryAttemptInline(admin.TabularInline):
    """Every failed attempt, with the SMTP server's answer, kept after a later success."""

    model = DeliveryAttempt
    fields = ["number", "at", "error", "retry_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Every attempt's outcome; failed deliveries show the SMTP error."""

    list_display = ["alert", "subscription", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "alert__treaty", "alert__kind"]
    list_select_related = ["alert", "subscription"]
    search_fields = ["subscription__email", "alert__key", "error"]
    readonly_fields = ["alert", "subscription", "status", "attempts", "not_before", "lease_until", "sent_at", "error"]
    inlines = [DeliveryAttemptInline]

    def has_add_permission(self, request):
        return False
