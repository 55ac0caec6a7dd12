"""The admin where staff record and correct the data, with an audit trail of every change.

Every admin here keeps its model's history (django-simple-history) and asks for an
optional reason with each change. Validation comes from the models' ``clean()``, so staff
read the same messages as the imports and the API give.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from signatories.models import Action
from tracker import imports, services
from tracker.models import RULE_FIELDS, Citation, DatePrecision, ReportedFigure, Source, Treaty
from tracker.selectors import status_dict, treaty_status

admin.site.site_header = "Treaty Ratification Tracker"
admin.site.site_title = "Treaty Tracker admin"

# The status numbers as the treaty's page shows them, in this order.
STATUS_LABELS = {
    "as_of": "As of",
    "signatories": "Signatories",
    "instruments_deposited": "Instruments deposited",
    "instruments_counted": "Instruments counted toward entry into force",
    "threshold": "Instruments needed",
    "remaining": "Still needed",
    "threshold_reached_on": "Threshold reached on",
    "entry_into_force_on": "Entry into force",
    "in_force": "In force",
    "parties": "Parties",
    "signature_closes_on": "Signature deadline",
    "days_until_signature_closes": "Days until the signature deadline",
    "days_until_entry_into_force": "Days until entry into force",
}
# The audit history keeps a reason of at most this many characters.
REASON_MAX_LENGTH = 100
# A status table has a row per participant, a few kilobytes; anything far bigger is a wrong file.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
IMPORT_PERMISSIONS = ("signatories.add_action", "signatories.change_action")


def reason_field() -> forms.CharField:
    return forms.CharField(
        label="Reason for this change",
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text="Optional. Kept in the history, e.g. “Corrected per C.N.123.2026.TREATIES-XVIII.16”.",
    )


class ReasonForm(forms.ModelForm):
    """A model form with an optional reason for the change, which the audit history keeps."""

    change_reason = reason_field()


def known_keys(model, object_id: str, version_id: str | None = None) -> None:
    """A 404 for a record or version key that is not even of the right type (simple-history
    would let the database's ValueError through as a 500)."""
    try:
        model._meta.pk.to_python(unquote(object_id))
        if version_id is not None:
            model.history.model._meta.pk.to_python(unquote(version_id))
    except ValidationError:
        raise Http404("No such record or version.") from None


class AuditedAdmin(SimpleHistoryAdmin):
    """An admin whose saves record who changed what and why in the model's history.

    The user comes from simple-history's request middleware; the reason from the form.
    """

    form = ReasonForm
    # Django 6 makes https the scheme of a URL typed without one; staff get it already.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        obj._change_reason = form.cleaned_data.get("change_reason", "")
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # Rows of an inline change, or are deleted, for the reason given on their parent.
        reason = form.cleaned_data.get("change_reason", "")
        for inline_form in formset.forms:
            inline_form.instance._change_reason = reason
        super().save_formset(request, form, formset, change)

    def history_view(self, request, object_id, extra_context=None):
        known_keys(self.model, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        known_keys(self.model, object_id, version_id)
        # simple-history saves a posted revert for anyone who may view the history;
        # a revert is a change, so it needs the change permission.
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            if not self.has_change_permission(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class CitationInline(admin.TabularInline):
    """The sources of each fact of the treaty (its threshold, its dates), with the quotes."""

    model = Citation
    extra = 0
    autocomplete_fields = ["source"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("treaty", "source")


class TreatyActionInline(admin.TabularInline):
    """Every participant's actions under the treaty, to read; each row links to the
    action's own page, where it is corrected with its sources and notes.

    Read-only on purpose: an editable row renders a participant widget that costs a
    query per row, and a treaty has up to two hundred rows.
    """

    model = Action
    extra = 0
    fields = ["participant", "kind", "date", "date_precision", "confidence", "cn_reference", "withdrawn_on"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("participant", "treaty")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatusTableForm(forms.Form):
    """The upload of a status table: a CSV file, read as UTF-8 (with or without a BOM)."""

    file = forms.FileField(label="Status table (CSV)")
    dry_run = forms.BooleanField(
        required=False,
        label="Dry run",
        help_text="Check the file and report what would change; write nothing.",
    )
    reason = reason_field()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB.")
        try:
            self.text = upload.read().decode("utf-8-sig")  # utf-8-sig drops the BOM spreadsheets write
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."
            ) from None
        return upload


@admin.register(Treaty)
class TreatyAdmin(AuditedAdmin):
    """Treaties: editors correct the description, only superusers set or change the rule.

    The change page shows the status the rules engine computes for today, every action
    under the treaty, and a link to upload a status table.
    """

    list_display = ["short_title", "depositary_reference", "adopted_on", "signature_closes_on", "threshold"]
    search_fields = ["short_title", "title", "slug", "depositary_reference"]
    prepopulated_fields = {"slug": ["short_title"]}
    description_fields = [
        "short_title", "slug", "title", "depositary_reference", "depositary_url",
        "adopted_on", "adoption_instrument", "signature_venues",
    ]  # fmt: skip

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": self.description_fields}),
            ("Rule of entry into force", {"fields": [*RULE_FIELDS, "entry_into_force_clause"]}),
            ("Alerts", {"fields": ["alert_milestones"]}),
        ]
        if obj is not None:
            fieldsets.insert(0, ("Status today", {"fields": ["computed_status"]}))
        return [*fieldsets, ("Audit", {"fields": ["change_reason"]})]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["computed_status"] if request.user.is_superuser else ["computed_status", *RULE_FIELDS]

    def get_inlines(self, request, obj):
        # An action is checked against its treaty's dates, so a treaty gets actions once it exists.
        return [CitationInline] if obj is None else [CitationInline, TreatyActionInline]

    def has_add_permission(self, request):
        # A new treaty comes with its rule, which only a superuser sets.
        return request.user.is_superuser and super().has_add_permission(request)

    def save_model(self, request, obj, form, change):
        # The form shows the rule read-only to others, but a revert from the history
        # page saves a whole old version: keep the rule as it stands.
        if change and not request.user.is_superuser:
            current = Treaty.objects.get(pk=obj.pk)
            for field in RULE_FIELDS:
                setattr(obj, field, getattr(current, field))
        super().save_model(request, obj, form, change)

    @admin.display(description="Computed status")
    def computed_status(self, treaty):
        status = status_dict(treaty, treaty_status(treaty))
        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td data-stat="{}">{}</td></tr>',
            ((label, key, status_cell(status, key)) for key, label in STATUS_LABELS.items()),
        )
        return format_html('<table class="treaty-status">{}</table>', rows)

    def get_urls(self):
        import_url = path(
            "<path:object_id>/import/",
            self.admin_site.admin_view(self.import_view),
            name="tracker_treaty_import",
        )
        return [import_url, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if request.user.has_perms(IMPORT_PERMISSIONS):
            extra_context["import_url"] = reverse("admin:tracker_treaty_import", args=[object_id])
        if request.user.has_perm("signatories.add_action"):
            add_action = reverse("admin:signatories_action_add")
            extra_context["add_action_url"] = f"{add_action}?treaty={unquote(object_id)}"
        return super().change_view(request, object_id, form_url, extra_context)

    def import_view(self, request, object_id):
        """Upload a status table into the treaty: all rows or none, with every bad row listed."""
        treaty = self.get_object(request, unquote(object_id))
        if treaty is None:
            raise Http404("No such treaty.")
        if not (
            self.has_view_or_change_permission(request, treaty) and request.user.has_perms(IMPORT_PERMISSIONS)
        ):
            raise PermissionDenied
        form = StatusTableForm(request.POST, request.FILES) if request.method == "POST" else StatusTableForm()
        problems = []
        if form.is_valid():
            try:
                summary = self.run_import(request, treaty, form)
            except imports.ImportRejected as rejected:
                problems = rejected.problems
            else:
                messages.success(request, f"{form.cleaned_data['file'].name}: {summary}")
                return redirect("admin:tracker_treaty_change", treaty.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import a status table into {treaty}",
            "opts": self.opts,
            "original": treaty,
            "form": form,
            "problems": problems,
        }
        return TemplateResponse(request, "admin/tracker/treaty/import_status.html", context)

    @staticmethod
    def run_import(request, treaty, form) -> imports.ImportSummary:
        # The request commits even when the page shows a rejection: a savepoint makes
        # sure that a rejected import leaves nothing behind whatever the service did.
        with transaction.atomic():
            # Looked up on the module at each call, so tests can stand in for the service.
            return imports.import_status(
                treaty,
                form.cleaned_data["file"].name,
                form.text,
                user=request.user,
                dry_run=form.cleaned_data["dry_run"],
                reason=form.cleaned_data["reason"],
            )


# The figures that derive from the date of entry into force, with the precision they take.
PRECISION_OF = {
    "threshold_reached_on": "threshold_reached_precision",
    "entry_into_force_on": "entry_into_force_precision",
    "in_force": "entry_into_force_precision",
    "days_until_entry_into_force": "entry_into_force_precision",
}
UPPER_BOUND_NOTE = "An instrument it follows from is dated only “on or before”: the real day may be earlier."


def status_cell(status: dict, key: str) -> str:
    """A status figure for people, saying so when it is only an upper bound (it derives
    from an instrument dated "on or before"), rather than passing it for exact."""
    value = readable(status[key])
    if status.get(PRECISION_OF.get(key, "")) != DatePrecision.ON_OR_BEFORE or status[key] is True:
        return value  # exact; or in force, which the latest possible date already says
    text = {
        # Not by the latest date yet, but it may have entered into force already.
        "in_force": f"not known yet: by {status['entry_into_force_on']} at the latest",
        "days_until_entry_into_force": f"at most {value}",
    }.get(key, f"on or before {value}")
    return format_html('<span class="upper-bound" title="{}">{}</span>', UPPER_BOUND_NOTE, text)


def readable(value) -> str:
    """A status value for people: yes/no for a flag, a dash for nothing."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def admin_link(admin_site, obj) -> str:
    """A record as Django's delete pages name it: “Action: <link to its admin page>”."""
    opts = obj._meta
    if not admin_site.is_registered(obj.__class__):
        return f"{capfirst(opts.verbose_name)}: {obj}"
    url = reverse(f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
    return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)


@admin.register(Source)
class SourceAdmin(AuditedAdmin):
    """Where facts come from: web pages and the articles shipped in fixtures/seeds."""

    list_display = ["__str__", "publisher", "published_on"]
    list_filter = ["published_on"]
    search_fields = ["url", "seed_article", "publisher", "title"]

    def get_deleted_objects(self, objs, request):
        # Django's confirmation page (and "delete selected") refuses whatever it lists as
        # protected; it knows only the citations and reported figures, so list every
        # record that cites the sources, as services.delete_sources would refuse them.
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        citing = [admin_link(self.admin_site, record) for record in services.citing_records(objs)]
        return to_delete, model_count, perms_needed, [*protected, *(c for c in citing if c not in protected)]

    def delete_model(self, request, obj):
        services.delete_source(obj, user=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ProtectedError as refused:
            # A record began citing the source after the page was shown; the view's
            # transaction undid everything, so show the page again with its refusal.
            return self.refused(request, refused, request.get_full_path())

    def response_action(self, request, queryset):
        try:
            with transaction.atomic():  # the deletion and its log entries, or neither
                return super().response_action(request, queryset)
        except ProtectedError as refused:
            return self.refused(request, refused, request.get_full_path())

    def refused(self, request, error: ProtectedError, url: str):
        records = services.citing_names(error.protected_objects)
        self.message_user(request, f"Nothing was deleted: still cited by {records}.", messages.ERROR)
        return redirect(url)

    def delete_queryset(self, request, queryset):
        services.delete_sources(queryset, user=request.user)


@admin.register(Citation)
class CitationAdmin(AuditedAdmin):
    """Which source states which fact of a treaty."""

    list_display = ["treaty", "fact", "source"]
    list_select_related = ["treaty", "source"]
    list_filter = ["treaty", "fact"]
    search_fields = ["quote", "source__title", "source__publisher", "source__url"]
    autocomplete_fields = ["source"]


@admin.register(ReportedFigure)
class ReportedFigureAdmin(AuditedAdmin):
    """Totals sources reported, kept to show beside the computed figures."""

    list_display = ["treaty", "reported_on", "figure", "qualifier", "value", "source"]
    list_select_related = ["treaty", "source"]
    list_filter = ["treaty", "figure", "qualifier", "reported_on"]
    search_fields = ["figure", "note", "source__title", "source__publisher"]
    autocomplete_fields = ["source"]
    date_hierarchy = "reported_on"


# The alerts' admin lives beside their models.
from tracker.alerts import admin as alerts_admin  # noqa: E402, F401
