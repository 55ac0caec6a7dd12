"""Admin of the alerts: subscriptions, alerts (sent or suppressed) and every delivery's outcome.

None of these is tracked data (no page, download or API response shows them, so no data
version changes with them). Subscriptions are edited here through the subscriptions'
services, like the subscription pages; alerts and deliveries are written by the checks and
workers only, and are read-only here.
"""

from django.contrib import admin
from django.utils import formats
from django.utils.text import Truncator

from tracker.admin_columns import AdminStyles, OneTreatyPreselected, TreatyColumnWhenMany
from tracker.alerts import subscriptions
from tracker.alerts.models import Alert, Delivery, DeliveryAttempt, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(OneTreatyPreselected, TreatyColumnWhenMany, AdminStyles, admin.ModelAdmin):
    # One column says where the subscription stands (two dates side by side did not fit a
    # 1280-pixel screen); the filters find the unconfirmed and the unsubscribed.
    list_display = ["email", "treaty", "participant", "standing", "created_at"]
    list_filter = ["treaty", ("confirmed_at", admin.EmptyFieldListFilter), ("unsubscribed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["treaty", "participant"]
    # A participant's followers can be found by its name: a participant is deleted only once
    # they are gone (Subscription.participant is PROTECT; its delete page names them).
    search_fields = ["email", "participant__name"]
    autocomplete_fields = ["participant"]

    @admin.display(description="status", ordering="confirmed_at")
    def standing(self, subscription):
        if subscription.unsubscribed_at:
            return f"unsubscribed on {formats.date_format(subscription.unsubscribed_at)}"
        if subscription.confirmed_at:
            return f"confirmed on {formats.date_format(subscription.confirmed_at)}"
        return "not confirmed yet"

    def save_model(self, request, obj, form, change):
        subscriptions.save_subscription(obj)

    def delete_model(self, request, obj):
        subscriptions.delete_subscriptions([obj])

    def delete_queryset(self, request, queryset):
        subscriptions.delete_subscriptions(queryset)


@admin.register(Alert)
class AlertAdmin(TreatyColumnWhenMany, AdminStyles, admin.ModelAdmin):
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
class DeliveryAdmin(AdminStyles, admin.ModelAdmin):
    """Every attempt's outcome; failed deliveries show the SMTP error (its first line in the
    list, all of it on the delivery's page)."""

    list_display = ["alert_key", "email", "status", "attempts", "sent_at", "short_error"]
    list_filter = ["status", "alert__treaty", "alert__kind"]
    list_select_related = ["alert", "subscription"]
    search_fields = ["subscription__email", "alert__key", "error"]
    readonly_fields = ["alert", "subscription", "status", "attempts", "not_before", "lease_until", "sent_at", "error"]
    inlines = [DeliveryAttemptInline]

    def has_add_permission(self, request):
        return False

    @admin.display(description="alert", ordering="alert__key")
    def alert_key(self, delivery):
        return delivery.alert.key

    @admin.display(description="email", ordering="subscription__email")
    def email(self, delivery):
        return delivery.subscription.email

    @admin.display(description="error")
    def short_error(self, delivery):
        return Truncator((delivery.error.splitlines() or [""])[0]).chars(80)
