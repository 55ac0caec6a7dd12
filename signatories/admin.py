"""The admin for participants and what they did: actions, domestic steps, aliases, memberships.

Built on ``tracker.admin.AuditedAdmin``: every save and deletion, inlines included, goes
through the services (tracker.services.save_valid and delete_valid), kept in the history
with the user and an optional reason, and changes the data version.
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html

from signatories.models import Action, DomesticStep, Membership, Participant, ParticipantAlias
from tracker.admin import AuditedAdmin, ReasonForm
from tracker.admin_columns import OneTreatyPreselected
from tracker.models import DatePrecision

# How staff look a participant up: by any of its names or ISO codes. The codes match
# exactly, or a search for a name would also find every code containing its letters.
PARTICIPANT_SEARCH = [
    "participant__name",
    "participant__aliases__name",
    "=participant__iso_alpha2",
    "=participant__iso_alpha3",
    "=participant__iso_numeric",
]


class AliasInline(admin.TabularInline):
    """The participant's other names."""

    model = ParticipantAlias
    extra = 0


class ParticipantActionInline(OneTreatyPreselected, admin.TabularInline):
    """What the participant did under every treaty; sources and notes are on each action's page.

    A new action is recorded on its own page ("Record an action"), where it gets its
    sources, or a confirmation that it has none: a row added here could have neither.
    """

    model = Action
    extra = 0
    fields = ["treaty", "kind", "date", "date_precision", "confidence", "cn_reference", "withdrawn_on"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("treaty", "participant")

    def has_add_permission(self, request, obj=None):
        return False


class DomesticStepInline(OneTreatyPreselected, admin.TabularInline):
    """The participant's steps at home under every treaty (shown, never counted)."""

    model = DomesticStep
    extra = 0
    fields = ["treaty", "date", "date_precision", "step", "confidence"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("treaty", "participant")


@admin.register(Participant)
class ParticipantAdmin(AuditedAdmin):
    """States and organizations; each page shows everything the participant did under every treaty."""

    list_display = ["name", "iso_alpha3", "kind", "un_member", "un_regional_group"]
    list_filter = ["kind", "un_member", "un_regional_group"]
    search_fields = ["name", "slug", "aliases__name", "=iso_alpha2", "=iso_alpha3", "=iso_numeric"]
    inlines = [AliasInline, ParticipantActionInline, DomesticStepInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if request.user.has_perm("signatories.add_action"):
            add_action = reverse("admin:signatories_action_add")
            extra_context["add_action_url"] = f"{add_action}?participant={object_id}"
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(ParticipantAlias)
class ParticipantAliasAdmin(AuditedAdmin):
    """Other names of participants, on their own so that editors, who may not change a
    participant, can still record and correct them."""

    list_display = ["name", "participant"]
    list_select_related = ["participant"]
    search_fields = ["name", "participant__name"]
    autocomplete_fields = ["participant"]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    """Memberships of regional economic integration organizations, with their dates."""

    list_display = ["member", "organization", "joined_on", "left_on"]
    list_select_related = ["member", "organization"]
    list_filter = ["joined_on", "left_on"]
    search_fields = ["member__name", "member__aliases__name", "=member__iso_alpha3", "organization__name"]
    autocomplete_fields = ["organization", "member"]


NO_SOURCE_MESSAGE = (
    "No source is given for this action. Add the source that reports it (the depositary "
    "notification, a press report), or tick “Save without a source” below to save it as it is."
)


class ActionForm(ReasonForm):
    """An action's form, which asks for a confirmation before it saves an action that no
    source reports: the pages show every action with its sources, and one without any is
    usually a source forgotten. (The imports and the API give a source of their own or
    none, as their callers decide: the check is the admin's.)"""

    save_without_source = forms.BooleanField(
        required=False,
        label="Save without a source",
        help_text="Tick to confirm that no source reports this action yet.",
    )

    # False on the history page: a revert restores a version as it was saved (and keeps
    # the sources as they are), so it does not ask again.
    asks_for_source = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Asked only once the action was posted without a source.
        if not (self.asks_for_source and self.is_bound and "sources" in self.fields
                and not self.data.getlist(self.add_prefix("sources"))):
            self.fields["save_without_source"].widget = forms.HiddenInput()

    def clean(self):
        cleaned = super().clean()
        unsourced = "sources" in self.fields and not cleaned.get("sources")
        if self.asks_for_source and unsourced and not cleaned.get("save_without_source"):
            self.add_error("sources", NO_SOURCE_MESSAGE)
        return cleaned


@admin.register(Action)
class ActionAdmin(AuditedAdmin):
    """Signatures and deposits of instruments: what counts toward entry into force.

    The list keeps to what staff look for at a glance, so that it fits a 1280-pixel screen:
    the precision is in the date ("≤ Oct. 25, 2025"), and the treaty only when there are several.
    """

    form = ActionForm
    list_display = ["participant", "treaty", "kind", "dated", "confidence", "cn_reference", "withdrawn_on"]
    list_select_related = ["participant", "treaty"]
    list_filter = ["treaty", "kind", "confidence", "participant__un_regional_group", "date"]
    search_fields = [*PARTICIPANT_SEARCH, "cn_reference"]
    autocomplete_fields = ["participant", "sources"]
    date_hierarchy = "date"

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        request.reverting = True  # read by get_form
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if getattr(request, "reverting", False):
            return type(form.__name__, (form,), {"asks_for_source": False})
        return form

    def get_fields(self, request, obj=None):
        # The confirmation right under the sources it is about.
        fields = [name for name in super().get_fields(request, obj) if name != "save_without_source"]
        at = fields.index("sources") + 1 if "sources" in fields else len(fields)
        return [*fields[:at], "save_without_source", *fields[at:]]

    @admin.display(description="date", ordering="date")
    def dated(self, action):
        day = formats.date_format(action.date)  # as the list's other dates read
        if action.date_precision == DatePrecision.ON_OR_BEFORE:
            return format_html('<span title="on or before">≤&nbsp;{}</span>', day)
        return day


@admin.register(DomesticStep)
class DomesticStepAdmin(AuditedAdmin):
    """Votes, laws and reports at home: shown beside the actions, never counted."""

    list_display = ["participant", "treaty", "date", "step", "confidence"]
    list_select_related = ["participant", "treaty"]
    list_filter = ["treaty", "confidence", "participant__un_regional_group", "date"]
    search_fields = [*PARTICIPANT_SEARCH, "step"]
    autocomplete_fields = ["participant", "sources"]
    date_hierarchy = "date"
