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
from tracker import imports, services, uploads
from tracker.admin_columns import AdminStyles, OneTreatyPreselected, TreatyColumnWhenMany, short_source
from tracker.models import RULE_FIELDS, Citation, DatePrecision, ReportedFigure, Source, Treaty
from tracker.selectors import status_dict, treaty_status
from tracker.sync import admin as sync_admin

admin.site.site_header = "Treaty Ratification Tracker"
admin.site.site_title = "Treaty Tracker admin"
# The sidebar of every model took a quarter of a 1280-pixel screen, which pushed the lists'
# key columns (an action's date) out of sight; the breadcrumbs and the home page lead on.
admin.site.enable_nav_sidebar = False

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


def many_to_many_values(form) -> dict:
    """The many-to-many values a model form would set when saved (an action's sources)."""
    names = [field.name for field in form._meta.model._meta.many_to_many]
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


def saved_already() -> None:
    """A form's ``save_m2m`` once the service set its many-to-many values, in its transaction."""


class AuditedAdmin(OneTreatyPreselected, TreatyColumnWhenMany, AdminStyles, SimpleHistoryAdmin):
    """An admin whose every write goes through the services (tracker.services.save_valid,
    delete_valid, delete_all): validated, kept in the model's history with who changed what
    and why, and followed by a new data version (and, for an action or a treaty, the alert
    check after the commit). The reason is the one typed in the form, else "admin".

    That covers the add and change forms, the inlines, the changelist's editable rows,
    "delete" and "delete selected", and a revert from the history page.
    """

    form = ReasonForm
    # simple-history's list of versions, with the sources each save added or removed.
    object_history_list_template = "admin/tracker/object_history_list.html"
    # Django 6 makes https the scheme of a URL typed without one; staff get it already.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    default_reason = "admin"

    def change_reason(self, form=None) -> str:
        typed = form.cleaned_data.get("change_reason", "") if form is not None else ""
        return typed or self.default_reason

    def save_model(self, request, obj, form, change):
        services.save_valid(obj, self.change_reason(form), user=request.user, relations=many_to_many_values(form))
        # Django's save_related and simple-history's revert call form.save_m2m() next,
        # which would write the relations again, behind the service's back.
        form.save_m2m = saved_already

    def save_formset(self, request, form, formset, change):
        # Rows of an inline are saved, or deleted, for the reason given on their parent.
        reason = self.change_reason(form)
        formset.save(commit=False)  # fills new_objects, changed_objects and deleted_objects
        for obj in formset.deleted_objects:  # first: a row added again may take a deleted one's place
            services.delete_valid(obj, reason, user=request.user)
        for inline_form in formset.saved_forms:
            services.save_valid(
                inline_form.instance, reason, user=request.user, relations=many_to_many_values(inline_form)
            )
        formset.save_m2m = saved_already

    def delete_model(self, request, obj):
        services.delete_valid(obj, self.default_reason, user=request.user)

    def delete_queryset(self, request, queryset):
        services.delete_all(queryset, self.default_reason, user=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ProtectedError as refused:
            # A record began to need this one after the page was shown; the view's
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
        self.message_user(request, f"Nothing was deleted: still needed by {records}.", messages.ERROR)
        return redirect(url)

    def history_view(self, request, object_id, extra_context=None):
        known_keys(self.model, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        known_keys(self.model, object_id, version_id)
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        # simple-history saves a posted revert for anyone who may view the history;
        # a revert is a change, so it needs the change permission.
        obj = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        # The revert saves through save_model (the service); its log entry goes with it.
        with transaction.atomic():
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
    # Ticked at first: staff see what each row would do before anything is written.
    dry_run = forms.BooleanField(
        required=False,
        initial=True,
        label="Dry run",
        help_text="Ticked: check the file and list what each row would create or change, writing nothing. "
        "Untick it to import.",
    )
    reason = reason_field()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # A status table is a few hundred kilobytes; a file past UPLOAD_MAX_BYTES was never
        # kept (tracker.uploads.RefuseOversizedUploads): refuse it before reading anything.
        if upload.size > uploads.limit():
            raise forms.ValidationError(uploads.too_large_message(upload.size))
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

    list_display = ["short_title", "depositary_reference", "adopted_on", "signature_closes_on", "threshold",
                    "entry_into_force_stated_on", "depositary_as_at"]
    search_fields = ["short_title", "title", "slug", "depositary_reference", "subject"]
    prepopulated_fields = {"slug": ["short_title"]}
    actions = [sync_admin.sync_now]
    description_fields = [
        "short_title", "slug", "title", "depositary_reference", "depositary_url",
        "adopted_on", "adoption_place", "adoption_instrument", "signature_venues", "subject",
    ]  # fmt: skip
    # What the depositary's page states: the import sets them, every page again.
    depositary_fields = ["entry_into_force_stated_on", "entry_into_force_stated_article", "registration",
                         "depositary_as_at"]

    def has_sync_permission(self, request):
        return request.user.is_superuser

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": self.description_fields}),
            ("At the depositary", {"fields": self.depositary_fields}),
            ("Rule of entry into force", {"fields": [*RULE_FIELDS, "entry_into_force_clause"]}),
            ("Alerts", {"fields": ["alert_milestones"]}),
        ]
        if obj is not None:
            fieldsets.insert(0, ("Status today", {"fields": ["computed_status"]}))
        return [*fieldsets, ("Audit", {"fields": ["change_reason"]})]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = ["computed_status", *self.depositary_fields]
        return readonly if request.user.is_superuser else [*readonly, *RULE_FIELDS]

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
        problems, preview = [], None
        if form.is_valid():
            try:
                summary = self.run_import(request, treaty, form)
            except imports.ImportRejected as rejected:
                problems = rejected.shown  # the first 100, and how many more
            else:
                if not summary.dry_run:
                    messages.success(request, f"{form.cleaned_data['file'].name}: {summary}")
                    return redirect("admin:tracker_treaty_change", treaty.pk)
                # The dry run's rows, and the form again to import the file for real.
                preview = {"file": form.cleaned_data["file"].name, "summary": summary}
                form = StatusTableForm(initial={"dry_run": False, "reason": form.cleaned_data["reason"]})
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import a status table into {treaty}",
            "opts": self.opts,
            "original": treaty,
            "form": form,
            "problems": problems,
            "preview": preview,
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

    # Deleting goes through services.delete_valid and delete_all, which keep a source that
    # any record still cites (services.delete_sources); AuditedAdmin shows their refusal.


@admin.register(Citation)
class CitationAdmin(AuditedAdmin):
    """Which source states which fact of a treaty."""

    list_display = ["treaty", "fact", "cited_source"]
    list_select_related = ["treaty", "source"]
    list_filter = ["treaty", "fact"]
    search_fields = ["quote", "source__title", "source__publisher", "source__url"]
    autocomplete_fields = ["source"]

    @admin.display(description="source", ordering="source__publisher")
    def cited_source(self, citation):
        return short_source(citation.source)


@admin.register(ReportedFigure)
class ReportedFigureAdmin(AuditedAdmin):
    """Totals sources reported, kept to show beside the computed figures."""

    list_display = ["treaty", "reported_on", "figure", "qualifier", "value", "cited_source"]
    list_select_related = ["treaty", "source"]
    list_filter = ["treaty", "figure", "qualifier", "reported_on"]
    search_fields = ["figure", "note", "source__title", "source__publisher"]
    autocomplete_fields = ["source"]
    date_hierarchy = "reported_on"

    @admin.display(description="source", ordering="source__publisher")
    def cited_source(self, figure):
        return short_source(figure.source)


# The alerts' admin lives beside their models.
from tracker.alerts import admin as alerts_admin  # noqa: E402, F401
